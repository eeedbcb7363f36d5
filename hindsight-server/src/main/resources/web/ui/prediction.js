// One prediction: everything logged with it, its feedback over time, the events around it and
// predictions like it.
import {h, show, problem, text, num, seg, table} from './dom.js';
import {get, records} from './api.js';
import {checkAuditProof} from './audit-proof.js';
import {isMediaReference, mediaPreview} from './media-preview.js';

/** Keys shown in their own sections; everything else is listed under "Other values". */
const INPUTS = ['inputs', 'input', 'raw_inputs', 'request', 'text', 'prompt'];
const FEATURES = ['features'];
const STAGES = ['stages', 'members', 'ensemble', 'pipeline', 'intermediate'];
const OUTCOME = ['probabilities', 'probability', 'score', 'decision', 'action', 'reasons', 'prediction', 'label'];

export async function render({endpoint, id}) {
  const crumbs = h('p', {class: 'crumbs'}, h('a', {href: '/'}, 'Endpoints'), ' / ',
    h('a', {href: '/endpoints/' + seg(endpoint)}, endpoint), ' / ',
    h('a', {href: `/endpoints/${seg(endpoint)}/predictions`}, 'predictions'));
  let found;
  try {
    found = await get(`/v1/endpoints/${seg(endpoint)}/predictions/${seg(id)}`);
  } catch (e) {
    show(crumbs, h('h1', {}, `Prediction ${id}`), problem(e.message));
    return;
  }
  const p = found.prediction;
  // Media references get a section of previews instead of their JSON text.
  const media = Object.entries(p.data || {}).filter(([, v]) => isMediaReference(v));
  const data = Object.fromEntries(Object.entries(p.data || {}).filter(([, v]) => !isMediaReference(v)));
  const pick = keys => Object.entries(data).filter(([k]) => keys.includes(k.toLowerCase()));
  const known = [...INPUTS, ...FEATURES, ...STAGES, ...OUTCOME];
  const others = Object.entries(data).filter(([k]) => !known.includes(k.toLowerCase()));
  const around = h('section', {'aria-labelledby': 'h-events'}, h('h2', {id: 'h-events'}, 'Events around it'), h('p', {class: 'muted'}, 'Loading…'));
  const audit = h('section', {'aria-labelledby': 'h-audit', id: 'audit-proof', 'aria-live': 'polite'}, h('h2', {id: 'h-audit'}, 'Audit proof'), h('p', {class: 'muted'}, 'Checking…'));
  const similar = h('section', {'aria-labelledby': 'h-similar'}, h('h2', {id: 'h-similar'}, 'Similar predictions'), h('p', {class: 'muted'}, 'Loading…'));
  show(crumbs,
    h('h1', {}, `Prediction ${p.prediction_id}`),
    h('div', {class: 'story'}, h('section', {'aria-labelledby': 'h-summary'}, h('h2', {id: 'h-summary'}, 'Summary'),
      keyValues([['endpoint', p.endpoint], ['time (UTC)', p.ts], ['model version', p.model_version],
        ['status', p.status], ['error', p.error], ['latency', p.latency_ms === undefined ? null : num(p.latency_ms) + ' ms'],
        ['request id', p.request_id], ['sample rate', p.sample_rate], ['tags', p.tags]])),
    outcome(data),
    mediaSection(media),
    section('Inputs', pick(INPUTS)),
    section('Features', pick(FEATURES)),
    section('Intermediate stages', pick(STAGES)),
    section('Other values', others),
    p.conflicts ? section('Values that contradicted the schema', Object.entries(p.conflicts)) : null,
    feedbackSection(found.feedback || []),
    around, similar,
    audit));
  events(endpoint, p.ts, around);
  lookalikes(endpoint, p, similar);
  checkAuditProof(endpoint, found, audit);
}

function keyValues(pairs) {
  return h('dl', {class: 'kv'}, pairs.filter(([, v]) => v !== undefined && v !== null).flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, value(v))]));
}

/** A value: scalars as text, objects and arrays as indented JSON text. */
function value(v) {
  if (v !== null && typeof v === 'object') return h('pre', {}, JSON.stringify(v, null, 2));
  return text(v);
}

function section(title, entries) {
  if (!entries.length) return null;
  const id = 'h-' + title.toLowerCase().replace(/[^a-z]+/g, '-');
  return h('section', {'aria-labelledby': id}, h('h2', {id}, title), keyValues(entries));
}

