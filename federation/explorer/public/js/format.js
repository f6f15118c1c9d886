// Formatting for people. Amounts arrive as decimal strings of base units and stay strings:
// they are never turned into floating-point numbers.

/** "123456789" with 8 decimals → "1.23456789"; trailing zeros kept to the unit's precision. */
export function formatUnits(amount, decimals) {
  const text = String(amount);
  const negative = text.startsWith('-');
  const digits = (negative ? text.slice(1) : text).padStart(decimals + 1, '0');
  const whole = digits.slice(0, digits.length - decimals).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const fraction = decimals > 0 ? `.${digits.slice(digits.length - decimals)}` : '';
  return `${negative ? '-' : ''}${whole}${fraction}`;
}

/**
 * Satoshis as BTC, exact, always to the satoshi: "0.75000000 BTC". Eight decimals on every page,
 * as the CLI prints them, so the amounts of a column line up at the point and each shows its precision.
 */
export const btc = (sats) => `${formatUnits(sats, 8)} BTC`;

/** First and last characters of a long hex id. */
export function short(hex, keep = 10) {
  return hex.length > keep + 6 ? `${hex.slice(0, keep)}…${hex.slice(-4)}` : hex;
}

/** The time since `timeMs` in its largest whole unit: "12 s", "5 min", "3 h", "2 d". */
export function elapsed(timeMs, now = Date.now()) {
  const seconds = Math.max(0, Math.round((now - Number(timeMs)) / 1000));
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h`;
  return `${Math.floor(seconds / 86400)} d`;
}

export const ago = (timeMs, now = Date.now()) => `${elapsed(timeMs, now)} ago`;

export function timestamp(timeMs) {
  return new Date(Number(timeMs)).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}
