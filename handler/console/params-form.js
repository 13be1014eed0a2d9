// The parameter builder's form, generated from GET /_/params: one row per key of the
// key table, grouped as the README groups them, each with its doc line. The form reads
// into and writes from the builder's state (a Map of key to value text, "" for a bare
// key; see builder.js).

/** The value `key` has in an example query such as "w=500&h=200&f=contain". */
function exampleValue(example, key) {
  if (!example) return '';
  for (const piece of example.split('&')) {
    const eq = piece.indexOf('=');
    if ((eq < 0 ? piece : piece.slice(0, eq)) === key) return eq < 0 ? '' : piece.slice(eq + 1);
  }
  return '';
}

function element(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (name === 'text') node.textContent = value;
    else if (name === 'class') node.className = value;
    else if (name.startsWith('aria-') || name.startsWith('data-')) node.setAttribute(name, value);
    else node[name] = value;
  }
  node.append(...children);
  return node;
}

/** Groups open when the page loads: what most URLs use. */
const OPEN_GROUPS = new Set(['Resizing', 'Output']);

export class ParamsForm {
  constructor(container, table, onChange) {
    this.table = table;
    this.controls = new Map();
    const groups = new Map();
    for (const spec of table.keys) {
      if (!groups.has(spec.group)) groups.set(spec.group, []);
      groups.get(spec.group).push(spec);
    }
    const presetList = element('datalist', { id: 'preset-names' },
      table.presets.map((p) => element('option', { value: p.name, label: p.query || '' })));
    const sections = [...groups].map(([title, specs]) => {
      const fieldset = element('fieldset', {}, [
        element('legend', { class: 'visually-hidden', text: title }),
        ...specs.map((spec) => this.row(spec)),
      ]);
      return element('details', { open: OPEN_GROUPS.has(title) }, [element('summary', { text: title }), fieldset]);
    });
    container.replaceChildren(presetList, ...sections);
    container.addEventListener('input', onChange);
    container.addEventListener('change', onChange);
  }

  row(spec) {
    const id = `param-${spec.name}`;
    const docId = `${id}-doc`;
    const label = element('label', { htmlFor: id }, [
      element('code', { text: spec.name }),
      element('span', { class: 'kind', text: ` ${spec.kindLabel}` }),
    ]);
    const doc = element('p', { class: 'doc', id: docId, text: spec.doc });
    const control = { spec };
    let input;
    if (spec.kind === 'boolean') {
      input = element('input', { type: 'checkbox', id, 'aria-describedby': docId });
    } else if (Array.isArray(spec.values) && spec.values.length > 0) {
      input = element('select', { id, 'aria-describedby': docId }, [
        element('option', { value: '', text: '(not set)' }),
        ...spec.values.map((v) => element('option', { value: v, text: v })),
      ]);
    } else {
      const example = exampleValue(spec.example, spec.name);
      input = element('input', {
        type: 'text',
        id,
        'aria-describedby': docId,
        spellcheck: false,
        autocomplete: 'off',
        placeholder: example ? `e.g. ${example.replace(/\+/g, ' ')}` : '',
      });
      if (spec.kind === 'integer' || spec.kind === 'number') input.inputMode = 'decimal';
      if (spec.kind === 'name-list') input.setAttribute('list', 'preset-names');
    }
    control.input = input;
    const cells = [label, input];
    if (spec.bare !== null && spec.kind !== 'boolean') {
      const bareId = `${id}-bare`;
      control.bare = element('input', { type: 'checkbox', id: bareId, 'aria-describedby': docId });
      cells.push(element('span', { class: 'bare' }, [
        control.bare,
        element('label', { htmlFor: bareId, text: `bare (${spec.bare})` }),
      ]));
    }
    this.controls.set(spec.name, control);
    return element('div', { class: 'param', 'data-key': spec.name }, [...cells, doc]);
  }

  /** The builder state the form shows. */
  read() {
    const state = new Map();
    for (const [name, { spec, input, bare }] of this.controls) {
      if (spec.kind === 'boolean') {
        if (input.checked) state.set(name, '');
      } else if (input.value.trim() !== '') {
        state.set(name, input.value);
      } else if (bare && bare.checked) {
        state.set(name, '');
      }
    }
    return state;
  }

  /** Shows `state` (keys it lacks are cleared). */
  write(state) {
    for (const [name, { spec, input, bare }] of this.controls) {
      const has = state.has(name);
      const value = has ? state.get(name) : '';
      if (spec.kind === 'boolean') {
        input.checked = has && !['false', '0'].includes(value.trim().toLowerCase());
        continue;
      }
      if (input.tagName === 'SELECT' && value !== '' && ![...input.options].some((o) => o.value === value)) {
        // An alias or a spelling the list does not show (jpg, right top): kept as written.
        input.append(element('option', { value, text: value }));
      }
      input.value = value;
      if (bare) bare.checked = has && value === '';
    }
  }
}
