// Explorer: an endpoint's predictions, filtered, sorted and paged by cursor. Every filter lives in
// the page's address, and the address's query string is exactly what the API takes, so a shared
// link shows the same rows.
import {h, show, problem, text, seg} from './dom.js';
import {get} from './api.js';

const FILTERS = ['from', 'to', 'version', 'status', 'decision', 'feedback', 'id'];

export async function render({endpoint}) {
  const params = new URLSearchParams(location.search);
  let schema;
  try {
    schema = await get(`/v1/endpoints/${seg(endpoint)}/schema`);
  } catch (e) {
    show(h('h1', {}, `Predictions of ${endpoint}`), problem(e.message));
    return;
  }
  const names = schema.columns.map(c => c.name).filter(n => !n.startsWith('_'));
  const hasDecision = names.some(n => n.toLowerCase() === 'decision');
  const result = h('div', {id: 'result', 'aria-live': 'polite'});
  show(
    h('p', {class: 'crumbs'}, h('a', {href: '/'}, 'Endpoints'), ' / ', h('a', {href: '/endpoints/' + seg(endpoint)}, endpoint)),
    h('h1', {}, `Predictions of ${endpoint}`),
    filterForm(params, names, hasDecision, endpoint),
    result);
  await load(endpoint, params, result);
}

function field(id, label, value, attrs = {}) {
  return h('div', {class: 'field'}, h('label', {for: 'f-' + id}, label),
    h('input', {id: 'f-' + id, name: id, value: value || '', ...attrs}));
}

function filterForm(params, names, hasDecision, endpoint) {
  const tags = [...params.entries()].filter(([k]) => k.startsWith('tags.')).map(([k, v]) => `${k.slice(5)}=${v}`).join(', ');
  const chosen = (params.get('columns') || '').split(',').filter(Boolean);
  const form = h('form', {class: 'filters', 'aria-label': 'Filters', onsubmit: e => { e.preventDefault(); apply(form, endpoint); }},
    field('id', 'Id (or its beginning)', params.get('id'), {type: 'search'}),
    field('from', 'From (UTC, RFC 3339)', params.get('from'), {placeholder: '2026-11-30T00:00:00Z'}),
    field('to', 'To (UTC)', params.get('to'), {placeholder: '2026-12-01T00:00:00Z'}),
    field('version', 'Model version', params.getAll('version').join(', ')),
    hasDecision ? field('decision', 'Decision', params.get('decision')) : null,
    field('tags', 'Tags (name=value, …)', tags, {placeholder: 'segment=high_value'}),
    h('div', {class: 'field'}, h('label', {for: 'f-status'}, 'Status'),
      select('status', params.get('status'), [['', 'any'], ['ok', 'ok'], ['error', 'error']])),
    h('div', {class: 'field'}, h('label', {for: 'f-feedback'}, 'Feedback'),
      select('feedback', params.get('feedback'), [['', 'any'], ['present', 'present'], ['absent', 'absent']])),
    h('div', {class: 'field wide'}, h('label', {for: 'f-where'}, 'Conditions, one a line (key op value; op = != > >= < <= ~, or key is null)'),
      h('textarea', {id: 'f-where', name: 'where', rows: 2, placeholder: 'amount > 100'}, params.getAll('where').join('\n'))),
    h('details', {class: 'columns'}, h('summary', {}, 'Columns'),
      h('fieldset', {}, h('legend', {}, 'Columns to show (none ticked: the usual ones)'),
        names.map(n => h('label', {class: 'check'}, h('input', {type: 'checkbox', name: 'col', value: n, checked: chosen.includes(n)}), ' ', n)))),
    h('div', {class: 'actions'}, h('button', {type: 'submit'}, 'Apply filters'), ' ',
      h('a', {href: `/endpoints/${seg(endpoint)}/predictions`}, 'Clear')));
  return form;
}

function select(name, value, options) {
  return h('select', {id: 'f-' + name, name}, options.map(([v, label]) => h('option', {value: v, selected: (value || '') === v}, label)));
}

