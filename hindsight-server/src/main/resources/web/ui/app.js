// The UI is one page whose address says what to draw: each route below is a module with a
// render(params) function. Everything it shows comes from the /v1 API.
import {show, problem, h} from './dom.js';
import {signedIn} from './api.js';

const routes = [
  [/^\/$/, 'home.js', () => ({})],
  [/^\/endpoints\/([^/]+)$/, 'dashboard.js', m => ({endpoint: decodeURIComponent(m[1])})],
  [/^\/endpoints\/([^/]+)\/predictions$/, 'explorer.js', m => ({endpoint: decodeURIComponent(m[1])})],
  [/^\/endpoints\/([^/]+)\/predictions\/(.+)$/, 'prediction.js',
    m => ({endpoint: decodeURIComponent(m[1]), id: decodeURIComponent(m[2])})],
  [/^\/sql$/, 'sql.js', () => ({})],
  [/^\/alerts$/, 'alerts.js', () => ({})],
  [/^\/reports$/, 'reports.js', () => ({})],
];

async function route() {
  const path = location.pathname;
  for (const [pattern, module, params] of routes) {
    const m = path.match(pattern);
    if (!m) continue;
    for (const a of document.querySelectorAll('header nav a')) {
      a.toggleAttribute('aria-current', a.getAttribute('href') === path);
    }
    try {
      const page = await import('./' + module);
      await page.render(params(m));
    } catch (e) {
      show(h('h1', {}, 'Something went wrong'), problem(e.message || String(e)));
    }
    return;
  }
  show(h('h1', {}, 'Not found'), problem('No page at ' + path + '.'));
}

document.getElementById('signout').hidden = !signedIn;
window.addEventListener('popstate', route);
route();
