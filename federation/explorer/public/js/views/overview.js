import { get } from '../api.js';
import { badge, card, h, link, panel, table } from '../dom.js';
import { ago, btc, elapsed, short, timestamp } from '../format.js';
import { blockColumns } from './blocks.js';
import { transactionColumns } from './transactions.js';

const SIGNATURE_WINDOW = 24;

/** Who signed each of the recent blocks, one row per member, oldest block on the left. */
function signatureGrid(member, blocks) {
  const oldestFirst = [...blocks].reverse();
  return h(
    'div',
    { class: 'grid-signers', style: { 'grid-template-columns': `repeat(${Math.max(1, oldestFirst.length)}, 0.9rem)` }, 'data-member': member.index },
    oldestFirst.map((block) => {
      const signed = block.commit.signers.includes(member.index);
      const proposer = block.proposer === member.index;
      return h('span', { class: `cell${signed ? ' signed' : ''}${proposer ? ' proposer' : ''}`, title: `block ${block.height}: ${signed ? 'signed' : 'no signature'}${proposer ? ', proposer' : ''}` });
    }),
  );
}

/**
 * A member's link to the serving one; for one without, why, as the serving member last saw its
 * link fail (GET /status `peersDown`): a reason in words, its code and since when.
 */
function linkCell(member, peersDown) {
  if (member.self) return [h('span', { class: 'dot good' }), 'self'];
  if (member.connected) return [h('span', { class: 'dot good' }), 'connected'];
  const down = peersDown.find((peer) => peer.memberIndex === member.index);
  return [
    h('span', { class: 'dot bad' }),
    'disconnected',
    down ? h('div', { class: 'link-reason', 'data-code': down.code, title: `${down.code} since ${timestamp(down.sinceMs)}` }, `for ${elapsed(down.sinceMs)}: ${down.reason}`) : null,
  ];
}

function federationPanel(status, members, blocks) {
  const body = h(
    'div',
    {},
    table(
      [
        { title: 'Member', cell: (m) => [`${m.index} · ${m.name} `, m.self ? badge('this member', 'info') : null] },
        { title: 'Link', cell: (m) => linkCell(m, status.peersDown) },
        { title: 'Last heard', cell: (m) => (m.self ? '—' : m.lastSeenMs === null ? 'not since start' : ago(m.lastSeenMs)) },
        { title: 'Last signed', cell: (m) => (m.lastSigned ? [link(`#/block/${m.lastSigned.height}`, `#${m.lastSigned.height}`), ` · ${ago(m.lastSigned.timeMs)}`] : 'not recently') },
        { title: `Last ${blocks.length} blocks`, cell: (m) => signatureGrid(m, blocks) },
      ],
      members,
    ),
    h(
      'div',
      { class: 'legend panel-body' },
      h('span', {}, h('span', { class: 'cell signed' }), 'signed the commit'),
      h('span', {}, h('span', { class: 'cell' }), 'no signature in the certificate'),
      h('span', {}, h('span', { class: 'cell proposer' }), 'proposed the block'),
      h('span', {}, `a block is final with ${status.threshold} of ${members.length} signatures`),
    ),
  );
  return h('div', { id: 'federation' }, panel('Federation', body));
}

function alerts(status, members) {
  const list = [];
  if (status.bitcoin.mintingHalted) {
    list.push(h('div', { class: 'alert bad' }, 'Peg-in minting is halted: a Bitcoin reorg went deeper than the confirmation depth. Operators must act before any deposit is minted.'));
  }
  const down = members.filter((m) => !m.connected);
  if (down.length > 0) {
    list.push(h('div', { class: 'alert warn' }, `No connection to ${down.map((m) => `${m.index} (${m.name})`).join(', ')}. The federation stays live while at most ${members.length - status.threshold} member(s) are down.`));
  }
  return list;
}

export async function overview() {
  const [status, federation, blocks, transactions, supply] = await Promise.all([get('/status'), get('/federation'), get(`/blocks?limit=${SIGNATURE_WINDOW}`), get('/transactions?limit=10'), get('/supply')]);
  const members = federation.members;
  const tip = blocks.blocks[0];
  const connected = members.filter((m) => m.connected).length;
  return {
    title: 'Overview',
    live: true,
    node: h(
      'div',
      {},
      alerts(status, members),
      h(
        'div',
        { class: 'cards' },
        card('Chain height', h('span', { id: 'chain-height' }, String(status.height)), tip ? `last block ${ago(tip.timeMs)}` : 'no block yet', 'stat-height'),
        card('Pending transactions', String(status.mempool), 'in this member\'s mempool'),
        card('Consensus', status.consensus ? `${status.consensus.height}/${status.consensus.round}` : '—', status.consensus ? `height/round · ${status.consensus.step}` : ''),
        card('Members online', `${connected} of ${members.length}`, `threshold ${status.threshold}`),
        card('Bitcoin height', String(status.bitcoin.height), status.network),
        card('Pegged BTC', btc(supply.pegged.outstanding), `minted ${btc(supply.pegged.minted)}`),
        card('Peg-in queue', String(supply.deposits.confirmed.count), `${supply.deposits.confirming.count} confirming`),
      ),
      federationPanel(status, members, blocks.blocks),
      h(
        'div',
        { class: 'columns' },
        h('div', { id: 'latest-blocks' }, panel('Latest blocks', table(blockColumns(members), blocks.blocks.slice(0, 10), 'No blocks yet: the chain makes blocks only when there is work.'), link('#/blocks', 'All blocks →'))),
        h('div', { id: 'latest-transactions' }, panel('Latest transactions', table(transactionColumns, transactions.transactions, 'No transactions yet.'), link('#/txs', 'All transactions →'))),
      ),
      h('p', { class: 'note' }, `Tip ${short(status.tipHash, 16)} · chain ${short(status.chainId, 16)}`),
    ),
  };
}
