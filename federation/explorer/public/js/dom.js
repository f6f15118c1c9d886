// Small DOM builders. Text always goes in as text nodes, never as HTML, so nothing a member
// serves (names, metadata) can inject markup into the page.

/** h('a', { href: '#/', class: 'x' }, 'text', childNode) */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') element.className = value;
    else if (name === 'style') for (const [property, v] of Object.entries(value)) element.style.setProperty(property, v);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export const link = (href, ...children) => h('a', { href }, ...children);

/** A titled box; `more` is an optional link in its header. */
export function panel(title, body, more) {
  return h('section', { class: 'panel' }, h('div', { class: 'panel-head' }, h('h2', {}, title), more ?? null), body);
}

/**
 * columns: [{ title, cell: (row) => node|string, num?: boolean }]. An empty list says `empty`
 * instead of drawing an empty table.
 */
export function table(columns, rows, empty = 'none yet') {
  if (rows.length === 0) return h('div', { class: 'empty' }, empty);
  return h(
    'table',
    {},
    h('thead', {}, h('tr', {}, columns.map((column) => h('th', { class: column.num ? 'num' : undefined }, column.title)))),
    h('tbody', {}, rows.map((row) => h('tr', {}, columns.map((column) => h('td', { class: column.num ? 'num' : undefined }, column.cell(row)))))),
  );
}

/** A definition list of [label, value] pairs. */
export function fields(pairs) {
  return h('dl', { class: 'fields' }, pairs.filter(Boolean).flatMap(([label, value]) => [h('dt', {}, label), h('dd', {}, value)]));
}

export function card(label, value, note, id) {
  return h('div', { class: 'card', id }, h('div', { class: 'label' }, label), h('div', { class: 'value' }, value), note ? h('div', { class: 'note' }, note) : null);
}

export const badge = (text, tone = '') => h('span', { class: `badge ${tone}` }, text);

/** Confirmations so far out of those required, as a bar and a label. */
export function progress(done, total) {
  const share = total > 0 ? Math.min(1, done / total) : 1;
  return h(
    'div',
    {},
    h('div', { class: `progress${share >= 1 ? ' done' : ''}`, role: 'progressbar', 'aria-valuenow': Math.min(done, total), 'aria-valuemax': total }, h('span', { style: { width: `${share * 100}%` } })),
    h('div', { class: 'progress-label' }, done >= total ? `${done} confirmations (${total} required)` : `${done} of ${total} confirmations`),
  );
}

/**
 * Buttons of a paged list: back to the first page (`first`, when not on it) and on to the next
 * (`hrefFor(next)`, when there is one). `labels` name them for the list's order.
 */
export function pager(next, hrefFor, first, labels = { first: 'Newest', next: 'Older →' }) {
  if (!next && !first) return null;
  return h('div', { class: 'pager' }, first ? h('a', { class: 'button', href: first }, labels.first) : null, next ? h('a', { class: 'button', href: hrefFor(next) }, labels.next) : null);
}
