// The audit proof of one prediction, checked in this browser with WebCrypto alone, as a third party
// would check it (DESIGN §12): from the record as the lookup returns it, the inclusion proof, the
// signed checkpoint note and the server's public key — trusting none of the server's own verdicts.
import {h, problem, seg} from './dom.js';
import {get} from './api.js';

/** Shows in `out` whether the record of a lookup answer `found` is provably in the audit log of `endpoint`. */
export async function checkAuditProof(endpoint, found, out) {
  let outcome;
  try {
    outcome = await check(endpoint, found);
  } catch (e) {
    outcome = {failed: 'the proof could not be fetched or read: ' + e.message};
  }
  out.replaceChildren(out.firstChild, outcome.failed ? problem('Not verified: ' + outcome.failed) : outcome.said,
    ...(outcome.details ? [outcome.details] : []));
}

/** What to show: {said: a node} or {failed: the check that failed, in words}, and the {details} checked. */
async function check(endpoint, found) {
  const e = seg(endpoint);
  const id = found.prediction.prediction_id;
  if (!found.audit) {
    const settings = await get(`/v1/endpoints/${e}/audit`);
    return settings.enabled
      ? {said: h('p', {}, `Endpoint ${endpoint} is audited, but this prediction has no leaf in its audit log: it was logged before the audit was turned on.`)}
      : {said: h('p', {}, `Endpoint ${endpoint} is not audited, so its predictions have no inclusion proof. An admin turns the audit on with PUT /v1/endpoints/${endpoint}/audit.`)};
  }
  if (!globalThis.crypto || !crypto.subtle) {
    return {failed: 'this page cannot use WebCrypto, which browsers give only to pages served over HTTPS or from localhost; open the UI that way to check the proof here.'};
  }
  const checkpoint = await get(`/v1/endpoints/${e}/audit/checkpoint`);
  const [proof, key] = await Promise.all([
    get(`/v1/endpoints/${e}/audit/proof/${seg(id)}?size=${checkpoint.size}`),
    get('/v1/audit/key')]);
  const note = parseNote(checkpoint.note);
  const leaf = await leafHash(found.prediction);
  const path = proof.inclusion_path.map(fromBase64);
  const root = await rootFromPath(BigInt(proof.leaf_index), BigInt(proof.tree_size), leaf, path);
  const publicKey = fromBase64(key.public_key);
  const keyId = (await sha256(utf8(note.origin + '\n'), [1], publicKey)).slice(0, 4);
  const where = `leaf ${proof.leaf_index} of ${proof.tree_size}`;
  const details = h('dl', {class: 'kv'},
    ...pair('leaf hash of this record', hex(leaf)),
    ...pair('leaf hash in the audit log', hex(fromBase64(proof.leaf_hash))),
    ...pair('inclusion path', `${path.length} hashes`),
    ...pair('signed checkpoint', h('pre', {}, checkpoint.note)),
    ...pair('public key', key.public_key));

  if (!equal(leaf, fromBase64(proof.leaf_hash))) {
    return {details, failed: `the leaf hash does not match. This record, as the server returns it now, hashes to ${hex(leaf)},`
      + ` but ${where} of the audit log is ${hex(fromBase64(proof.leaf_hash))}: the record was changed after it was logged.`};
  }
  if (note.origin !== 'hindsight/' + endpoint) {
    return {details, failed: `the checkpoint is of log "${note.origin}", not of hindsight/${endpoint}.`};
  }
  if (BigInt(note.size) !== BigInt(proof.tree_size)) {
    return {details, failed: `the checkpoint is for ${note.size} leaves but the proof for ${proof.tree_size}.`};
  }
  if (!root || !equal(root, note.root)) {
    return {details, failed: `the inclusion path of ${where} does not lead to the checkpoint's root ${hex(note.root)}`
      + (root ? ` (it leads to ${hex(root)}).` : ` (its ${path.length} hashes do not fit a tree of ${proof.tree_size} leaves).`)};
  }
  const signature = note.signatures.find(s => s.length === 68 && equal(s.slice(0, 4), keyId));
  if (!signature) {
    return {details, failed: `the checkpoint carries no signature by the server's key ${hex(keyId)} (key name ${note.origin}).`};
  }
  if (!(await ed25519(publicKey, signature.slice(4), utf8(note.body)))) {
    return {details, failed: `the checkpoint's Ed25519 signature is not valid for the server's public key ${key.public_key}.`};
  }
  const verifierKey = key.verifier_keys?.[endpoint] || `${note.origin}+${hex(keyId)}`;
  return {details, said: h('p', {class: 'ok'},
    `Verified in your browser: ${where}, root ${hex(root)}, signed by key ${verifierKey}.`)};
}

