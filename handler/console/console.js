// The console page: sign-in, then browse, upload, the parameter builder and its
// preview. Each part lives in its own module; this one wires them to the page.

import * as api from './api.js';
import { Browser } from './browse.js';
import { buildPath, buildQuery, parseQuery, problems } from './builder.js';
import { ParamsForm } from './params-form.js';
import { describeBytes, loadPreview } from './preview.js';

const $ = (id) => document.getElementById(id);

function announce(text, isError = false) {
  const status = $('status');
  status.textContent = text;
  status.classList.toggle('error', isError);
}

const describe = (error) => (error.describe ? error.describe() : error.message);

let table = null;
let form = null;
let browser = null;

// ---- sign-in --------------------------------------------------------------------------

function showSignIn() {
  $('workspace').hidden = true;
  $('sign-out').hidden = true;
  $('who').textContent = '';
  $('sign-in').hidden = false;
  $('token').value = '';
  $('token').focus();
}

async function enter() {
  $('sign-in').hidden = true;
  $('workspace').hidden = false;
  $('sign-out').hidden = false;
  $('who').textContent = api.session.token() ? 'Signed in with a write token' : 'Signed in (no token)';
  await browser.show($('prefix').value, Number($('page-size').value));
  $('browse-title').focus();
}

async function signIn(event) {
  event.preventDefault();
  api.session.start($('token').value.trim());
  try {
    // Signing nothing checks the token.
    await api.sign([]);
  } catch (error) {
    api.session.end();
    announce(`Sign-in failed: ${describe(error)}`, true);
    $('token').focus();
    return;
  }
  announce('Signed in.');
  await enter();
}

function signOut() {
  api.session.end();
  $('objects').replaceChildren();
  $('uploads').replaceChildren();
  $('image-key').value = '';
  form.write(new Map());
  clearPreview();
  announce('Signed out: the token is gone from this tab.');
  showSignIn();
}

// ---- upload ---------------------------------------------------------------------------

function uploadRow(file) {
  const li = document.createElement('li');
  const name = document.createElement('span');
  name.className = 'name';
  name.textContent = file.name;
  const progress = document.createElement('progress');
  progress.max = 1;
  progress.value = 0;
  progress.setAttribute('aria-label', `Upload of ${file.name}`);
  const outcome = document.createElement('span');
  outcome.className = 'outcome';
  outcome.textContent = 'uploading…';
  li.append(name, progress, outcome);
  return { li, progress, outcome };
}

async function uploadFiles(files) {
  const list = [...files];
  if (list.length === 0) return;
  const folder = $('upload-folder').value.trim();
  announce(`Uploading ${list.length} file${list.length === 1 ? '' : 's'}…`);
  const rows = list.map(uploadRow);
  $('uploads').prepend(...rows.map((r) => r.li));
  const results = await Promise.allSettled(list.map((file, i) =>
    api.upload(folder, file, (fraction) => { rows[i].progress.value = fraction; })));
  let failed = 0;
  results.forEach((result, i) => {
    const row = rows[i];
    if (result.status === 'fulfilled') {
      row.outcome.textContent = 'uploaded';
      row.li.classList.add('done');
    } else {
      failed += 1;
      row.outcome.textContent = describe(result.reason);
      row.li.classList.add('failed');
    }
  });
  await browser.reload();
  const done = list.length - failed;
  announce(`${done} uploaded${failed ? `, ${failed} failed (see the list)` : ''}.`, failed > 0);
}

function wireUpload() {
  const zone = $('drop-zone');
  zone.addEventListener('dragover', (event) => {
    event.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('over');
    uploadFiles(event.dataTransfer.files);
  });
  $('file-input').addEventListener('change', async (event) => {
    const input = event.target;
    await uploadFiles(input.files);
    input.value = '';
  });
}

// ---- builder and preview --------------------------------------------------------------

let pending = null;
let inFlight = null;

function clearPreview() {
  const img = $('preview-image');
  if (img.dataset.objectUrl) URL.revokeObjectURL(img.dataset.objectUrl);
  delete img.dataset.objectUrl;
  img.removeAttribute('src');
  for (const id of ['preview-size', 'preview-format', 'preview-bytes', 'preview-timing']) $(id).textContent = '–';
  $('preview-error').textContent = '';
  $('url').value = '';
}

function currentPath() {
  const key = $('image-key').value.trim();
  return key === '' ? null : buildPath(table, key, form.read());
}

/** The form changed: the query field follows, then (debounced) the preview. */
function formChanged() {
  $('query').value = buildQuery(table, form.read());
  schedulePreview();
}

/** The query field changed: the form follows. */
function queryChanged() {
  const { state, repeated } = parseQuery(table, $('query').value);
  form.write(state);
  schedulePreview(repeated);
}

function schedulePreview(repeated = []) {
  const state = form.read();
  const found = [...problems(table, state), ...repeated.map((k) => `${k} is given more than once`)];
  $('query-problems').textContent = found.length ? `Not valid: ${found.join('; ')}.` : '';
  clearTimeout(pending);
  pending = setTimeout(refreshPreview, 250);
}

/** `path` signed when the deployment needs it (no expiry: previews may be cached). */
async function viewable(path) {
  const d = table.deployment;
  const transformed = path.includes('?');
  if (d.signing !== 'required' || (!transformed && !d.signOriginals)) return path;
  const answer = await api.sign([path]);
  return answer.urls[0].path;
}

