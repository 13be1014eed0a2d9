// Browse the store: one page of objects under a prefix with thumbnails, pages by the
// listing's continuation token, selection and deletion (with confirmation).

import { list, remove, serviceUrl, sign } from './api.js';
import { encodeKeyPath } from './builder.js';
import { describeBytes } from './preview.js';

/** The thumbnail of every listed image: small and cheap to encode. */
export const THUMBNAIL_QUERY = 'w=160&fm=webp';

/** `key` split into the folder a DELETE names and the file name in it. */
export function splitKey(key) {
  const slash = key.lastIndexOf('/');
  return slash < 0 ? ['', key] : [key.slice(0, slash), key.slice(slash + 1)];
}

export class Browser {
  /**
   * `elements`: {list, next, previous, selectAll, deleteSelected, pageInfo};
   * `announce(text, isError)`: the status line; `onEdit(key)`: open a key in the builder;
   * `deployment`: from GET /_/params (signing decides whether thumbnails are signed).
   */
  constructor(elements, { announce, onEdit, deployment }) {
    this.el = elements;
    this.announce = announce;
    this.onEdit = onEdit;
    this.deployment = deployment;
    this.prefix = '';
    this.pageSize = 24;
    this.tokens = [null];
    this.page = 0;
    this.next = null;
    this.keys = [];
    this.el.next.addEventListener('click', () => this.go(this.page + 1));
    this.el.previous.addEventListener('click', () => this.go(this.page - 1));
    this.el.selectAll.addEventListener('click', () => this.selectAll());
    this.el.deleteSelected.addEventListener('click', () => this.deleteSelected());
    this.el.list.addEventListener('change', () => this.updateButtons());
  }

  /** The first page under `prefix`. */
  async show(prefix, pageSize) {
    this.prefix = prefix;
    this.pageSize = pageSize;
    this.tokens = [null];
    await this.go(0);
  }

  async reload() {
    await this.go(this.page);
  }

  async go(page) {
    if (page < 0 || page >= this.tokens.length) return;
    const token = this.tokens[page];
    try {
      const { objects, next } = await list(this.prefix, this.pageSize, token);
      this.page = page;
      this.next = next;
      this.tokens.length = page + 1;
      if (next) this.tokens.push(next);
      await this.render(objects);
      const where = this.prefix ? ` under "${this.prefix}"` : '';
      this.announce(`${objects.length} object${objects.length === 1 ? '' : 's'}${where}, page ${page + 1}${next ? ' (more follow)' : ''}.`);
    } catch (error) {
      this.announce(`Listing failed: ${error.describe ? error.describe() : error.message}`, true);
    }
  }

  /** Paths of the thumbnails and originals, signed where the deployment needs it. */
  async urls(keys) {
    const thumbs = keys.map((k) => `/${encodeKeyPath(k)}?${THUMBNAIL_QUERY}`);
    const originals = keys.map((k) => `/${encodeKeyPath(k)}`);
    if (this.deployment.signing !== 'required' || keys.length === 0) return { thumbs, originals };
    const toSign = this.deployment.signOriginals ? [...thumbs, ...originals] : thumbs;
    const answer = await sign(toSign);
    if (!answer.signed) return { thumbs, originals };
    const signed = answer.urls.map((u) => u.path);
    return {
      thumbs: signed.slice(0, keys.length),
      originals: this.deployment.signOriginals ? signed.slice(keys.length) : originals,
    };
  }

  async render(objects) {
    this.keys = objects.map((o) => o.Key);
    let urls;
    try {
      urls = await this.urls(this.keys);
    } catch (error) {
      this.announce(`Signing the thumbnails failed: ${error.describe ? error.describe() : error.message}`, true);
      urls = { thumbs: [], originals: [] };
    }
    const items = objects.map((object, i) => this.item(object, i, urls));
    this.el.list.replaceChildren(...items);
    if (items.length === 0) {
      const empty = document.createElement('li');
      empty.className = 'empty';
      empty.textContent = 'No objects here.';
      this.el.list.append(empty);
    }
    this.el.pageInfo.textContent = `Page ${this.page + 1}`;
    this.updateButtons();
  }

