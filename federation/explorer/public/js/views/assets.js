import { find, get, pageQuery } from '../api.js';
import { badge, fields, h, link, pager, panel, table } from '../dom.js';
import { btc, formatUnits, short } from '../format.js';
import { valueNode } from '../values.js';

const PAGE = 25;

export async function assetList(_params, query) {
  const cursor = query.get('cursor');
  const [page, supply] = await Promise.all([get(`/assets${pageQuery(PAGE, cursor)}`), get('/supply')]);
  return {
    title: 'Assets',
    live: !cursor,
    node: h(
      'div',
      { id: 'asset-list' },
      h('h1', {}, 'Assets', h('span', { class: 'sub' }, 'pegged bitcoin and the registry of issued securities')),
      panel('Pegged bitcoin', h('div', { class: 'panel-body' }, fields([['Outstanding', btc(supply.pegged.outstanding)], ['Minted from deposits', btc(supply.pegged.minted)], ['Burned for peg-out', btc(supply.pegged.burned)]]))),
      panel('Securities', [
        table(
          [
            { title: 'Name', cell: (a) => link(`#/asset/${a.id}`, a.name) },
            { title: 'ISIN', cell: (a) => h('span', { class: 'mono' }, a.isin) },
            { title: 'Kind', cell: (a) => a.securityKind },
            { title: 'Supply', num: true, cell: (a) => formatUnits(a.supply, a.decimals) },
            { title: 'Transfers', cell: (a) => (a.restricted ? badge('allowlist only', 'warn') : badge('free', 'good')) },
          ],
          page.assets,
          'No securities issued yet.',
        ),
        pager(page.next, (next) => `#/assets?cursor=${next}`, cursor ? '#/assets' : null, { first: 'First', next: 'Next →' }),
      ]),
    ),
  };
}

export async function assetDetail([id], query) {
  const cursor = query.get('cursor');
  const asset = await find(`/assets/${id}`);
  if (!asset) return { title: 'Asset', live: true, node: h('div', { class: 'empty' }, `No issued asset ${id} in the registry.`) };
  const dividends = await get(`/assets/${id}/dividends${pageQuery(PAGE, cursor)}`);
  return {
    title: asset.name,
    live: !cursor,
    node: h(
      'div',
      { id: 'asset-detail' },
      h('h1', {}, asset.name, h('span', { class: 'sub' }, `${asset.isin} · ${asset.securityKind}`)),
      panel(
        'Registry entry',
        h(
          'div',
          { class: 'panel-body' },
          fields([
            ['Asset id', h('span', { class: 'mono' }, asset.id)],
            ['Issuer', valueNode('issuerAddress', asset.issuerAddress)],
            ['Issued in block', link(`#/block/${asset.height}`, String(asset.height))],
            ['Supply', `${formatUnits(asset.supply, asset.decimals)} (${asset.decimals} decimals)`],
            ['Holders', `${asset.holders} address${asset.holders === 1 ? '' : 'es'} (who they are is visible to auditors and regulators only)`],
            ['Transfers', asset.restricted ? `restricted to the issuer's allowlist (${asset.allowlisted} address${asset.allowlisted === 1 ? '' : 'es'})` : 'free'],
            ['Re-issuable', asset.reissuable ? 'yes, by the issuer' : 'no'],
          ]),
        ),
      ),
      panel('Dividends', [
        table(
          [
            { title: 'Transaction', cell: (d) => link(`#/tx/${d.txid}`, h('span', { class: 'mono' }, short(d.txid, 16))) },
            { title: 'Block', cell: (d) => link(`#/block/${d.height}`, String(d.height)) },
            { title: 'Record height', cell: (d) => link(`#/block/${d.recordHeight}`, String(d.recordHeight)) },
            { title: 'Holders paid', num: true, cell: (d) => String(d.holders) },
            { title: 'Total', num: true, cell: (d) => btc(d.paid) },
          ],
          dividends.dividends,
          cursor ? 'No later dividends.' : 'No dividends paid yet.',
        ),
        pager(dividends.next, (next) => `#/asset/${id}?cursor=${next}`, cursor ? `#/asset/${id}` : null, { first: 'Oldest', next: 'Next →' }),
      ]),
    ),
  };
}
