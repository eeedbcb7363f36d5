// Calls to the server's /v1 API. The session cookie authorizes them; calls that change state also
// carry the page's CSRF token. A refusal becomes an Error with the server's own words.

const csrf = document.querySelector('meta[name="csrf-token"]')?.content || '';

export async function request(path, {method = 'GET', body, accept = 'application/json'} = {}) {
  const headers = {'Accept': accept};
  if (method !== 'GET') headers['X-CSRF-Token'] = csrf;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, {method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin'});
  } catch (e) {
    throw new Error('The server could not be reached (' + e.message + '). Is it running?');
  }
  if (res.status === 401) {
    location.assign('/signin?next=' + encodeURIComponent(location.pathname + location.search));
    throw new Error('Your session has ended; sign in again.');
  }
  if (!res.ok) {
    let message = res.status + ' ' + res.statusText;
    try {
      message = (await res.json()).error || message;
    } catch (ignored) { /* not JSON */ }
    throw new Error(message);
  }
  return res;
}

export async function get(path) {
  return (await request(path)).json();
}

export async function send(method, path, body) {
  const res = await request(path, {method, body});
  return res.status === 204 ? null : res.json();
}

/** Runs SQL with ? parameters; answers {columns, rows, truncated, elapsed_ms}. */
export function sql(text, params = [], limit) {
  return send('POST', '/v1/query', limit === undefined ? {sql: text, params} : {sql: text, params, limit});
}

/** SQL rows as objects keyed by column name. */
export async function records(text, params = []) {
  const r = await sql(text, params);
  return r.rows.map(row => Object.fromEntries(r.columns.map((c, i) => [c.name, row[i]])));
}

/** Saves a response as a file in the browser's downloads. */
export async function download(res, name) {
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

export const signedIn = csrf !== '';
