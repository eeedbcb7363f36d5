// Dashboards: any metric of the store over time, all rows or side by side per segment or model
// version, with events (deploys, alerts) drawn on it. Metric, range and segments live in the URL.
import {h, show, problem, seg} from './dom.js';
import {get, records} from './api.js';
import {timeChart} from './chart.js';

const WINDOW = ['volume', 'error_rate', 'latency_p50', 'latency_p95', 'latency_p99', 'feedback_count', 'labeled_share',
  'drifted_share', 'prediction_drift'];
const PER_COLUMN = ['missing_share', 'conflict_count', 'mean', 'std', 'min', 'max', 'p50', 'distinct_count', 'drift', 'drifted'];
const QUALITY = ['accuracy', 'precision', 'recall', 'f1', 'roc_auc', 'pr_auc', 'log_loss', 'brier', 'positive_rate', 'mae', 'rmse', 'r2'];
const METRICS = [...WINDOW, ...PER_COLUMN, ...QUALITY, ...QUALITY.map(q => 'estimated_' + q)];
const RANGES = [['P1D', 'last day'], ['P7D', 'last 7 days'], ['P30D', 'last 30 days'], ['P90D', 'last 90 days']];
const DAYS = {P1D: 1, P7D: 7, P30D: 30, P90D: 90};

export async function render({endpoint}) {
  const p = new URLSearchParams(location.search);
  const metric = p.get('metric') || 'volume';
  const column = p.get('column') || '';
  const by = p.get('by') || '';
  const range = p.get('range') || 'P7D';
  const to = p.get('to') ? new Date(p.get('to')) : new Date();
  const from = p.get('from') ? new Date(p.get('from')) : new Date(to.getTime() - (DAYS[range] || 7) * 86400e3);
  const granularity = p.get('granularity') || ((to - from) > 8 * 86400e3 ? '1d' : '1h');
  let columns = [];
  try {
    columns = (await get(`/v1/endpoints/${seg(endpoint)}/schema`)).columns.filter(c => !c.system).map(c => c.name);
  } catch (e) { /* the form still works with a typed column */ }
  const chart = h('div', {class: 'chart', id: 'chart', role: 'img', 'aria-label': `${metric} of ${endpoint} over time`});
  const status = h('div', {'aria-live': 'polite'});
  const form = h('form', {class: 'filters', 'aria-label': 'Chart settings', onsubmit: e => { e.preventDefault(); apply(form, endpoint); }},
    h('div', {class: 'field'}, h('label', {for: 'd-metric'}, 'Metric'),
      h('select', {id: 'd-metric', name: 'metric'}, METRICS.map(m => h('option', {value: m, selected: m === metric}, m)))),
    h('div', {class: 'field'}, h('label', {for: 'd-column'}, 'Column (per-column metrics)'),
      h('select', {id: 'd-column', name: 'column'}, h('option', {value: ''}, '—'), columns.map(c => h('option', {value: c, selected: c === column}, c)))),
    h('div', {class: 'field'}, h('label', {for: 'd-by'}, 'Side by side'),
      h('select', {id: 'd-by', name: 'by'}, [['', 'all rows'], ['model_version', 'per model version'], ['tags.', 'per segment (any tag)']]
        .map(([v, l]) => h('option', {value: v, selected: v === by}, l)))),
    h('div', {class: 'field'}, h('label', {for: 'd-range'}, 'Time range'),
      h('select', {id: 'd-range', name: 'range'}, RANGES.map(([v, l]) => h('option', {value: v, selected: v === range && !p.get('from')}, l)))),
    h('div', {class: 'field'}, h('label', {for: 'd-granularity'}, 'Step'),
      h('select', {id: 'd-granularity', name: 'granularity'}, [['1h', 'hour'], ['1d', 'day']].map(([v, l]) => h('option', {value: v, selected: v === granularity}, l)))),
    h('div', {class: 'actions'}, h('button', {type: 'submit'}, 'Show')));
  show(
    h('p', {class: 'crumbs'}, h('a', {href: '/'}, 'Endpoints'), ' / ', endpoint, ' · ',
      h('a', {href: `/endpoints/${seg(endpoint)}/predictions`}, 'explore predictions')),
    h('h1', {}, `Dashboard of ${endpoint}`), form,
    h('p', {class: 'muted'}, `${from.toISOString()} to ${to.toISOString()} (UTC). Drag across the chart to zoom in. `,
      p.get('from') ? h('button', {type: 'button', class: 'link', onclick: () => {
        const reset = new URLSearchParams(location.search);
        reset.delete('from');
        reset.delete('to');
        go(endpoint, reset);
      }}, 'Reset zoom') : null),
    status, chart);
  try {
    const segments = await segmentsOf(endpoint, metric, by);
    const series = [];
    for (const s of segments) {
      const q = new URLSearchParams({metric, granularity, segment: s, from: from.toISOString(), to: to.toISOString()});
      if (column) q.set('column', column);
      const r = await get(`/v1/endpoints/${seg(endpoint)}/metrics?${q}`);
      series.push({label: s || 'all rows', points: r.points.map(pt => ({t: Date.parse(pt.window_start) / 1000, v: pt.value}))});
    }
    const marks = (await records(
      `SELECT ts, kind, text FROM events WHERE endpoint = ? AND ts BETWEEN CAST(? AS TIMESTAMPTZ) AND CAST(? AS TIMESTAMPTZ)
        ORDER BY ts LIMIT 200`, [endpoint, from.toISOString(), to.toISOString()]))
      .map(e => ({t: Date.parse(e.ts) / 1000, kind: e.kind, label: `${e.kind}: ${e.text || ''}`}));
    if (!series.some(s => s.points.length)) {
      status.replaceChildren(problem(`The metric store has no ${metric}${column ? ' of ' + column : ''} for ${endpoint} in this range.`
        + (PER_COLUMN.includes(metric) && !column ? ' This metric is per column: choose one.' : '')));
      return;
    }
    status.replaceChildren(h('p', {}, `${series.length} series, ${marks.length} events marked.`));
    timeChart(chart, series, marks, (a, b) => {
      const next = new URLSearchParams(location.search);
      next.set('from', new Date(a * 1000).toISOString());
      next.set('to', new Date(b * 1000).toISOString());
      go(endpoint, next);
    });
  } catch (e) {
    status.replaceChildren(problem(e.message));
  }
}

/** The store's segments to draw: '' alone, or each value of model_version / a tag. */
async function segmentsOf(endpoint, metric, by) {
  if (!by) return [''];
  const rows = await records(
    `SELECT DISTINCT segment FROM metrics WHERE endpoint = ? AND metric = ? AND starts_with(segment, ?) ORDER BY segment LIMIT 8`,
    [endpoint, metric, by === 'model_version' ? 'model_version=' : 'tags.']);
  return rows.length ? rows.map(r => r.segment) : [''];
}

function apply(form, endpoint) {
  const d = new FormData(form);
  const p = new URLSearchParams();
  for (const k of ['metric', 'column', 'by', 'range', 'granularity']) if (d.get(k)) p.set(k, d.get(k));
  go(endpoint, p);
}

function go(endpoint, p) {
  history.pushState(null, '', `/endpoints/${seg(endpoint)}?${p}`);
  window.dispatchEvent(new PopStateEvent('popstate'));
}
