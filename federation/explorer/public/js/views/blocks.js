import { find, get, pageQuery } from '../api.js';
import { fields, h, link, pager, panel, table } from '../dom.js';
import { ago, short, timestamp } from '../format.js';

const PAGE = 25;

const memberName = (members, index) => members[index]?.name ?? `member ${index}`;

/** Columns of a block list; `members` names the proposers. */
export function blockColumns(members) {
  return [
    { title: 'Height', cell: (b) => link(`#/block/${b.height}`, String(b.height)) },
    { title: 'Age', cell: (b) => ago(b.timeMs) },
    { title: 'Txs', num: true, cell: (b) => String(b.txCount) },
    { title: 'Proposer', cell: (b) => memberName(members, b.proposer) },
    { title: 'Signatures', cell: (b) => `${b.commit.signers.length} of ${members.length}` },
    { title: 'Hash', cell: (b) => h('span', { class: 'mono' }, short(b.hash)) },
  ];
}

export async function blockList(_params, query) {
  const cursor = query.get('cursor');
  const [page, status] = await Promise.all([get(`/blocks${pageQuery(PAGE, cursor)}`), get('/status')]);
  return {
    title: 'Blocks',
    live: !cursor,
    node: h(
      'div',
      { id: 'block-list' },
      h('h1', {}, 'Blocks', h('span', { class: 'sub' }, `final blocks, newest first · tip ${status.height}`)),
      panel('Final blocks', [table(blockColumns(status.members), page.blocks, 'No blocks yet.'), pager(page.next, (next) => `#/blocks?cursor=${next}`, cursor ? '#/blocks' : null)]),
    ),
  };
}

export async function blockDetail([height]) {
  const [block, status] = await Promise.all([find(`/blocks/${height}`), get('/status')]);
  if (!block) {
    // Height 0 is the genesis, which is a file, not a block: its hash is the chain id block 1 links to.
    const missing = Number(height) === 0 ? `There is no block 0: the chain starts at block 1, whose previous hash is the genesis, chain ${status.chainId}.` : `Block ${height} is not final yet (the tip is ${status.height}).`;
    return { title: `Block ${height}`, live: Number(height) !== 0, node: h('div', { class: 'empty' }, missing) };
  }
  const members = status.members;
  const signers = block.commit.signers.map((index) => memberName(members, index));
  const missing = members.filter((m) => !block.commit.signers.includes(m.index)).map((m) => m.name);
  return {
    title: `Block ${block.height}`,
    live: false,
    node: h(
      'div',
      { id: 'block-detail' },
      h('h1', {}, `Block ${block.height}`, h('span', { class: 'sub' }, timestamp(block.timeMs))),
      panel(
        'Header and finality',
        h(
          'div',
          { class: 'panel-body' },
          fields([
            ['Hash', h('span', { class: 'mono' }, block.hash)],
            ['Previous', block.height > 1 ? link(`#/block/${block.height - 1}`, h('span', { class: 'mono' }, block.previousHash)) : h('span', { class: 'mono' }, `${block.previousHash} (genesis)`)],
            ['Time', `${timestamp(block.timeMs)} (${ago(block.timeMs)})`],
            ['Transactions', `${block.txCount} · Merkle root ${short(block.txRoot, 16)}`],
            ['Proposer', memberName(members, block.proposer)],
            ['Commit', `round ${block.commit.round}, signed by ${signers.join(', ')} (${signers.length} of ${members.length}, ${status.threshold} needed)`],
            missing.length ? ['Not in certificate', missing.join(', ')] : null,
          ]),
        ),
        h('span', { class: 'more' }, block.height < status.height ? link(`#/block/${block.height + 1}`, 'Next block →') : 'tip'),
      ),
      panel('Transactions', table([{ title: '#', num: true, cell: (row) => String(row.position) }, { title: 'Transaction id', cell: (row) => link(`#/tx/${row.txid}`, h('span', { class: 'mono' }, row.txid)) }], block.transactions.map((txid, position) => ({ txid, position })), 'An empty block.')),
    ),
  };
}
