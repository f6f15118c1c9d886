import { createPublicKey, verify } from 'node:crypto';
import { generateKeyPair, signMessage } from '../sidechain/ed25519.ts';
import { figure, type Figure } from './report.ts';

/** Raw node:crypto Ed25519 verifications per second on one core: the ceiling for signed transfers. */
export function ed25519Baseline(durationMs: number): Figure {
  const keys = generateKeyPair();
  const messages = Array.from({ length: 256 }, (_, i) => new Uint8Array(32).fill(i));
  const signatures = messages.map((message) => signMessage(keys.seed, message));
  // Raw node:crypto, no cache: the cost of one real verification.
  const key = createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), keys.publicKey]), format: 'der', type: 'spki' });
  let count = 0;
  const start = performance.now();
  while (performance.now() - start < durationMs) {
    for (let i = 0; i < messages.length; i++) {
      if (!verify(null, messages[i]!, key, signatures[i]!)) throw new Error('baseline signature failed');
    }
    count += messages.length;
  }
  return figure('ed25519 verify (node:crypto, 1 core)', (count * 1000) / (performance.now() - start), 'verifications/s');
}
