// Sections for parts of Strongbox whose API routes a member may not serve yet. Each entry names
// the route it reads and the list in its answer; while the route is missing the section says
// "none yet". Showing a new feature is adding an entry (and, if wanted, a `columns` list).
import { get, pageQuery, RouteMissing } from '../api.js';
import { loadAssets } from '../assets.js';
import { fields, h, pager, panel, table } from '../dom.js';
import { fieldLabel, valueNode } from '../values.js';

export const OPTIONAL_SECTIONS = [
  { route: 'pegouts', title: 'Peg-outs', path: '/pegout/burns', list: 'burns', intro: 'Pegged BTC burned on the sidechain, and the Bitcoin transactions that paid it out.' },
  { route: 'anchors', title: 'Anchors', path: '/anchors', list: 'anchors', intro: 'Sidechain block hashes written into Bitcoin, with their Bitcoin confirmations.' },
  { route: 'reserves', title: 'Reserves', path: '/reserves', list: null, intro: "Proof of reserves as this member sees it: the escrow outputs its chain names, looked up in its own Bitcoin node, against the pegged BTC outstanding and the final burns not paid yet.", labels: { height: 'Chain height checked' } },
];

/** The columns of a list nobody described: every key the rows have, in first-seen order. */
function columnsOf(rows) {
  const names = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  return names.map((name) => ({ title: fieldLabel(name), cell: (row) => valueNode(name, row[name]) }));
}

const PAGE = 25;

export function optionalView(section) {
  return async (_params, query) => {
    const heading = h('h1', {}, section.title, h('span', { class: 'sub' }, section.intro));
    // A list is paged, newest first, as the explorer's other lists are; a single answer is not.
    const cursor = section.list ? query.get('cursor') : null;
    let answer;
    try {
      answer = await get(section.list ? `${section.path}${pageQuery(PAGE, cursor)}` : section.path);
    } catch (error) {
      if (!(error instanceof RouteMissing)) throw error;
      return { title: section.title, live: false, node: h('div', { id: `${section.route}-view` }, heading, panel(section.title, h('div', { class: 'empty' }, `None yet: this member does not serve ${section.path} yet.`))) };
    }
    const rows = section.list ? answer[section.list] ?? [] : null;
    if (rows) await loadAssets(rows.map((row) => row.asset).filter(Boolean));
    const body = rows
      ? [table(section.columns ?? columnsOf(rows), rows, cursor ? 'No older ones.' : 'None yet.'), pager(answer.next, (next) => `#/${section.route}?cursor=${next}`, cursor ? `#/${section.route}` : null)]
      : h('div', { class: 'panel-body' }, fields(Object.entries(answer).map(([name, value]) => [section.labels?.[name] ?? fieldLabel(name), valueNode(name, value)])));
    return { title: section.title, live: !cursor, node: h('div', { id: `${section.route}-view` }, heading, panel(section.title, body)) };
  };
}
