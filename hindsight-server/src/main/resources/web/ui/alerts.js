// Alerts: the rules with their state, silences, and the history of state changes.
import {h, show, problem, text, num, table, seg} from './dom.js';
import {get, send, records} from './api.js';

export async function render() {
  const status = h('div', {'aria-live': 'polite'});
  const rules = h('div', {}, h('p', {class: 'muted'}, 'Loading rules…'));
  const history = h('div', {}, h('p', {class: 'muted'}, 'Loading history…'));
  show(h('h1', {}, 'Alerts'), status,
    h('section', {'aria-labelledby': 'h-rules'}, h('h2', {id: 'h-rules'}, 'Rules'), rules),
    h('section', {'aria-labelledby': 'h-history'}, h('h2', {id: 'h-history'}, 'History'), history));
  try {
    const list = await get('/v1/alerts');
    rules.replaceChildren(
      list.rules.length ? ruleTable(list.rules, status) : h('p', {}, 'No alert rule yet. Add one with PUT /v1/alerts/rules/{name} or in the config file.'),
      list.silences.length ? table(['rule', 'silenced until'], list.silences.map(s => [s.rule, s.until]), undefined, 'Silences') : h('p', {class: 'muted'}, 'No silences.'));
  } catch (e) {
    rules.replaceChildren(problem('The rules could not be read: ' + e.message));
  }
  try {
    const rows = await records('SELECT * FROM alerts ORDER BY ts DESC LIMIT 100');
    history.replaceChildren(rows.length
      ? table(Object.keys(rows[0]), rows.map(r => Object.values(r)), undefined, 'Latest state changes first')
      : h('p', {}, 'No rule has changed state yet.'));
  } catch (e) {
    history.replaceChildren(problem('The history could not be read: ' + e.message));
  }
}

function ruleTable(rules, status) {
  return h('table', {id: 'rules'},
    h('thead', {}, h('tr', {}, ['rule', 'endpoint', 'condition', 'state', 'value', 'since', 'silence'].map(c => h('th', {scope: 'col'}, c)))),
    h('tbody', {}, rules.map(r => h('tr', {'data-rule': r.name},
      h('th', {scope: 'row'}, r.name, r.annotations && r.annotations.summary ? h('div', {class: 'muted'}, r.annotations.summary) : null),
      h('td', {}, h('a', {href: '/endpoints/' + seg(r.endpoint)}, r.endpoint)),
      h('td', {}, `${r.metric}${r.column ? '(' + r.column + ')' : ''}${r.segment ? ' [' + r.segment + ']' : ''} ${r.op} ${r.threshold} over ${r.window}, for ${r.for}`),
      h('td', {}, h('span', {class: 'state state-' + r.state}, r.state), r.last_error ? h('div', {class: 'error'}, r.last_error) : null),
      h('td', {class: 'num'}, num(r.value)),
      h('td', {}, text(r.since)),
      h('td', {}, r.silenced_until ? 'until ' + r.silenced_until : silenceForm(r.name, status))))));
}

function silenceForm(rule, status) {
  const id = 'silence-' + rule;
  const form = h('form', {class: 'inline', onsubmit: async e => {
    e.preventDefault();
    const hours = Number(new FormData(form).get('hours'));
    try {
      await send('POST', '/v1/alerts/silences', {rule, until: new Date(Date.now() + hours * 3600e3).toISOString()});
      status.replaceChildren(h('p', {}, `Rule ${rule} is silenced for ${hours} h.`));
      render();
    } catch (err) {
      status.replaceChildren(problem(`Rule ${rule} could not be silenced: ${err.message}`));
    }
  }},
  h('label', {for: id, class: 'visually-hidden'}, 'Silence ' + rule + ' for'),
  h('select', {id, name: 'hours'}, [1, 4, 24, 168].map(n => h('option', {value: n}, n < 168 ? `${n} h` : '1 week'))),
  ' ', h('button', {type: 'submit'}, 'Silence'));
  return form;
}
