// One field of an API answer as people read it: addresses, ids and assets become links,
// satoshis read as BTC and millisecond times as times.
import { assetLink } from './assets.js';
import { h, link } from './dom.js';
import { btc, timestamp } from './format.js';

const mono = (text) => h('span', { class: 'mono' }, text);
const HEX_ID = /^[0-9a-f]{64}$/;
/** What one item of a list field is: a settlement's burns are transactions. */
const LIST_ITEM = { burns: 'txid' };
/** Names whose words alone would misread: an acronym, the asset page's spelling, what the reserves owe to burns not paid yet. */
const LABELS = { isin: 'ISIN', reissuable: 'Re-issuable', unpaidBurns: 'Burns not paid yet', unpaidBurnSats: 'Owed to burns not paid yet', oldestUnpaidBurnHeight: 'Oldest of them final at height' };

/**
 * A field's name as a heading: "feeShareSats" → "Fee share", "recordedAtMs" → "Recorded at",
 * "recordHeight" → "Record height". The unit suffix goes, since valueNode shows those values in
 * BTC and as times.
 */
export function fieldLabel(name) {
  if (name in LABELS) return LABELS[name];
  const words = name.replace(/Sats$/, '').replace(/AtMs$/, 'At').replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function valueNode(name, value) {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'string' && /^sbx1[0-9a-z]+$/.test(value)) return link(`#/address/${value}`, mono(value));
  if (name === 'asset' && HEX_ID.test(value)) return assetLink(value);
  if (/^(txid|burnTxid|mintTxid)$/.test(name) && HEX_ID.test(value)) return link(`#/tx/${value}`, mono(value));
  // A height (a dividend's record height, the block holding an anchor record) is a block of this chain.
  if (/^(height|recordHeight)$/.test(name) && Number.isInteger(value)) return link(`#/block/${value}`, String(value));
  if (/Sats$/.test(name) && /^\d+$/.test(String(value))) return btc(value);
  if (/AtMs$/.test(name) && /^\d+$/.test(String(value))) return timestamp(value);
  // A time given as an ISO 8601 string (the reserves' checkedAt) reads as the millisecond ones do.
  if (/At$/.test(name) && typeof value === 'string' && /^\d{4}-\d\d-\d\dT/.test(value) && !Number.isNaN(Date.parse(value))) return timestamp(Date.parse(value));
  // A list of addresses or ids (an allowlist change's addresses, a settlement's burns): one per line, each as it would read alone.
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return h('div', {}, value.map((item) => h('div', {}, valueNode(LIST_ITEM[name] ?? name, item))));
  if (typeof value === 'object') return h('pre', { class: 'json' }, JSON.stringify(value, null, 2));
  // Other ids stay text. A Bitcoin txid is a deposit only where a mint names it (the views of mints
  // link those): an anchor's or a settlement's would lead to a peg-in page that finds no deposit.
  if (typeof value === 'string' && /^[0-9a-f]{16,}$/.test(value)) return mono(value);
  return String(value);
}
