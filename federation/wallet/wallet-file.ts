import { existsSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { encodeAddress, keyOwner, ownerPayload } from '../../sidechain/address.ts';
import { generateKeyPair, publicKeyFromSeed, type Ed25519KeyPair } from '../../sidechain/ed25519.ts';
import { KeyFileError, readSecretFile } from '../key-file.ts';

export interface Wallet {
  keys: Ed25519KeyPair;
  /** 33-byte owner payload of the wallet's address. */
  owner: Uint8Array;
  address: string;
}

const walletFileSchema = z.object({ version: z.literal(1), seed: z.string().regex(/^[0-9a-f]{64}$/, 'expected 32 bytes as lowercase hex') });

function walletOf(keys: Ed25519KeyPair): Wallet {
  const owner = keyOwner(keys.publicKey);
  return { keys, owner: ownerPayload(owner), address: encodeAddress(owner) };
}

/** Creates a single-key wallet file (mode 0600); refuses to overwrite one. */
export function createWalletFile(path: string): Wallet {
  if (existsSync(path)) throw new KeyFileError(path, 'already exists; refusing to overwrite a wallet');
  const keys = generateKeyPair();
  writeFileSync(path, `${JSON.stringify({ version: 1, seed: Buffer.from(keys.seed).toString('hex') }, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  return walletOf(keys);
}

export function readWalletFile(path: string): Wallet {
  const { seed: seedHex } = readSecretFile(path, walletFileSchema, { kind: 'wallet file', missing: 'pass your wallet with --file, or create one with `strongbox wallet new --file <file>`' });
  const seed = new Uint8Array(Buffer.from(seedHex, 'hex'));
  return walletOf({ seed, publicKey: publicKeyFromSeed(seed) });
}
