// Home: every endpoint at a glance, and a search box that finds a prediction by its id.
import {h, show, problem, num, text, seg} from './dom.js';
import {get, records} from './api.js';
import {sparkline} from './chart.js';

const FIGURES = ['volume', 'latency_p95', 'error_rate', 'drifted_share', 'accuracy', 'estimated_accuracy',
  'roc_auc', 'estimated_roc_auc', 'mae'];

export async function render() {
  const search = h('form', {class: 'search', role: 'search', onsubmit: e => { e.preventDefault(); find(input.value.trim(), found); }},
    h('label', {for: 'find-id'}, 'Find a prediction by id'),
    h('input', {id: 'find-id', name: 'id', type: 'search', placeholder: 'e.g. txn-123', required: true}),
    h('button', {type: 'submit'}, 'Find'));
  const input = search.querySelector('input');
  const found = h('div', {id: 'found', 'aria-live': 'polite'});
  const list = h('div', {}, h('p', {class: 'muted'}, 'Loading endpoints…'));
  show(h('h1', {}, 'Endpoints'), search, found, list);
  input.focus();
  try {
    const [endpoints, alerts, figures] = await Promise.all([
      get('/v1/endpoints'), get('/v1/alerts').catch(() => ({rules: []})), latestFigures().catch(() => [])]);
    list.replaceChildren(overview(endpoints.endpoints, alerts.rules, figures));
  } catch (e) {
    list.replaceChildren(problem('The endpoints could not be listed: ' + e.message));
  }
}

/** The last day of hourly figures per endpoint and metric, from the metric store. */
function latestFigures() {
  return records(
    `SELECT endpoint, metric, list(value ORDER BY window_start) AS series, arg_max(value, window_start) AS last,
            sum(value) AS total
       FROM metrics
      WHERE granularity = '1h' AND segment = '' AND column_name IS NULL
        AND metric IN (${FIGURES.map(() => '?').join(', ')})
        AND window_start >= (SELECT max(window_start) FROM metrics) - INTERVAL 24 HOUR
      GROUP BY endpoint, metric`, FIGURES);
}

function overview(endpoints, rules, figures) {
  if (!endpoints.length) {
    return h('p', {}, 'No endpoint has logged a prediction yet. Send one to POST /v1/endpoints/{endpoint}/predictions, or run hindsight demo.');
  }
  const fig = (e, m) => figures.find(f => f.endpoint === e && f.metric === m);
  const quality = (e, name) => {
    const real = fig(e, name), est = fig(e, 'estimated_' + name);
    if (!real && !est) return null;
    return `${name}: ${real ? num(real.last) : '—'} realized / ${est ? num(est.last) : '—'} estimated`;
  };
  const rows = endpoints.map(ep => {
    const e = ep.endpoint;
    const volume = fig(e, 'volume');
    const firing = rules.filter(r => r.endpoint === e && r.state === 'firing');
    const drift = fig(e, 'drifted_share');
    return h('tr', {},
      h('th', {scope: 'row'}, h('a', {href: '/endpoints/' + seg(e)}, e), ' ',
        h('a', {class: 'small', href: '/endpoints/' + seg(e) + '/predictions'}, 'predictions')),
      h('td', {class: 'num'}, num(ep.records)),
      h('td', {}, text(ep.last_ts)),
      h('td', {}, volume ? [sparkline(volume.series, `hourly volume, last ${num(volume.last)}`), ' ', num(volume.total)] : '—'),
      h('td', {class: 'num'}, fig(e, 'latency_p95') ? num(fig(e, 'latency_p95').last) + ' ms' : '—'),
      h('td', {class: 'num'}, fig(e, 'error_rate') ? (100 * fig(e, 'error_rate').last).toFixed(2) + ' %' : '—'),
      h('td', {}, drift ? h('span', {class: drift.last >= 0.5 ? 'bad' : 'ok'},
        drift.last >= 0.5 ? 'drifted' : 'stable', ` (${Math.round(100 * drift.last)} % of features)`) : '—'),
      h('td', {}, quality(e, 'accuracy') || quality(e, 'roc_auc') || quality(e, 'mae') || '—'),
      h('td', {}, firing.length ? h('a', {href: '/alerts', class: 'bad'}, `${firing.length} firing: ${firing.map(r => r.name).join(', ')}`) : 'none'));
  });
  return h('table', {class: 'overview'},
    h('caption', {}, 'Figures of the last 24 hours from the metric store'),
    h('thead', {}, h('tr', {}, ['endpoint', 'records', 'last record', 'volume (24 h)', 'latency p95', 'error rate',
      'drift', 'quality', 'firing alerts'].map(c => h('th', {scope: 'col'}, c)))),
    h('tbody', {}, rows));
}

async function find(id, out) {
  if (!id) return;
  out.replaceChildren(h('p', {class: 'muted'}, 'Searching…'));
  try {
    const hits = await records(
      'SELECT endpoint, prediction_id, ts FROM predictions WHERE prediction_id = ? ORDER BY ts DESC LIMIT 20', [id]);
    if (hits.length === 1) {
      location.assign('/endpoints/' + seg(hits[0].endpoint) + '/predictions/' + seg(hits[0].prediction_id));
    } else if (hits.length === 0) {
      out.replaceChildren(problem(`No prediction has the id "${id}". Ids match exactly; records are visible about a second after they are logged.`));
    } else {
      out.replaceChildren(h('p', {}, `${hits.length} predictions have this id:`),
        h('ul', {}, hits.map(r => h('li', {}, h('a', {href: `/endpoints/${seg(r.endpoint)}/predictions/${seg(r.prediction_id)}`},
          `${r.endpoint} at ${r.ts}`)))));
    }
  } catch (e) {
    out.replaceChildren(problem('The search failed: ' + e.message));
  }
}
