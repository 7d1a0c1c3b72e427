// The events layers picker of the map page: a chip per events layer,
// with its marker's shape and colour, that draws it on the map beside
// the data layer or takes it off; the choice is the state's events (the
// link's events=). It also filters the other picked layers, each by its
// own profile and queryables (refresh), for the map, the timeline, the
// table and the filters' counts; the embed page uses it too.

import * as KS from './state.js';
import * as KP from './profiles.js';
import { el, svg } from './dom.js';
import { shapeIcon } from './shapes.js';
import { monthIndex } from './dates.js';
import { API, fetchJSON, layerCount } from './api.js';
import { attributionKey } from './style.js';

const TABLE_ROWS = 500; // as sources.js: rows drawn at most per layer

// stateFor: the state as events layer id reads it: its own category
// values (state.cats[id]) in place of the data layer's attribution.
export function stateFor(state, id) {
  return { ...state, attribution: (state.cats && state.cats[id]) || [] };
}

// termsFor: the state's filter terms for member m (state.js filterTerms
// with its properties and words).
export function termsFor(state, m, opts) {
  return KS.filterTerms(stateFor(state, m.id), m.props, m.words, opts);
}

// The day of a feature by its layer's time word ('' without one).
function dayOf(f, words) {
  const d = words.time ? (f.properties || {})[words.time] : null;
  return typeof d === 'string' ? d.slice(0, 10) : '';
}

const emptyBins = (domain) => (domain && domain.unit === 'month' ? new Array(domain.last - domain.first + 1).fill(0) : null);

// A member whose features are in the page: filtered here.
function pageMember(m, state, domain) {
  const pred = KS.predicate(termsFor(state, m));
  m.layer.setFilter(pred);
  const all = m.layer.features();
  const features = all.filter((f) => pred(f.properties))
    .sort((a, b) => (dayOf(a, m.words) < dayOf(b, m.words) ? 1 : dayOf(a, m.words) > dayOf(b, m.words) ? -1 : 0));
  const bins = emptyBins(domain);
  if (bins) {
    const noTime = KS.predicate(termsFor(state, m, { noTime: true }));
    for (const f of all) {
      const d = dayOf(f, m.words);
      if (!/^\d{4}-\d{2}/.test(d) || !noTime(f.properties)) continue;
      const i = monthIndex(d) - domain.first;
      if (i >= 0 && i < bins.length) bins[i]++;
    }
  }
  const facets = {};
  if (m.words.category && m.props.has(m.words.category)) {
    const others = KS.predicate(termsFor({ ...state, cats: { ...state.cats, [m.id]: [] } }, m));
    for (const f of all) {
      if (!others(f.properties)) continue;
      const k = attributionKey((f.properties || {})[m.words.category], m.words);
      facets[k] = (facets[k] || 0) + 1;
    }
  }
  return { ...m, bins, features: features.slice(0, TABLE_ROWS), count: features.length, facets };
}

// The API's link to the page after page (null on the last).
function nextLink(page) {
  const l = page.features.length ? (page.links || []).find((x) => x && x.rel === 'next' && x.href) : null;
  return l ? l.href : null;
}

// A member drawn from vector tiles: the API filters it, counts it per
// month (/aggregate?by=month) and gives its first rows.
async function apiMember(m, state, domain, mapOnly) {
  const terms = termsFor(state, m);
  m.layer.setFilter(KS.predicate(terms));
  if (m.layer.setQuery) m.layer.setQuery(KS.apiParams(terms));
  const base = `collections/${encodeURIComponent(m.id)}`;
  const items = new URL(`${base}/items`, API);
  for (const [k, v] of KS.apiParams(terms)) items.searchParams.set(k, v);
  items.searchParams.set('limit', String(TABLE_ROWS));
  if (m.words.time && m.props.has(m.words.time)) items.searchParams.set('sortby', `-${m.words.time}`);
  const months = async () => {
    const bins = emptyBins(domain);
    if (!bins || !m.words.time) return null;
    const u = new URL(`${base}/aggregate`, API);
    for (const [k, v] of KS.apiParams(termsFor(state, m, { noTime: true }))) u.searchParams.set(k, v);
    u.searchParams.set('by', 'month');
    const fc = await fetchJSON(u);
    for (const f of fc.features) {
      if (!f.id) continue;
      const i = monthIndex(`${f.id}-01`) - domain.first;
      if (i >= 0 && i < bins.length) bins[i] = f.properties.count;
    }
    return bins;
  };
  const facets = async () => {
    const out = {};
    if (!m.words.category || !m.props.has(m.words.category)) return out;
    const rest = { ...state, cats: { ...state.cats, [m.id]: [] } };
    await Promise.all((m.words.categoryValues || []).map(async (v) => {
      out[v] = await layerCount(m.id, KS.apiParams(termsFor({ ...rest, cats: { ...rest.cats, [m.id]: [v] } }, m)));
    }));
    return out;
  };
  if (mapOnly) return { ...m, bins: null, features: [], count: null, facets: {} };
  const [page, bins, counts] = await Promise.all([fetchJSON(items), months(), facets()]);
  return { ...m, bins, features: page.features, count: page.numberMatched, facets: counts, next: nextLink(page) };
}

