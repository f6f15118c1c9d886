import { formatUnits } from '../sidechain/asset.ts';
import { ValidationError } from '../sidechain/errors.ts';

const BTC_DECIMALS = 8;
const SATS_PER_BTC = 10n ** BigInt(BTC_DECIMALS);

/**
 * Parses a BTC amount written in decimal ("0.5", "21") into satoshis without floating point;
 * `what` names where a person gave it, for the refusal.
 * Bitcoin RPC amounts arrive as JSON numbers; their shortest decimal form (String(n)) is exactly
 * what the node wrote for any amount with at most 8 decimals, so it is parsed as text.
 */
export function btcToSats(value: string | number, what?: string): bigint {
  const text = typeof value === 'number' ? numberToDecimal(value) : value.trim();
  const match = /^(\d+)(?:\.(\d{1,8}))?$/.exec(text);
  if (!match) throw new ValidationError('bad-amount', `${what ? `${what}: ` : ''}not a BTC amount: expected digits, with at most 8 decimals after a point and a digit before it (such as 0.5 or 21), got ${JSON.stringify(String(value))}`);
  const whole = BigInt(match[1] ?? '0');
  const fraction = BigInt((match[2] ?? '').padEnd(8, '0'));
  return whole * SATS_PER_BTC + fraction;
}

export function satsToBtc(sats: bigint): string {
  return formatUnits(sats, BTC_DECIMALS);
}

function numberToDecimal(value: number): string {
  if (!Number.isFinite(value) || value < 0) throw new ValidationError('bad-amount', `not a BTC amount: ${value}`);
  const text = String(value);
  if (!text.includes('e')) return text;
  // Tiny amounts print in exponent form (1e-8); toFixed(8) is exact for them.
  return value.toFixed(8);
}
