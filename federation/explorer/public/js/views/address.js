import { ApiError, get, pageQuery } from '../api.js';
import { amountOf, assetLink, loadAssets } from '../assets.js';
import { h, link, pager, panel, table } from '../dom.js';
import { short } from '../format.js';

const PAGE = 25;

export async function addressView([address], query) {
  const cursor = query.get('cursor');
  let balances;
  let utxos;
  try {
    [balances, utxos] = await Promise.all([get(`/addresses/${address}/balances`), get(`/addresses/${address}/utxos${pageQuery(PAGE, cursor)}`)]);
  } catch (error) {
    // Anything after sbx1 reaches this page (a mistyped search, say): the member says what is wrong with it.
    if (!(error instanceof ApiError && error.status === 400)) throw error;
    return { title: 'Address', live: false, node: h('div', { class: 'empty' }, `${address} is not a valid address: ${error.message}.`) };
  }
  await loadAssets(balances.balances.map((b) => b.asset).concat(utxos.utxos.map((u) => u.asset)));
  return {
    title: `Address ${short(address, 14)}`,
    live: !cursor,
    node: h(
      'div',
      { id: 'address-view' },
      h('h1', {}, 'Address'),
      h('p', { class: 'mono' }, utxos.address),
      panel('Balances', table([{ title: 'Asset', cell: (b) => assetLink(b.asset) }, { title: 'Balance', num: true, cell: (b) => amountOf(b.asset, b.amount) }], balances.balances, 'No funds: nothing final has been paid to this address.')),
      panel('Unspent outputs', [
        table(
          [
            { title: 'Output', cell: (u) => [link(`#/tx/${u.txid}`, h('span', { class: 'mono' }, short(u.txid, 16))), `:${u.vout}`] },
            { title: 'Block', cell: (u) => link(`#/block/${u.height}`, String(u.height)) },
            { title: 'Asset', cell: (u) => assetLink(u.asset) },
            { title: 'Amount', num: true, cell: (u) => amountOf(u.asset, u.amount) },
          ],
          utxos.utxos,
          'No unspent outputs.',
        ),
        pager(utxos.next, (next) => `#/address/${address}?cursor=${next}`, cursor ? `#/address/${address}` : null, { first: 'Oldest', next: 'Next →' }),
      ]),
    ),
  };
}