function outcome(data) {
  const get = k => Object.entries(data).find(([key]) => key.toLowerCase() === k)?.[1];
  const probs = get('probabilities');
  const reasons = get('reasons');
  const parts = [];
  if (get('decision') !== undefined) parts.push(h('p', {class: 'decision'}, 'Decision: ', h('strong', {}, text(get('decision')))));
  if (get('action') !== undefined) parts.push(h('p', {}, 'Action: ', h('strong', {}, text(get('action')))));
  if (get('score') !== undefined) parts.push(h('p', {}, 'Score: ', num(get('score'), 4)));
  if (Array.isArray(reasons) && reasons.length) {
    parts.push(h('h3', {}, 'Reasons'), h('ol', {}, reasons.map(r => h('li', {},
      typeof r === 'object' && r ? [h('code', {}, text(r.code)), r.text ? ' — ' + r.text : '', r.contribution !== undefined ? ` (${num(r.contribution)})` : ''] : text(r)))));
  }
  if (probs && typeof probs === 'object') {
    const entries = Array.isArray(probs) ? probs.map((v, i) => [`class ${i}`, v]) : Object.entries(probs);
    parts.push(h('h3', {}, 'Probabilities'), h('ul', {class: 'bars'}, entries.map(([k, v]) => h('li', {},
      h('span', {class: 'bar-label'}, k), h('meter', {min: 0, max: 1, value: Number(v) || 0, 'aria-label': k}), ' ', num(v, 4)))));
  }
  if (!parts.length) return null;
  return h('section', {'aria-labelledby': 'h-outcome'}, h('h2', {id: 'h-outcome'}, 'Decision and probabilities'), parts);
}

function mediaSection(media) {
  if (!media.length) return null;
  return h('section', {'aria-labelledby': 'h-media', id: 'media'}, h('h2', {id: 'h-media'}, 'Media'),
    media.map(([key, ref]) => mediaPreview(key, ref)));
}

function feedbackSection(feedback) {
  const body = feedback.length
    ? table(['time (UTC)', 'values'], feedback.map(f => [f.ts, f.data]), (c, v) => value(v), 'Feedback in the order it arrived; the latest value of a key counts')
    : h('p', {}, 'No feedback has arrived for this prediction yet.');
  return h('section', {'aria-labelledby': 'h-feedback'}, h('h2', {id: 'h-feedback'}, 'Feedback over time'), body);
}

async function events(endpoint, ts, out) {
  try {
    const rows = await records(
      `SELECT ts, kind, text FROM events WHERE endpoint = ?
          AND ts BETWEEN CAST(? AS TIMESTAMPTZ) - INTERVAL 1 DAY AND CAST(? AS TIMESTAMPTZ) + INTERVAL 1 DAY
        ORDER BY abs(epoch(ts) - epoch(CAST(? AS TIMESTAMPTZ))) LIMIT 20`, [endpoint, ts, ts, ts]);
    out.replaceChildren(out.firstChild, rows.length
      ? table(['time (UTC)', 'kind', 'text'], rows.map(r => [r.ts, r.kind, r.text]), undefined, 'Events within a day, nearest first')
      : h('p', {}, 'No event within a day of this prediction.'));
  } catch (e) {
    out.replaceChildren(out.firstChild, problem('The events could not be read: ' + e.message));
  }
}

async function lookalikes(endpoint, p, out) {
  const segment = p.tags && p.tags.segment;
  try {
    const rows = await records(
      `SELECT prediction_id, ts, latency_ms, status FROM predictions
        WHERE endpoint = ? AND model_version IS NOT DISTINCT FROM ? AND prediction_id <> ?
          AND (CAST(? AS VARCHAR) IS NULL OR tags['segment'] = ?)
          AND date BETWEEN CAST(? AS DATE) - 1 AND CAST(? AS DATE) + 1
          AND ts BETWEEN CAST(? AS TIMESTAMPTZ) - INTERVAL 1 HOUR AND CAST(? AS TIMESTAMPTZ) + INTERVAL 1 HOUR
        ORDER BY abs(epoch(ts) - epoch(CAST(? AS TIMESTAMPTZ))) LIMIT 10`,
      [endpoint, p.model_version ?? null, p.prediction_id, segment ?? null, segment ?? null, p.ts.slice(0, 10), p.ts.slice(0, 10), p.ts, p.ts, p.ts]);
    const what = `same model version${segment ? ' and segment ' + segment : ''}, within an hour, nearest first`;
    out.replaceChildren(out.firstChild, rows.length
      ? table(['prediction', 'time (UTC)', 'latency ms', 'status'], rows.map(r => [r.prediction_id, r.ts, r.latency_ms, r.status]),
        (c, v) => c === 'prediction' ? h('a', {href: `/endpoints/${seg(endpoint)}/predictions/${seg(v)}`}, v) : text(v), `Predictions with the ${what}`)
      : h('p', {}, `No other prediction with the ${what}.`));
  } catch (e) {
    out.replaceChildren(out.firstChild, problem('Similar predictions could not be read: ' + e.message));
  }
}
