// Builds the page from data without ever parsing data as HTML: text goes in as text nodes, and
// links may only point at this server's own paths, so a logged "<script>" or "javascript:" value
// shows as the characters it is.

/** An element: h('a', {href: '/x', class: 'y'}, 'text', child, ...). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2), value);
    } else if (name === 'href' || name === 'src' || name === 'action') {
      el.setAttribute(name, localUrl(value));
    } else if (value === true) {
      el.setAttribute(name, '');
    } else {
      el.setAttribute(name, String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** A path of this server, or '#' for anything else (another site, javascript:, data:). */
export function localUrl(value) {
  const s = String(value);
  if (s.startsWith('/') && !s.startsWith('//') && !s.startsWith('/\\')) return s;
  if (s.startsWith('#') || s.startsWith('?') || s.startsWith('blob:')) return s;
  return '#';
}

/** Replaces the content of the main area. */
export function show(...children) {
  const main = document.getElementById('main');
  main.replaceChildren();
  append(main, children);
}

/** A value as readable text: JSON for objects and arrays, '—' for missing. */
export function text(v) {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** A number with a few significant digits. */
export function num(v, digits = 3) {
  if (v === null || v === undefined || v === '') return '—';
  const n = Number(v);
  if (!Number.isFinite(n)) return String(v);
  if (Number.isInteger(n)) return n.toLocaleString('en');
  return n.toPrecision(digits);
}

/** An error said in words where the page would have been. */
export function problem(message) {
  return h('p', {class: 'error', role: 'alert'}, message);
}

/** A table from column names and rows of values; cell(col, value, row) may return a node. */
export function table(columns, rows, cell = (c, v) => text(v), caption) {
  return h('table', {},
    caption ? h('caption', {}, caption) : null,
    h('thead', {}, h('tr', {}, columns.map(c => h('th', {scope: 'col'}, c)))),
    h('tbody', {}, rows.map(r => h('tr', {}, r.map((v, i) => h('td', {}, cell(columns[i], v, r)))))));
}

/** A path segment, encoded. */
export const seg = s => encodeURIComponent(s);
