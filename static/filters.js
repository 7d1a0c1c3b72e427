// The map page's filters panel: name or city, target, killed at least,
// and chips for attribution, attack type and country with the number of
// events each would show (facets). Every edit goes to the store as a
// patch; sync() puts the store's state back into the form. Each other
// picked events layer gets chips of its own category (setOthers).

import * as KS from './state.js';
import { attributionStyle, typeStyle } from './style.js';
import { el } from './dom.js';

// Words people look for among targets, suggested where the data has them.
const TARGET_WORDS = ['Shia mosque', 'Shia', 'Hazara', 'Sikh', 'Sufi shrine', 'church', 'school', 'education', 'hospital',
  'Taliban', 'military', 'police', 'bank', 'political rally', 'embassy', 'journalists', 'foreigners'];

// createFilters builds the form (#filters) for the event layer's
// properties (ctx.eventProps) and words (ctx.words: the attribution chips
// are the values of its colouring category, "killed at least" its
// magnitude), and the source's countries and targets.
export function createFilters(doc, store, ctx, source) {
  const $ = (id) => doc.getElementById(id);
  const form = $('filters');

  function chip(group, value, label, color) {
    const id = `f-${group}-${String(value).replace(/[^A-Za-z0-9]+/g, '-')}`;
    const input = el('input', { type: 'checkbox', id, name: group, value });
    input.addEventListener('change', () => {
      const list = store.get()[group].filter((v) => v !== value);
      if (input.checked) list.push(value);
      store.change({ [group]: list });
    });
    return el('label', { class: 'chip', for: id },
      input,
      color ? el('span', { class: 'chip-dot', style: `background:${color}`, 'aria-hidden': 'true' }) : null,
      el('span', { class: 'chip-label' }, label),
      el('span', { class: 'chip-count', 'data-count': `${group}:${value}` }));
  }

  const props = ctx.eventProps;
  const show = (node, yes) => { node.hidden = !yes; };
  const words = ctx.words;
  show($('group-attribution'), !!words.category && props.has(words.category));
  $('group-attribution').querySelector('legend').textContent = words.categoryTitle || 'Attribution';
  $('group-attribution').querySelector('.chip-list').replaceChildren(
    ...(words.categoryValues || []).map((a) => {
      const st = attributionStyle(a, words);
      const c = chip('attribution', a, a.charAt(0).toUpperCase() + a.slice(1), st.color);
      c.title = st.label || a;
      return c;
    }));
  show($('group-type'), props.has('attack_type'));
  $('group-type').querySelector('.chip-list').replaceChildren(
    ...KS.TYPES.map((t) => chip('type', t.key, typeStyle(t.key).label, store.get().color === 'type' ? typeStyle(t.key).color : null)));
  const countries = source.countries;
  show($('group-country'), props.has('country') && countries.length > 0);
  $('group-country').querySelector('.chip-list').replaceChildren(...countries.map((c) => chip('country', c, c)));
  show($('field-target'), props.has('target'));
  show($('field-min'), !!words.magnitude && props.has(words.magnitude));
  show($('f-q').closest('.field'), props.has('name') || props.has('city'));
  const targets = source.targets;
  $('target-suggestions').replaceChildren(...TARGET_WORDS
    .filter((w) => !targets.length || targets.some((t) => KS.caseVariants(w).some((v) => t.includes(v))))
    .map((w) => el('option', { value: w })));
  form.hidden = false;

  const text = (input, key) => {
    let t = 0;
    input.addEventListener('input', () => {
      clearTimeout(t);
      t = setTimeout(() => store.change({ [key]: input.value.trim() }), 180);
    });
    input.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter') {
        ev.preventDefault();
        clearTimeout(t);
        store.change({ [key]: input.value.trim() });
      }
    });
  };
  text($('f-q'), 'q');
  text($('f-target'), 'target');
  let mt = 0;
  $('f-min').addEventListener('input', () => {
    clearTimeout(mt);
    mt = setTimeout(() => {
      const v = $('f-min').value.trim();
      const n = /^\d+$/.test(v) ? Number(v) : null;
      store.change({ minKilled: n && n > 0 ? n : null });
    }, 180);
  });
  form.addEventListener('submit', (ev) => ev.preventDefault());

  // setOthers: a group of chips per other picked events layer (picker.js
  // members) whose category is among its properties: its own values,
  // labels and colours (the state's cats[id], the link's
  // category=ID:VALUE), after the data layer's.
  let others = [];
  function setOthers(members) {
    others = members.filter((m) => m.words.category && m.props.has(m.words.category) && (m.words.categoryValues || []).length);
    let box = $('group-others');
    if (!box) {
      box = el('div', { id: 'group-others' });
      $('group-attribution').after(box);
    }
    box.replaceChildren(...others.map((m) => el('fieldset', { class: 'chips', 'data-layer': m.id },
      el('legend', null, `${m.title}: ${m.words.categoryTitle || m.words.category}`),
      el('div', { class: 'chip-list' }, m.words.categoryValues.map((v) => {
        const id = `f-cat-${m.id}-${String(v).replace(/[^A-Za-z0-9]+/g, '-')}`;
        const st = attributionStyle(v, m.words);
        const input = el('input', { type: 'checkbox', id, name: `cat:${m.id}`, value: v });
        input.addEventListener('change', () => {
          const cats = { ...store.get().cats };
          const list = (cats[m.id] || []).filter((x) => x !== v);
          if (input.checked) list.push(v);
          if (list.length) cats[m.id] = list;
          else delete cats[m.id];
          store.change({ cats });
        });
        return el('label', { class: 'chip', for: id, title: st.label || v },
          input,
          el('span', { class: 'chip-dot', style: `background:${st.color}`, 'aria-hidden': 'true' }),
          el('span', { class: 'chip-label' }, st.label || v),
          el('span', { class: 'chip-count', 'data-count': `cat:${m.id}:${v}` }));
      })))));
    sync();
  }

  // sync: the form as the state has it (a field being typed in is left
  // alone).
  function sync() {
    const state = store.get();
    for (const group of ['country', 'attribution', 'type']) {
      for (const input of form.querySelectorAll(`input[name="${group}"]`)) input.checked = state[group].includes(input.value);
    }
    for (const input of form.querySelectorAll('input[name^="cat:"]')) {
      input.checked = ((state.cats || {})[input.name.slice(4)] || []).includes(input.value);
    }
    if (doc.activeElement !== $('f-q')) $('f-q').value = state.q;
    if (doc.activeElement !== $('f-target')) $('f-target').value = state.target;
    if (doc.activeElement !== $('f-min')) $('f-min').value = state.minKilled ? String(state.minKilled) : '';
    // The type chips show colours when markers are coloured by type.
    for (const t of KS.TYPES) {
      const label = form.querySelector(`label[for="f-type-${t.key}"]`);
      if (!label) continue;
      const d = label.querySelector('.chip-dot');
      if (state.color === 'type' && !d) label.insertBefore(el('span', { class: 'chip-dot', 'aria-hidden': 'true', style: `background:${typeStyle(t.key).color}` }), label.querySelector('.chip-label'));
      if (state.color !== 'type' && d) d.remove();
    }
  }

  // showFacets: each chip's count of events under the other filters;
  // otherFacets: the other layers' category counts, by layer id.
  function showFacets(facets, otherFacets) {
    for (const node of form.querySelectorAll('.chip-count')) {
      let [group, value] = node.dataset.count.split(/:(.*)/s);
      let counts = facets;
      if (group === 'cat') {
        const [layer, v] = value.split(/:(.*)/s);
        counts = otherFacets && otherFacets[layer] ? { cat: otherFacets[layer] } : null;
        value = v;
      }
      if (!counts || !counts[group]) { node.textContent = ''; node.closest('.chip').classList.remove('chip-empty'); continue; }
      const n = (counts[group] || {})[value] || 0;
      node.textContent = String(n);
      node.closest('.chip').classList.toggle('chip-empty', n === 0);
    }
  }

  return { sync, showFacets, setOthers };
}