  item(object, i, urls) {
    const li = document.createElement('li');
    li.className = 'object';
    const id = `object-${this.page}-${i}`;
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.id = id;
    box.dataset.key = object.Key;
    const label = document.createElement('label');
    label.htmlFor = id;
    const figure = document.createElement('span');
    figure.className = 'thumb';
    if (urls.thumbs[i]) {
      const img = document.createElement('img');
      img.alt = '';
      img.loading = 'lazy';
      img.decoding = 'async';
      img.src = serviceUrl(urls.thumbs[i]).href;
      img.addEventListener('error', () => figure.classList.add('no-thumb'));
      figure.append(img);
    }
    const name = document.createElement('span');
    name.className = 'key';
    name.textContent = object.Key;
    label.append(figure, name);
    const meta = document.createElement('span');
    meta.className = 'meta';
    meta.textContent = `${describeBytes(object.Size)} · ${object.LastModified.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}`;
    const actions = document.createElement('span');
    actions.className = 'actions';
    const edit = document.createElement('button');
    edit.type = 'button';
    edit.textContent = 'Transform';
    edit.setAttribute('aria-label', `Transform ${object.Key}`);
    edit.addEventListener('click', () => this.onEdit(object.Key));
    const original = document.createElement('a');
    original.href = serviceUrl(urls.originals[i] || `/${encodeKeyPath(object.Key)}`).href;
    original.target = '_blank';
    original.rel = 'noopener noreferrer';
    original.textContent = 'Original';
    original.setAttribute('aria-label', `Original of ${object.Key} (opens a new tab)`);
    actions.append(edit, original);
    li.append(box, label, meta, actions);
    return li;
  }

  selected() {
    return [...this.el.list.querySelectorAll('input[type=checkbox]:checked')].map((b) => b.dataset.key);
  }

  selectAll() {
    const boxes = [...this.el.list.querySelectorAll('input[type=checkbox]')];
    const all = boxes.every((b) => b.checked);
    for (const b of boxes) b.checked = !all;
    this.updateButtons();
  }

  updateButtons() {
    const count = this.selected().length;
    this.el.deleteSelected.disabled = count === 0;
    this.el.deleteSelected.textContent = count > 0 ? `Delete selected (${count})` : 'Delete selected';
    this.el.next.disabled = !this.next;
    this.el.previous.disabled = this.page === 0;
  }

  /** Deletes the selected objects after a confirmation, one DELETE per folder. */
  async deleteSelected() {
    const keys = this.selected();
    if (keys.length === 0) return;
    const shown = keys.slice(0, 10).join('\n') + (keys.length > 10 ? `\n… and ${keys.length - 10} more` : '');
    // eslint-disable-next-line no-alert -- the platform's dialog: keyboard and screen-reader ready.
    if (!window.confirm(`Delete ${keys.length} object${keys.length === 1 ? '' : 's'}? This cannot be undone here.\n\n${shown}`)) {
      this.announce('Nothing deleted.');
      return;
    }
    const byFolder = new Map();
    for (const key of keys) {
      const [folder, name] = splitKey(key);
      if (!byFolder.has(folder)) byFolder.set(folder, []);
      byFolder.get(folder).push(name);
    }
    let deleted = 0;
    const errors = [];
    for (const [folder, names] of byFolder) {
      try {
        await remove(folder, names);
        deleted += names.length;
      } catch (error) {
        errors.push(error.describe ? error.describe() : error.message);
      }
    }
    await this.reload();
    if (errors.length > 0) {
      this.announce(`Deleted ${deleted} of ${keys.length}. ${errors.join(' ')}`, true);
    } else {
      this.announce(`Deleted ${deleted} object${deleted === 1 ? '' : 's'}.`);
    }
  }
}
