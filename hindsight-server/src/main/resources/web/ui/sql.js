// SQL console: the tables and their columns, an editor, the result as a grid, CSV download, and
// the queries run before (kept in this browser only).
import {h, show, problem, text, table} from './dom.js';
import {sql, request, download} from './api.js';

const HISTORY = 'hindsight.sql.history';
const TABLES = ['predictions', 'feedback', 'events', 'predictions_with_feedback', 'metrics', 'alerts'];

export async function render() {
  const editor = h('textarea', {id: 'sql', name: 'sql', rows: 8, spellcheck: 'false',
    'aria-describedby': 'sql-help'}, new URLSearchParams(location.search).get('q') || 'SELECT endpoint, count(*) AS records FROM predictions GROUP BY endpoint');
  const result = h('div', {id: 'sql-result', 'aria-live': 'polite'});
  const history = h('ol', {class: 'history'});
  const schema = h('div', {class: 'schema'}, h('p', {class: 'muted'}, 'Loading tables…'));
  editor.addEventListener('keydown', e => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); run(); } });
  const run = async () => {
    const query = editor.value.trim();
    if (!query) return;
    remember(query);
    drawHistory(history, editor);
    result.replaceChildren(h('p', {class: 'muted'}, 'Running…'));
    try {
      const r = await sql(query, [], 1000);
      result.replaceChildren(
        h('p', {}, `${r.rows.length} rows${r.truncated ? ' (the first 1,000; download CSV for more)' : ''} in ${r.elapsed_ms} ms`),
        h('div', {class: 'scroll'}, table(r.columns.map(c => c.name), r.rows, (c, v) => text(v))));
    } catch (e) {
      result.replaceChildren(problem(e.message));
    }
  };
  const csv = async () => {
    try {
      const res = await request('/v1/query', {method: 'POST', body: {sql: editor.value}, accept: 'text/csv'});
      await download(res, 'query.csv');
    } catch (e) {
      result.replaceChildren(problem(e.message));
    }
  };
  show(h('h1', {}, 'SQL'),
    h('div', {class: 'sql-layout'},
      h('aside', {'aria-label': 'Tables'}, h('h2', {}, 'Tables'), schema, h('h2', {}, 'History'), history),
      h('div', {},
        h('label', {for: 'sql'}, 'Query'),
        editor,
        h('p', {id: 'sql-help', class: 'muted'}, 'Read-only SQL over the lake (DuckDB). Ctrl+Enter runs it.'),
        h('div', {class: 'actions'},
          h('button', {type: 'button', id: 'run', onclick: run}, 'Run'), ' ',
          h('button', {type: 'button', id: 'download-csv', onclick: csv}, 'Download CSV')),
        result)));
  drawHistory(history, editor);
  try {
    const r = await sql(`SELECT table_name, column_name, data_type FROM information_schema.columns
      WHERE table_name IN (${TABLES.map(() => '?').join(', ')}) ORDER BY table_name, ordinal_position`, TABLES, 5000);
    const byTable = new Map();
    for (const [t, c, type] of r.rows) (byTable.get(t) || byTable.set(t, []).get(t)).push([c, type]);
    schema.replaceChildren(...[...byTable].map(([t, cols]) => h('details', {},
      h('summary', {}, t),
      h('ul', {}, cols.map(([c, type]) => h('li', {}, h('button', {type: 'button', class: 'link',
        onclick: () => { editor.setRangeText(c, editor.selectionStart, editor.selectionEnd, 'end'); editor.focus(); }}, c), ' ', h('span', {class: 'muted'}, type)))))));
  } catch (e) {
    schema.replaceChildren(problem('The tables could not be listed: ' + e.message));
  }
}

function remember(text) {
  const list = JSON.parse(localStorage.getItem(HISTORY) || '[]').filter(q => q !== text);
  list.unshift(text);
  localStorage.setItem(HISTORY, JSON.stringify(list.slice(0, 30)));
}

function drawHistory(el, editor) {
  const list = JSON.parse(localStorage.getItem(HISTORY) || '[]');
  el.replaceChildren(...(list.length ? list.map(q => h('li', {}, h('button', {type: 'button', class: 'link', title: q,
    onclick: () => { editor.value = q; editor.focus(); }}, q.length > 60 ? q.slice(0, 60) + '…' : q))) : [h('li', {class: 'muted'}, 'No query run yet.')]));
}
