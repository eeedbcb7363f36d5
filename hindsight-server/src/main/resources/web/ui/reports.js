// Reports: the monitoring report of an endpoint over a period, generated on the server as one
// self-contained HTML file.
import {h, show, problem, seg} from './dom.js';
import {get, request, download} from './api.js';

export async function render() {
  let endpoints = [];
  const status = h('div', {'aria-live': 'polite', id: 'report-status'});
  try {
    endpoints = (await get('/v1/endpoints')).endpoints.map(e => e.endpoint);
  } catch (e) {
    show(h('h1', {}, 'Reports'), problem(e.message));
    return;
  }
  const now = new Date();
  const weekAgo = new Date(now.getTime() - 7 * 86400e3);
  const form = h('form', {class: 'filters', onsubmit: async e => {
    e.preventDefault();
    const d = new FormData(form);
    const q = new URLSearchParams({from: d.get('from'), to: d.get('to')});
    status.replaceChildren(h('p', {class: 'muted'}, 'Generating…'));
    try {
      const res = await request(`/v1/endpoints/${seg(d.get('endpoint'))}/report?${q}`, {accept: 'text/html'});
      await download(res, `${d.get('endpoint')}-report.html`);
      status.replaceChildren(h('p', {}, 'The report was downloaded. It opens in any browser without a network.'));
    } catch (err) {
      status.replaceChildren(problem('The report could not be generated: ' + err.message));
    }
  }},
  h('div', {class: 'field'}, h('label', {for: 'r-endpoint'}, 'Endpoint'),
    h('select', {id: 'r-endpoint', name: 'endpoint', required: true}, endpoints.map(e => h('option', {value: e}, e)))),
  h('div', {class: 'field'}, h('label', {for: 'r-from'}, 'From (UTC)'), h('input', {id: 'r-from', name: 'from', value: weekAgo.toISOString().slice(0, 19) + 'Z'})),
  h('div', {class: 'field'}, h('label', {for: 'r-to'}, 'To (UTC)'), h('input', {id: 'r-to', name: 'to', value: now.toISOString().slice(0, 19) + 'Z'})),
  h('div', {class: 'actions'}, h('button', {type: 'submit', disabled: !endpoints.length}, 'Generate and download')));
  show(h('h1', {}, 'Reports'),
    h('p', {}, 'Volume, latency, errors, drift per feature, quality per segment and version, with events — in one HTML file.'),
    endpoints.length ? form : h('p', {}, 'No endpoint has data yet.'), status);
}
