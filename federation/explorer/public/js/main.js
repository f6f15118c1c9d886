// The explorer's shell: hash routes, navigation, search, and live refresh of the current view.
import { find, get } from './api.js';
import { btcAssetId } from './assets.js';
import { h } from './dom.js';
import { addressView } from './views/address.js';
import { assetDetail, assetList } from './views/assets.js';
import { blockDetail, blockList } from './views/blocks.js';
import { OPTIONAL_SECTIONS, optionalView } from './views/optional.js';
import { overview } from './views/overview.js';
import { peginDetail, peginList } from './views/pegins.js';
import { transactionDetail, transactionList } from './views/transactions.js';

const REFRESH_MS = 2_000;
const HEX_ID = '([0-9a-f]{64})';

/** [pattern, view, nav entry it belongs to] */
const ROUTES = [
  [/^$/, overview, 'overview'],
  [/^blocks$/, blockList, 'blocks'],
  [/^block\/(\d+)$/, blockDetail, 'blocks'],
  [/^txs$/, transactionList, 'txs'],
  [new RegExp(`^tx/${HEX_ID}$`), transactionDetail, 'txs'],
  [/^address\/(sbx1[0-9a-z]+)$/, addressView, null],
  [/^assets$/, assetList, 'assets'],
  [new RegExp(`^asset/${HEX_ID}$`), assetDetail, 'assets'],
  [/^pegins$/, peginList, 'pegins'],
  [new RegExp(`^pegin/${HEX_ID}$`), peginDetail, 'pegins'],
  [/^search\/(.+)$/, searchMiss, null],
  ...OPTIONAL_SECTIONS.map((section) => [new RegExp(`^${section.route}$`), optionalView(section), section.route]),
];

const NAV = [
  ['overview', 'Overview', '#/'],
  ['blocks', 'Blocks', '#/blocks'],
  ['txs', 'Transactions', '#/txs'],
  ['assets', 'Assets', '#/assets'],
  ['pegins', 'Peg-ins', '#/pegins'],
  ...OPTIONAL_SECTIONS.map((section) => [section.route, section.title, `#/${section.route}`]),
];

function currentRoute() {
  const [path, search] = location.hash.replace(/^#\/?/, '').split('?');
  for (const [pattern, view, nav] of ROUTES) {
    const match = pattern.exec(path);
    if (match) return { view, nav, params: match.slice(1), query: new URLSearchParams(search ?? '') };
  }
  return { view: null, nav: null, params: [], query: new URLSearchParams() };
}

function renderNav(active) {
  const nav = document.getElementById('nav');
  nav.replaceChildren(...NAV.map(([id, label, href]) => h('a', { href, class: id === active ? 'active' : undefined, 'data-nav': id }, label)));
}

let generation = 0;
let timer;

/** Renders the view for the current hash; a newer navigation wins over a slower older render. */
async function render() {
  const mine = ++generation;
  clearTimeout(timer);
  const route = currentRoute();
  renderNav(route.nav);
  const target = document.getElementById('view');
  let result;
  try {
    result = route.view ? await route.view(route.params, route.query) : { title: 'Not found', live: false, node: h('div', { class: 'empty' }, `Nothing at ${location.hash}.`) };
  } catch (error) {
    result = { title: 'Error', live: true, node: h('div', { class: 'alert bad error' }, `Could not load this page: ${error.message}`) };
  }
  if (mine !== generation) return;
  target.replaceChildren(result.node);
  document.title = `${result.title} · Strongbox explorer`;
  document.getElementById('updated').textContent = `updated ${new Date().toLocaleTimeString()}`;
  document.body.dataset.rendered = String(Number(document.body.dataset.rendered ?? 0) + 1);
  if (result.live) timer = setTimeout(refresh, REFRESH_MS);
}

function refresh() {
  if (document.visibilityState === 'hidden') timer = setTimeout(refresh, REFRESH_MS);
  else void render();
}

/**
 * Where a search term leads: a height, an address, or a 64-hex id: of a transaction, an asset or
 * a block, or a Bitcoin txid, which leads to the anchor or settlement record naming it, or else
 * to the deposit it pays.
 */
async function searchTarget(term) {
  if (/^\d+$/.test(term)) return `#/block/${term}`;
  if (/^sbx1[0-9a-z]+$/.test(term)) return `#/address/${term}`;
  if (!/^[0-9a-f]{64}$/.test(term)) return null;
  if (await find(`/tx/${term}`)) return `#/tx/${term}`;
  if (await find(`/assets/${term}`)) return `#/asset/${term}`;
  const block = await find(`/blocks/by-hash/${term}`);
  if (block) return `#/block/${block.height}`;
  const record = await find(`/bitcoin-records/${term}`);
  if (record) return `#/tx/${record.txid}`;
  const deposit = await find(`/pegin/deposits/${term}`).catch(() => null);
  if (deposit?.deposits?.length) return `#/pegin/${term}`;
  return null;
}

function searchMiss([encoded]) {
  let term;
  try {
    term = decodeURIComponent(encoded);
  } catch {
    term = encoded;
  }
  return { title: 'Not found', live: false, node: h('div', { class: 'alert warn', id: 'search-miss' }, `No block, transaction, address, asset or deposit matches "${term}".`) };
}

async function search(event) {
  event.preventDefault();
  const input = document.getElementById('search-input');
  const term = input.value.trim().toLowerCase();
  if (!term) return;
  const target = await searchTarget(term);
  if (target) {
    input.value = '';
    location.hash = target;
  } else {
    // A page of its own, not a message drawn over the current view: that view's live refresh
    // would draw over it within seconds, and the menu would not lead back to a page already open.
    location.hash = `#/search/${encodeURIComponent(term)}`;
  }
}

async function start() {
  document.getElementById('search').addEventListener('submit', (event) => void search(event));
  window.addEventListener('hashchange', () => void render());
  try {
    const status = await get('/status');
    const self = status.members.find((member) => member.index === status.memberIndex);
    document.getElementById('served-by').textContent = `${status.network} · served by member ${status.memberIndex}${self ? ` (${self.name})` : ''}`;
    await btcAssetId();
  } catch (error) {
    document.getElementById('served-by').textContent = `member unreachable: ${error.message}`;
  }
  await render();
}

void start();