async function refreshPreview() {
  const path = currentPath();
  if (inFlight) inFlight.abort();
  if (path === null) {
    clearPreview();
    return;
  }
  $('url').value = api.serviceUrl(path).href;
  $('sign-note').textContent = '';
  $('sign-cli').hidden = true;
  const controller = new AbortController();
  inFlight = controller;
  $('preview').setAttribute('aria-busy', 'true');
  try {
    const facts = await loadPreview(await viewable(path), $('preview-image'), controller.signal);
    if (controller.signal.aborted) return;
    $('preview-error').textContent = facts.shown ? '' : `This browser cannot show ${facts.type}; the facts are the service's.`;
    $('preview-size').textContent = facts.shown ? `${facts.width} × ${facts.height} px` : '–';
    $('preview-format').textContent = facts.type;
    $('preview-bytes').textContent = describeBytes(facts.bytes);
    $('preview-timing').textContent = facts.timing.length
      ? facts.timing.map((p) => `${p.name} ${p.ms === null ? '' : `${p.ms} ms`}`.trim()).join(', ')
      : '(none)';
    announce(`Preview: ${facts.shown ? `${facts.width} × ${facts.height}, ` : ''}${facts.type}, ${describeBytes(facts.bytes)}.`);
  } catch (error) {
    if (error.name === 'AbortError') return;
    for (const id of ['preview-size', 'preview-format', 'preview-bytes', 'preview-timing']) $(id).textContent = '–';
    $('preview-error').textContent = `The service refused this URL: ${describe(error)}`;
  } finally {
    if (inFlight === controller) {
      inFlight = null;
      $('preview').removeAttribute('aria-busy');
    }
  }
}

function showCli(urls, expiresIn) {
  const commands = urls.map((u) => u.cli).filter(Boolean);
  const fallback = (path) => `image-service sign '${path.replace(/'/g, "'\\''")}'${expiresIn ? ` --expires-in ${expiresIn}` : ''}`;
  const lines = commands.length ? commands : urls.map((u) => fallback(u.path));
  $('sign-cli').textContent = ['# on a machine with the signing key:', 'export IMAGE_SERVICE_SIGNING_KEYS=<kid>:<secret>', ...lines].join('\n');
  $('sign-cli').hidden = false;
}

async function copyUrl() {
  const path = currentPath();
  if (path === null) {
    announce('Enter an image key first.', true);
    $('image-key').focus();
    return;
  }
  const expiresIn = Number($('expires-in').value) || undefined;
  let url = api.serviceUrl(path).href;
  $('sign-cli').hidden = true;
  try {
    const answer = await api.sign([path], expiresIn);
    url = answer.urls[0].url;
    if (answer.signing === 'required' && !answer.signed) {
      $('sign-note').textContent = answer.message;
      showCli(answer.urls, expiresIn);
    } else if (answer.signed) {
      $('sign-note').textContent = answer.expires
        ? `Signed; it stops working at ${new Date(answer.expires * 1000).toISOString()}.`
        : 'Signed, without an expiry.';
    } else {
      $('sign-note').textContent = 'Signing is off on this deployment: the URL works as it is.';
    }
  } catch (error) {
    $('sign-note').textContent = `The service did not sign it (${describe(error)}).`;
    if (table.deployment.signing === 'required') showCli([{ path }], expiresIn);
  }
  $('url').value = url;
  try {
    await navigator.clipboard.writeText(url);
    announce('URL copied.');
  } catch {
    $('url').select();
    const copied = document.execCommand('copy');
    announce(copied ? 'URL copied.' : 'Copy it from the URL field (the clipboard is not available).', !copied);
  }
}

function edit(key) {
  $('image-key').value = key;
  schedulePreview();
  $('transform-title').scrollIntoView({ block: 'start' });
  $('image-key').focus();
}

// ---- start ----------------------------------------------------------------------------

async function start() {
  try {
    table = await api.paramTable();
  } catch (error) {
    announce(`The console cannot start: ${describe(error)}`, true);
    return;
  }
  form = new ParamsForm($('params'), table, formChanged);
  browser = new Browser({
    list: $('objects'),
    next: $('next-page'),
    previous: $('previous-page'),
    selectAll: $('select-all'),
    deleteSelected: $('delete-selected'),
    pageInfo: $('page-info'),
  }, {
    announce,
    onEdit: edit,
    deployment: table.deployment,
  });
  const known = $('known-keys');
  new MutationObserver(() => {
    known.replaceChildren(...browser.keys.map((k) => Object.assign(document.createElement('option'), { value: k })));
  }).observe($('objects'), { childList: true });
  $('sign-in-form').addEventListener('submit', signIn);
  $('sign-out').addEventListener('click', signOut);
  $('prefix-form').addEventListener('submit', (event) => {
    event.preventDefault();
    browser.show($('prefix').value, Number($('page-size').value));
  });
  $('query').addEventListener('input', queryChanged);
  $('image-key').addEventListener('input', () => schedulePreview());
  $('copy-url').addEventListener('click', copyUrl);
  wireUpload();
  if (api.session.signedIn()) await enter();
  else showSignIn();
}

start();
