import { taggedHash } from './hash.ts';
import { printable } from './printable.ts';

export const ASSET_ID_LENGTH = 32;

/** The pegged bitcoin asset: taggedHash("Strongbox/asset", "BTC"). Amounts are satoshis. */
export const BTC_ASSET_ID = taggedHash('Strongbox/asset', new TextEncoder().encode('BTC'));
export const BTC_ASSET_KEY = Buffer.from(BTC_ASSET_ID).toString('hex');

/**
 * An issued security's id: taggedHash("Strongbox/asset", issuer key ‖ nonce as u64 BE). The
 * 40-byte preimage can never equal the 3-byte "BTC" one, so no issuer can mint pegged bitcoin.
 */
export function issuedAssetId(issuerKey: Uint8Array, nonce: bigint): Uint8Array {
  const nonceBytes = new Uint8Array(8);
  new DataView(nonceBytes.buffer).setBigUint64(0, nonce);
  return taggedHash('Strongbox/asset', issuerKey, nonceBytes);
}

export const SecurityKind = { share: 0, bond: 1, fund: 2 } as const;
export type SecurityKind = keyof typeof SecurityKind;
export const SECURITY_KINDS = Object.keys(SecurityKind) as SecurityKind[];

export const MAX_DECIMALS = 18;

/** Base units as the decimal figure an asset of `decimals` places means, exactly: 12345 with 2 → "123.45". */
export function formatUnits(amount: bigint, decimals: number): string {
  const sign = amount < 0n ? '-' : '';
  const digits = (amount < 0n ? -amount : amount).toString().padStart(decimals + 1, '0');
  const whole = digits.slice(0, digits.length - decimals);
  return decimals === 0 ? `${sign}${whole}` : `${sign}${whole}.${digits.slice(digits.length - decimals)}`;
}

/** A security as people know it, by the name (made printable) and ISIN its issuer registered. */
export const securityLabel = (security: { name: string; isin: string }) => `${printable(security.name)} (${security.isin})`;

/** A security as people know it, as securityLabel writes it, with its id to use in commands. */
export const securityName = (asset: string, security: { name: string; isin: string }) => `${securityLabel(security)} ${asset}`;

/** ISO 6166: two letters, nine alphanumerics, a Luhn check digit over the letters expanded to numbers. */
export function isValidIsin(isin: string): boolean {
  if (!/^[A-Z]{2}[A-Z0-9]{9}[0-9]$/.test(isin)) return false;
  const digits = [...isin].map((c) => (c >= 'A' ? String(c.charCodeAt(0) - 55) : c)).join('');
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}