// createPicker fills #group-events when the map has more than one events
// layer, and keeps the map's events layers as the state picks them.
// sync() applies the state; isPicked(id) tells whether an events layer
// is picked (every other layer is).
export function createPicker(doc, store, ctx, map) {
  const ids = [...new Set([ctx.eventId, ...ctx.ofKind('events')])].filter((id) => id && ctx.layers[id]);
  const group = doc.getElementById('group-events');
  const picked = () => KP.pickedEvents(ctx.order, ctx.kinds, ctx.eventId, store.get().events);
  // normal: a list of events layers as the link writes it: in the
  // server's order, null for every one.
  const normal = (list) => KP.pickEvents(ctx.order, ctx.kinds, ctx.eventId, list, null, false);
  const isPicked = (id) => !ids.includes(id) || picked().includes(id);
  if (group) group.hidden = ids.length < 2;
  if (group && ids.length > 1) {
    group.querySelector('.chip-list').replaceChildren(...ids.map((id) => {
      const color = KP.layerColor(ctx, id);
      const input = el('input', { type: 'checkbox', id: `f-events-${id}`, name: 'events', value: id });
      if (id === ctx.eventId) input.disabled = true;
      input.addEventListener('change', () => {
        store.change({ events: KP.pickEvents(ctx.order, ctx.kinds, ctx.eventId, picked(), id, input.checked) });
      });
      return el('label', { class: 'chip', for: input.id, 'data-layer': id },
        input,
        shapeIcon(svg, ctx.shapeFor(id), color || '#555', 12, 'chip-shape'),
        el('span', { class: 'chip-label' }, ctx.titles[id] || id));
    }));
  }

  // sync: the chips as the state picks, and (unless only the chips are
  // asked for, when the page starts and layers= has had its say) the
  // map's events layers.
  function sync(chipsOnly) {
    const on = picked();
    for (const id of ids) {
      const input = group && group.querySelector(`input[value="${id}"]`);
      if (input) input.checked = on.includes(id);
      if (chipsOnly) continue;
      const layer = ctx.layers[id];
      const shown = map.hasLayer(layer);
      if (on.includes(id) && !shown) layer.addTo(map);
      else if (!on.includes(id) && shown) map.removeLayer(layer);
    }
  }

  // pickedOf: whether layer id is drawn under the link's events= list
  // (every layer that is not an events layer is).
  const pickedOf = (list) => {
    const on = KP.pickedEvents(ctx.order, ctx.kinds, ctx.eventId, list);
    return (id) => !ids.includes(id) || on.includes(id);
  };

  // members: the picked events layers other than the data layer, each
  // with what the page reads it by: its words and properties (profile
  // and queryables), whether it is drawn from vector tiles, its shape
  // and colour.
  const members = () => picked().filter((id) => id !== ctx.eventId && ctx.layers[id]).map((id) => ({
    id,
    layer: ctx.layers[id],
    title: ctx.titles[id] || id,
    words: ctx.wordsOf(id),
    props: ctx.propsOf(id),
    vector: !!ctx.layers[id].vector,
    shape: ctx.shapeFor(id),
    color: KP.layerColor(ctx, id) || '#555',
  }));

  // refresh filters every member by the state, read with its own words:
  // the time, country, text and magnitude filters as for the data
  // layer, and its own category values (the state's cats[id]) for
  // attribution. A layer in the page is filtered there; one drawn from
  // vector tiles by the API, with the very same expression (its tiles
  // hide what the predicate drops, its clusters and heat map count what
  // the API keeps). It returns, per member, the timeline's bars (events
  // per month of domain under every filter but the time), the table's
  // rows (latest first, at most TABLE_ROWS, with count, all that match)
  // and its category values' counts under the other filters (facets).
  // mapOnly (the embed) filters the map and asks for nothing else.
  async function refresh(state, domain, mapOnly) {
    const list = members();
    const results = await Promise.all(list.map((m) => (m.vector ? apiMember(m, state, domain, mapOnly) : pageMember(m, state, domain))));
    return {
      series: results.filter((r) => r.bins).map((r) => ({ id: r.id, title: r.title, color: r.color, shape: r.shape, bins: r.bins })),
      rows: results.map((r) => ({ id: r.id, title: r.title, words: r.words, features: r.features, count: r.count, next: r.next })),
      facets: Object.fromEntries(results.map((r) => [r.id, r.facets])),
    };
  }

  // legends: the picked events layers other than the data layer, each
  // with its colouring and shape, for the legend.
  const legends = () => picked().filter((id) => id !== ctx.eventId).map((id) => {
    const c = KP.colouring(ctx.profiles[id]);
    const layer = ctx.layers[id];
    return { id, title: ctx.titles[id] || id, by: c.categoryTitle, styles: c.categoryStyles, shape: ctx.shapeFor(id), mode: layer && layer.mode ? layer.mode() : 'circles' };
  });

  return { sync, isPicked, normal, pickedOf, members, refresh, legends, ids };
}