/** The form as URL parameters, written to the address (a new history entry) and loaded. */
function apply(form, endpoint) {
  const data = new FormData(form);
  const p = new URLSearchParams();
  for (const name of FILTERS) {
    const v = (data.get(name) || '').trim();
    if (!v) continue;
    if (name === 'version') v.split(',').map(s => s.trim()).filter(Boolean).forEach(s => p.append('version', s));
    else p.set(name, v);
  }
  for (const pair of (data.get('tags') || '').split(',')) {
    const i = pair.indexOf('=');
    if (i > 0) p.append('tags.' + pair.slice(0, i).trim(), pair.slice(i + 1).trim());
  }
  for (const line of (data.get('where') || '').split('\n')) if (line.trim()) p.append('where', line.trim());
  const cols = data.getAll('col');
  if (cols.length) p.set('columns', cols.join(','));
  const old = new URLSearchParams(location.search);
  for (const keep of ['sort', 'order', 'limit']) if (old.get(keep)) p.set(keep, old.get(keep));
  navigate(endpoint, p);
}

function navigate(endpoint, p) {
  history.pushState(null, '', `/endpoints/${seg(endpoint)}/predictions` + (p.toString() ? '?' + p : ''));
  window.dispatchEvent(new PopStateEvent('popstate'));
}

async function load(endpoint, params, out) {
  out.replaceChildren(h('p', {class: 'muted'}, 'Loading…'));
  const query = params.toString();
  let page;
  try {
    page = await get(`/v1/endpoints/${seg(endpoint)}/predictions` + (query ? '?' + query : ''));
  } catch (e) {
    out.replaceChildren(problem('The predictions could not be read: ' + e.message));
    return;
  }
  const exportParams = new URLSearchParams(params);
  exportParams.delete('after');
  exportParams.delete('limit');
  const exportUrl = fmt => { const p = new URLSearchParams(exportParams); p.set('format', fmt); return `/v1/endpoints/${seg(endpoint)}/predictions?${p}`; };
  const sort = params.get('sort') || 'ts';
  const order = params.get('order') || 'desc';
  const header = c => {
    const active = c.toLowerCase() === sort.toLowerCase();
    const next = new URLSearchParams(params);
    next.delete('after');
    next.set('sort', c);
    next.set('order', active && order === 'desc' ? 'asc' : 'desc');
    return h('th', {scope: 'col', 'aria-sort': active ? (order === 'desc' ? 'descending' : 'ascending') : null},
      h('button', {type: 'button', class: 'sort', onclick: () => navigate(endpoint, next)},
        c, active ? (order === 'desc' ? ' ▼' : ' ▲') : ''));
  };
  const idIndex = page.columns.indexOf('prediction_id');
  const rows = page.rows.map(r => h('tr', {}, r.map((v, i) => h('td', {},
    i === idIndex ? h('a', {href: `/endpoints/${seg(endpoint)}/predictions/${seg(v)}`}, v) : text(v)))));
  const next = new URLSearchParams(params);
  if (page.next) next.set('after', page.next);
  const first = new URLSearchParams(params);
  first.delete('after');
  out.replaceChildren(
    h('div', {class: 'toolbar'},
      h('span', {}, `${page.rows.length} rows on this page (${page.elapsed_ms} ms)`),
      h('a', {href: exportUrl('csv'), download: `${endpoint}-predictions.csv`}, 'Export CSV'),
      h('a', {href: exportUrl('parquet'), download: `${endpoint}-predictions.parquet`}, 'Export Parquet')),
    page.rows.length ? h('div', {class: 'scroll'}, h('table', {class: 'grid', id: 'predictions'},
      h('caption', {}, 'Predictions matching the filters'),
      h('thead', {}, h('tr', {}, page.columns.map(header))),
      h('tbody', {}, rows))) : h('p', {}, 'No prediction matches these filters.'),
    h('nav', {class: 'pager', 'aria-label': 'Pages'},
      params.get('after') ? h('button', {type: 'button', onclick: () => navigate(endpoint, first)}, 'First page') : null,
      params.get('after') ? h('button', {type: 'button', onclick: () => history.back()}, 'Previous page') : null,
      page.next ? h('button', {type: 'button', id: 'next-page', onclick: () => navigate(endpoint, next)}, 'Next page') : null));
}
