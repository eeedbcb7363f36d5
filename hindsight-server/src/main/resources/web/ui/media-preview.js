// Previews of media references ({"uri", "content_type"}): the server fetches the file from its
// configured roots (GET /v1/media) and the page shows it — an image inline, audio and video in
// players, the start of a text as text, never as HTML. A file the server refuses or cannot find
// shows the server's reason in words instead.
import {h} from './dom.js';

/** Bytes of a text shown as its excerpt. */
const EXCERPT_BYTES = 4096;
const FAMILIES = ['image', 'audio', 'video', 'text'];

/** Whether a logged value is a media reference: an object of exactly uri and content_type. */
export function isMediaReference(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
    && Object.keys(v).length === 2 && typeof v.uri === 'string' && typeof v.content_type === 'string'
    && FAMILIES.includes(family(v));
}

/** A figure previewing one reference logged under key. */
export function mediaPreview(key, ref) {
  const url = '/v1/media?uri=' + encodeURIComponent(ref.uri) + '&content_type=' + encodeURIComponent(ref.content_type);
  const caption = h('figcaption', {}, h('strong', {}, key), ' ', h('span', {class: 'muted'}, ref.content_type), ' ', h('code', {}, ref.uri));
  const figure = h('figure', {class: 'media', 'data-key': key});
  const refused = () => explainRefusal(url, figure, caption);
  let shown;
  switch (family(ref)) {
    case 'image':
      shown = h('img', {src: url, alt: `${key} (${ref.uri})`, onerror: refused});
      break;
    case 'audio':
      shown = h('audio', {src: url, controls: true, preload: 'metadata', 'aria-label': key, onerror: refused});
      break;
    case 'video':
      shown = h('video', {src: url, controls: true, preload: 'metadata', 'aria-label': key, onerror: refused});
      break;
    default:
      shown = h('pre', {class: 'media-text'}, 'Loading…');
      excerpt(url, shown, figure, caption);
  }
  figure.append(shown, caption);
  return figure;
}

function family(ref) {
  return ref.content_type.split('/')[0].trim().toLowerCase();
}

/** Fills pre with the first bytes of the text, decoded as UTF-8 and set as text. */
async function excerpt(url, pre, figure, caption) {
  let res;
  try {
    res = await fetch(url, {headers: {Range: `bytes=0-${EXCERPT_BYTES - 1}`}, credentials: 'same-origin'});
  } catch (e) {
    showReason(figure, caption, 'the server could not be reached (' + e.message + ')');
    return;
  }
  if (!res.ok) {
    showReason(figure, caption, await reason(res));
    return;
  }
  const bytes = new Uint8Array(await res.arrayBuffer()).slice(0, EXCERPT_BYTES);
  const total = Number((res.headers.get('Content-Range') || '').split('/')[1]) || bytes.length;
  pre.textContent = new TextDecoder('utf-8').decode(bytes) + (total > bytes.length ? '…' : '');
  if (total > bytes.length) {
    caption.append(h('span', {class: 'muted'}, ` (the first ${bytes.length} of ${total} bytes)`));
  }
}

/** An image or player failed to load: ask the server why, and say it in place of the preview. */
async function explainRefusal(url, figure, caption) {
  let res;
  try {
    res = await fetch(url, {headers: {Range: 'bytes=0-0'}, credentials: 'same-origin'});
  } catch (e) {
    showReason(figure, caption, 'the server could not be reached (' + e.message + ')');
    return;
  }
  showReason(figure, caption, res.ok ? 'the browser cannot show this file: its content does not match its type' : await reason(res));
}

async function reason(res) {
  try {
    return (await res.json()).error || `${res.status} ${res.statusText}`;
  } catch (ignored) {
    return `${res.status} ${res.statusText}`;
  }
}

function showReason(figure, caption, why) {
  figure.replaceChildren(h('p', {class: 'error', role: 'alert'}, 'Not shown: ' + why), caption);
}