function pair(name, value) {
  return [h('dt', {}, name), h('dd', {}, value)];
}

/**
 * A C2SP signed note: the body (every line up to the blank one, each with its newline) is what was
 * signed; origin, tree size and base64 root are its first three lines; each signature line is
 * "— <key name> base64(key id ‖ signature)".
 */
function parseNote(text) {
  const blank = text.indexOf('\n\n');
  if (blank < 0) throw new Error('the checkpoint is not a signed note (no blank line before its signatures)');
  const body = text.slice(0, blank + 1);
  const [origin, size, root] = body.split('\n');
  if (!/^\d+$/.test(size || '')) throw new Error('the checkpoint has no tree size on its second line');
  const signatures = text.slice(blank + 2).split('\n')
    .filter(line => line.startsWith('\u2014 ' + origin + ' '))
    .map(line => {
      try {
        return fromBase64(line.slice(origin.length + 3));
      } catch (ignored) {
        return new Uint8Array(0); // not base64: no signature of any key
      }
    });
  return {body, origin, size, root: fromBase64(root), signatures};
}

/** RFC 8785 JCS: keys sorted by UTF-16 code units, no spaces, strings and numbers as JSON.stringify writes them. */
export function canonicalJson(v) {
  if (Array.isArray(v)) return '[' + v.map(canonicalJson).join(',') + ']';
  if (v !== null && typeof v === 'object') {
    return '{' + Object.keys(v).sort().map(k => JSON.stringify(k) + ':' + canonicalJson(v[k])).join(',') + '}';
  }
  if (typeof v === 'number' && !Number.isFinite(v)) throw new Error(`the record holds ${v}, which JSON cannot write`);
  return JSON.stringify(v);
}

/** SHA-256(0x00 ‖ JCS(record)). */
function leafHash(record) {
  return sha256([0], utf8(canonicalJson(record)));
}

/**
 * RFC 9162 §2.1.3.2: folds the inclusion path of leaf {@code index} in a tree of {@code size} leaves
 * into a root hash; null when the path has too many or too few hashes.
 */
async function rootFromPath(index, size, leaf, path) {
  if (index >= size) return null;
  let fn = index;
  let sn = size - 1n;
  let r = leaf;
  for (const p of path) {
    if (sn === 0n) return null;
    if ((fn & 1n) === 1n || fn === sn) {
      r = await sha256([1], p, r);
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      r = await sha256([1], r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n ? r : null;
}

async function ed25519(publicKey, signature, message) {
  let key;
  try {
    key = await crypto.subtle.importKey('raw', publicKey, {name: 'Ed25519'}, false, ['verify']);
  } catch (e) {
    throw new Error(`this browser's WebCrypto has no Ed25519 (${e.message}); Chromium 137 or later, Firefox 129 or later and Safari 17 or later have it`);
  }
  return crypto.subtle.verify({name: 'Ed25519'}, key, signature, message);
}

async function sha256(...parts) {
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', all));
}

const utf8 = s => new TextEncoder().encode(s);
const fromBase64 = s => Uint8Array.from(atob(s), c => c.charCodeAt(0));
const hex = bytes => Array.from(bytes, b => b.toString(16).padStart(2, '0')).join('');
const equal = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
