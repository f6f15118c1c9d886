import { find, get, pageQuery } from '../api.js';
import { badge, card, fields, h, link, pager, panel, progress, table } from '../dom.js';
import { btc, short } from '../format.js';

const PAGE = 25;
const STATE_TONES = { confirming: 'warn', confirmed: 'info', minted: 'good', 'below-minimum': 'bad' };
const STATE_TEXT = { confirming: 'confirming', confirmed: 'queued for mint', minted: 'minted', 'below-minimum': 'below the minimum: not minted' };

const stateBadge = (state) => badge(STATE_TEXT[state] ?? state, STATE_TONES[state] ?? '');

function escrowPanel(escrow) {
  return panel(
    'Federation escrow',
    h(
      'div',
      { class: 'panel-body' },
      fields([
        ['Descriptor', h('span', { class: 'mono' }, escrow.descriptor)],
        ['Address', h('span', { class: 'mono' }, escrow.address)],
        ['Signers', `${escrow.threshold} of the members' peg keys`],
        ['Peg-in rules', `minted after ${escrow.pegin.confirmations} Bitcoin confirmations, ${BigInt(escrow.pegin.feeSats) > 0n ? `less a fee of ${btc(escrow.pegin.feeSats)}` : 'without a fee'}, for deposits of at least ${btc(escrow.pegin.minimumSats)}`],
        ['Deposit addresses', 'each recipient has its own, derived from this descriptor and the sbx address (strongbox pegin-address)'],
      ]),
    ),
  );
}

export async function peginList(_params, query) {
  const cursor = query.get('cursor');
  const [escrow, supply, page, status] = await Promise.all([get('/escrow'), get('/supply'), get(`/pegin/deposits${pageQuery(PAGE, cursor)}`), get('/status')]);
  return {
    title: 'Peg-ins',
    live: !cursor,
    node: h(
      'div',
      { id: 'pegin-list' },
      h('h1', {}, 'Peg-ins', h('span', { class: 'sub' }, `BTC deposited to the escrow becomes pegged BTC · Bitcoin height ${status.bitcoin.height}`)),
      escrow.mintingHalted ? h('div', { class: 'alert bad' }, 'Minting is halted after a deep Bitcoin reorg; deposits wait until operators act.') : null,
      h(
        'div',
        { class: 'cards' },
        card('Confirming', String(supply.deposits.confirming.count), btc(supply.deposits.confirming.sats)),
        card('Queued for mint', String(supply.deposits.confirmed.count), btc(supply.deposits.confirmed.sats)),
        card('Minted', String(supply.deposits.minted.count), btc(supply.deposits.minted.sats)),
        supply.deposits['below-minimum'].count > 0 ? card('Below the minimum, not minted', String(supply.deposits['below-minimum'].count), btc(supply.deposits['below-minimum'].sats)) : null,
      ),
      panel('Deposits', [
        table(
          [
            { title: 'Bitcoin deposit', cell: (d) => [link(`#/pegin/${d.txid}`, h('span', { class: 'mono' }, short(d.txid, 16))), `:${d.vout}`] },
            { title: 'Amount', num: true, cell: (d) => btc(d.amountSats) },
            { title: 'Recipient', cell: (d) => link(`#/address/${d.recipient}`, h('span', { class: 'mono' }, short(d.recipient, 14))) },
            { title: 'Confirmations', cell: (d) => progress(d.confirmations, d.required) },
            { title: 'State', cell: (d) => stateBadge(d.state) },
            { title: 'Mint', cell: (d) => (d.state === 'minted' ? link(`#/tx/${d.mintTxid}`, h('span', { class: 'mono' }, short(d.mintTxid))) : '—') },
          ],
          page.deposits,
          'No deposits yet. Derive a deposit address with `strongbox pegin-address <sbx1…>` and send BTC to it.',
        ),
        pager(page.next, (next) => `#/pegins?cursor=${next}`, cursor ? '#/pegins' : null),
      ]),
      escrowPanel(escrow),
    ),
  };
}

export async function peginDetail([txid]) {
  let answer;
  try {
    answer = await find(`/pegin/deposits/${txid}`);
  } catch (error) {
    return { title: 'Peg-in', live: true, node: h('div', { class: 'empty' }, error.message) };
  }
  const deposits = answer?.deposits ?? [];
  return {
    title: `Peg-in ${short(txid)}`,
    live: deposits.some((d) => !d.minted && !d.belowMinimum),
    node: h(
      'div',
      { id: 'pegin-detail' },
      h('h1', {}, 'Peg-in deposit'),
      h('p', { class: 'mono' }, txid),
      panel(
        'Outputs paying deposit addresses',
        table(
          [
            { title: 'Output', cell: (d) => String(d.vout) },
            { title: 'Amount', num: true, cell: (d) => btc(d.amountSats) },
            { title: 'Recipient', cell: (d) => link(`#/address/${d.recipient}`, h('span', { class: 'mono' }, d.recipient)) },
            { title: 'Confirmations', cell: (d) => progress(d.confirmations, d.required) },
            { title: 'State', cell: (d) => stateBadge(d.minted ? 'minted' : d.belowMinimum ? 'below-minimum' : d.confirmations >= d.required ? 'confirmed' : 'confirming') },
            { title: 'Mint', cell: (d) => (d.mintedIn ? link(`#/tx/${d.mintedIn.txid}`, h('span', { class: 'mono' }, short(d.mintedIn.txid))) : '—') },
          ],
          deposits,
          'This Bitcoin transaction pays no deposit address this member watches.',
        ),
      ),
    ),
  };
}
