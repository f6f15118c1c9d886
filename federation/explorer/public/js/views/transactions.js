import { find, get, pageQuery } from '../api.js';
import { amountOf, assetLink, issuerAddressOf, loadAssets } from '../assets.js';
import { badge, fields, h, link, pager, panel, table } from '../dom.js';
import { btc, short } from '../format.js';
import { fieldLabel, valueNode } from '../values.js';

const PAGE = 25;
const KIND_TONES = { transfer: 'info', pegin: 'good', pegout: 'warn', issuance: 'info', settlement: 'warn', anchor: '', registry: '', dividend: 'good' };

export const kindBadge = (kind) => badge(kind, KIND_TONES[kind] ?? '');

export const transactionColumns = [
  { title: 'Transaction', cell: (t) => link(`#/tx/${t.txid}`, h('span', { class: 'mono' }, short(t.txid, 16))) },
  { title: 'Kind', cell: (t) => kindBadge(t.kind) },
  { title: 'Block', cell: (t) => link(`#/block/${t.height}`, String(t.height)) },
];

/**
 * A field of a transaction's own body. Its amounts are base units of the asset the kind implies
 * (satoshis for a mint or a burn, the new security's for an issuance), shown in that asset's units
 * as the outputs are; a mint's Bitcoin transaction is the deposit its peg-in page shows.
 */
function bodyField(tx, name, value) {
  if (name === 'amount' && (tx.kind === 'pegin' || tx.kind === 'pegout')) return btc(value);
  if ((name === 'amount' && tx.kind === 'reissuance') || (name === 'supply' && tx.kind === 'issuance')) return amountOf(tx.asset, value);
  if (name === 'bitcoinTxid' && tx.kind === 'pegin') return link(`#/pegin/${value}`, h('span', { class: 'mono' }, value));
  // An issuer is the wallet that signed, read as its address as everywhere else; its key is in the JSON below.
  if (name === 'issuer' && tx.kind === 'issuance') return valueNode(name, issuerAddressOf(tx.asset));
  return valueNode(name, value);
}

/** A field's heading: an anchor's height alone would read as the block holding the record, which the Block field above gives. */
function bodyLabel(tx, name) {
  if (name === 'height' && tx.kind === 'anchor') return 'Anchored height';
  if (name === 'blockHash' && tx.kind === 'anchor') return 'Anchored block hash';
  return fieldLabel(name);
}

export async function transactionList(_params, query) {
  const cursor = query.get('cursor');
  const page = await get(`/transactions${pageQuery(PAGE, cursor)}`);
  return {
    title: 'Transactions',
    live: !cursor,
    node: h(
      'div',
      { id: 'transaction-list' },
      h('h1', {}, 'Transactions', h('span', { class: 'sub' }, 'final transactions, newest first')),
      panel('Final transactions', [table(transactionColumns, page.transactions, 'No transactions yet.'), pager(page.next, (next) => `#/txs?cursor=${next}`, cursor ? '#/txs' : null)]),
    ),
  };
}

export async function transactionDetail([txid]) {
  const found = await find(`/tx/${txid}`);
  if (!found) return { title: 'Transaction', live: true, node: h('div', { class: 'empty' }, `This member knows no transaction ${txid}.`) };
  if (found.status === 'pending') {
    return { title: 'Transaction', live: true, node: h('div', {}, h('h1', {}, 'Transaction ', badge('pending', 'warn')), h('p', { class: 'mono' }, txid), h('p', {}, 'Valid and waiting for a block; this page updates when it is final.')) };
  }
  const tx = found.transaction;
  const outputs = tx.outputs ?? [];
  await loadAssets(outputs.map((o) => o.asset).concat(tx.asset ? [tx.asset] : []));
  // An allowlist change's owners are shown as the addresses they encode. An issuance's nonce is a
  // random number that only goes into its asset id, shown as the asset: it stays in the JSON below.
  const { kind, txid: _id, inputs, outputs: _outputs, owners: _owners, nonce: _nonce, ...rest } = tx;
  // An issuance's terms (name, ISIN, decimals…) read as fields of their own, as the asset page shows them.
  const own = Object.entries(rest).flatMap(([name, value]) => (name === 'metadata' ? Object.entries(value) : [[name, value]]));
  const spenders = new Map((found.spenders ?? []).map((s) => [s.vout, s]));
  const spentBy = (vout) => {
    const spender = spenders.get(vout);
    return spender ? [link(`#/tx/${spender.spentBy}`, h('span', { class: 'mono' }, short(spender.spentBy, 16))), ` in block ${spender.height}`] : 'unspent';
  };
  return {
    title: `Transaction ${short(txid)}`,
    live: false,
    node: h(
      'div',
      { id: 'transaction-detail' },
      h('h1', {}, 'Transaction ', kindBadge(kind), ' ', badge('final', 'good')),
      panel(
        'Summary',
        h(
          'div',
          { class: 'panel-body' },
          fields([
            ['Id', h('span', { class: 'mono' }, txid)],
            ['Block', [link(`#/block/${found.height}`, String(found.height)), `, position ${found.position}`]],
            ...own.map(([name, value]) => [bodyLabel(tx, name), bodyField(tx, name, value)]),
            // A mint, an issuance or a re-issuance creates one output, named in its fields above.
            ...(tx.outputs || !spenders.has(0) ? [] : [['Output 0 spent by', spentBy(0)]]),
          ]),
        ),
      ),
      inputs
        ? panel('Inputs', table([{ title: 'Spends', cell: (i) => [link(`#/tx/${i.txid}`, h('span', { class: 'mono' }, short(i.txid, 16))), `:${i.vout}`] }], inputs, 'No inputs.'))
        : null,
      tx.outputs
        ? panel(
            'Outputs',
            table(
              [
                { title: '#', num: true, cell: (o) => String(o.index) },
                { title: 'Address', cell: (o) => link(`#/address/${o.address}`, h('span', { class: 'mono' }, o.address)) },
                { title: 'Asset', cell: (o) => assetLink(o.asset) },
                { title: 'Amount', num: true, cell: (o) => amountOf(o.asset, o.amount) },
                { title: 'Spent by', cell: (o) => spentBy(o.index) },
              ],
              outputs.map((o, index) => ({ ...o, index })),
              'No outputs.',
            ),
          )
        : null,
      panel('Raw transaction', h('details', { class: 'panel-body', id: 'transaction-json' }, h('summary', {}, "as this member's API serves it, without its signatures"), h('pre', { class: 'json' }, JSON.stringify(tx, null, 2)))),
    ),
  };
}
