import { Writer } from '../../sidechain/encoding/index.ts';
import { publicKeyFromSeed, signMessage, verifySignature } from '../../sidechain/ed25519.ts';
import { taggedHash } from '../../sidechain/hash.ts';

/** How far a signed request's time may be from the member's clock. */
export const ISSUER_REQUEST_MAX_SKEW_MS = 300_000;

/** What follows the scheme in the header: `<key hex>.<time ms>.<signature hex>`. */
const CREDENTIALS = /^([0-9a-f]{64})\.([0-9]{1,16})\.([0-9a-f]{128})$/;

/**
 * What an issuer signs to read its own asset's register: the chain, the asset and the time. The
 * time bounds how long a captured header stays usable; the asset keeps it to that register.
 */
function requestMessage(chainId: Uint8Array, asset: Uint8Array, timeMs: bigint): Uint8Array {
  return taggedHash('Strongbox/registry-request', chainId, asset, new Writer().u64(timeMs).finish());
}

/** The Authorization header value: `Issuer <key hex>.<time ms>.<signature hex>`. */
export function issuerAuthorization(chainId: Uint8Array, asset: Uint8Array, seed: Uint8Array, nowMs: number): string {
  const timeMs = BigInt(nowMs);
  const signature = signMessage(seed, requestMessage(chainId, asset, timeMs));
  return `Issuer ${Buffer.from(publicKeyFromSeed(seed)).toString('hex')}.${timeMs}.${Buffer.from(signature).toString('hex')}`;
}

/** The key that signed a valid, current issuer request for `asset` (the header's part after its scheme); undefined for anything else. */
export function verifyIssuerAuthorization(credentials: string, chainId: Uint8Array, asset: Uint8Array, nowMs: number): Uint8Array | undefined {
  const match = CREDENTIALS.exec(credentials);
  if (!match) return undefined;
  const key = new Uint8Array(Buffer.from(match[1]!, 'hex'));
  const timeMs = BigInt(match[2]!);
  if (timeMs > BigInt(nowMs + ISSUER_REQUEST_MAX_SKEW_MS) || timeMs < BigInt(nowMs - ISSUER_REQUEST_MAX_SKEW_MS)) return undefined;
  return verifySignature(key, requestMessage(chainId, asset, timeMs), new Uint8Array(Buffer.from(match[3]!, 'hex'))) ? key : undefined;
}
