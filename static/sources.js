// Where the map page's counts, table rows, facets and histogram come
// from. A small event layer has all its features in the page, which
// filters them (pageSource); a large one (drawn from vector tiles) is
// filtered by the API with the very same expression (apiSource). Both
// also hide on the map what the filter drops (layer.setFilter).
//
// terms(state, opts) gives the state's filter terms (state.js
// filterTerms) for the event layer; ctx.words are its words (profiles.js
// vocabulary: its date, magnitude and colouring category).

import * as KS from './state.js';
import { monthIndex } from './dates.js';
import { API, fetchJSON } from './api.js';
import { attributionKey } from './style.js';

export const TABLE_ROWS = 500; // rows drawn at most; the counts cover them all

// The table's order by a sort key (state.js SORT_KEYS, read with the
// layer's words): nulls first going up, last going down, as in SQLite.
export function compareRows(key, desc, words) {
  const prop = KS.sortProperty(key, words);
  const get = (f) => (prop ? (f.properties || {})[prop] : undefined);
  return (a, b) => {
    const x = get(a);
    const y = get(b);
    const xn = x === null || x === undefined || x === '';
    const yn = y === null || y === undefined || y === '';
    let c;
    if (xn || yn) c = xn && yn ? 0 : xn ? -1 : 1;
    else if (typeof x === 'number' && typeof y === 'number') c = x - y;
    else c = String(x).localeCompare(String(y), 'en');
    return desc ? -c : c;
  };
}

// Small layers: every feature is in the page.
export function pageSource(layer, ctx, terms) {
  const features = layer.features();
  const dateProp = ctx.dateProp;
  const { category, magnitude } = ctx.words;
  const dates = dateProp ? features.map((f) => (f.properties || {})[dateProp]).filter((d) => typeof d === 'string' && KS.validDate(d.slice(0, 10))).map((d) => d.slice(0, 10)).sort() : [];
  const domain = dates.length ? { unit: 'month', first: Number(dates[0].slice(0, 4)) * 12, last: Number(dates[dates.length - 1].slice(0, 4)) * 12 + 11 } : null;

  function facets(s) {
    const out = {};
    for (const facet of ['country', 'attribution', 'type']) {
      const pred = KS.predicate(terms({ ...s, [facet]: [] }));
      const counts = {};
      for (const f of features) {
        const p = f.properties || {};
        if (!pred(p)) continue;
        const key = facet === 'type' ? KS.typeOf(p.attack_type) : facet === 'attribution' ? attributionKey(category ? p[category] : undefined, ctx.words) : p.country;
        if (key === null || key === undefined || key === '') continue;
        counts[key] = (counts[key] || 0) + 1;
      }
      out[facet] = counts;
    }
    return out;
  }

  return {
    kind: 'page',
    domain,
    total: features.length,
    countries: [...new Set(features.map((f) => (f.properties || {}).country).filter((c) => typeof c === 'string' && c))].sort(),
    targets: features.map((f) => String((f.properties || {}).target || '')),
    async apply(s) {
      const pred = KS.predicate(terms(s));
      layer.setFilter(pred);
      const rows = features.filter((f) => pred(f.properties));
      const killed = magnitude ? rows.reduce((a, f) => a + (Number((f.properties || {})[magnitude]) || 0), 0) : 0;
      rows.sort(compareRows(s.sort.key, s.sort.desc, ctx.words));
      let bins = null;
      if (domain) {
        const noTime = KS.predicate(terms(s, { noTime: true }));
        bins = new Array(domain.last - domain.first + 1).fill(0);
        for (const f of features) {
          const p = f.properties || {};
          if (!noTime(p)) continue;
          const d = p[dateProp];
          if (typeof d !== 'string' || !KS.validDate(d.slice(0, 10))) continue;
          const i = monthIndex(d) - domain.first;
          if (i >= 0 && i < bins.length) bins[i]++;
        }
      }
      return { count: rows.length, killed, rows, bins, facets: facets(s) };
    },
  };
}

// Large layers: the API does the filtering; the map's vector tiles hide
// what the same predicate drops, and its clusters and heat map count
// what the API keeps (layer.setQuery). The timeline counts per month
// (/aggregate?by=month, under every filter but the time), the
// attribution chips per value (one count each), the table takes the
// first TABLE_ROWS rows in the table's order, and count is the API's
// numberMatched.
export async function apiSource(layer, id, ctx, terms) {
  const base = new URL(`collections/${encodeURIComponent(id)}/items`, API);
  const dateProp = ctx.dateProp;
  const { category, categoryValues } = ctx.words;
  async function get(params) {
    const u = new URL(base);
    for (const [k, v] of params) u.searchParams.set(k, v);
    return fetchJSON(u);
  }
  async function months(params) {
    const u = new URL(`collections/${encodeURIComponent(id)}/aggregate`, API);
    for (const [k, v] of params) u.searchParams.set(k, v);
    u.searchParams.set('by', 'month');
    return (await fetchJSON(u)).features.filter((f) => f.id);
  }
  const canMonth = !!(dateProp && ctx.words.time === dateProp);
  let domain = null;
  if (canMonth) {
    const all = await months([]);
    if (all.length) {
      const ids = all.map((f) => f.id).sort();
      domain = { unit: 'month', first: Number(ids[0].slice(0, 4)) * 12, last: Number(ids[ids.length - 1].slice(0, 4)) * 12 + 11 };
    }
  } else if (dateProp) {
    const [lo, hi] = await Promise.all([
      get([['limit', '1'], ['sortby', dateProp], ['properties', dateProp], ['filter', `${dateProp} IS NOT NULL`]]),
      get([['limit', '1'], ['sortby', '-' + dateProp], ['properties', dateProp]]),
    ]);
    const a = lo.features[0] && lo.features[0].properties[dateProp];
    const b = hi.features[0] && hi.features[0].properties[dateProp];
    if (a && b) domain = { unit: 'year', first: Number(String(a).slice(0, 4)), last: Number(String(b).slice(0, 4)) };
  }
  const withParams = (p, more) => [...p.entries(), ...more];
  const count = async (p) => {
    p.set('limit', '1');
    p.set('properties', '');
    return (await get(p.entries())).numberMatched || 0;
  };
  return {
    kind: 'api',
    domain,
    total: ctx.counts[id],
    countries: [],
    targets: [],
    async apply(s) {
      const t = terms(s);
      layer.setFilter(KS.predicate(t));
      const params = KS.apiParams(t);
      if (layer.setQuery) layer.setQuery(params);
      const sort = KS.sortParam(s.sort, ctx.words, ctx.eventProps);
      const pagePromise = get(withParams(params, [['limit', String(TABLE_ROWS)], ...(sort ? [['sortby', sort]] : [])]));
      let binsPromise = Promise.resolve(null);
      if (domain && domain.unit === 'month') {
        binsPromise = months(KS.apiParams(terms(s, { noTime: true }))).then((list) => {
          const bins = new Array(domain.last - domain.first + 1).fill(0);
          for (const f of list) {
            const i = monthIndex(`${f.id}-01`) - domain.first;
            if (i >= 0 && i < bins.length) bins[i] = f.properties.count;
          }
          return bins;
        });
      } else if (domain) {
        const noTime = terms(s, { noTime: true });
        const years = [];
        for (let y = domain.first; y <= domain.last; y++) years.push(y);
        binsPromise = Promise.all(years.map((y) => count(KS.apiParams([{ during: [dateProp, `${y}-01-01`, `${y}-12-31`] }, ...noTime]))));
      }
      // The attribution chips' counts: each value under the other filters.
      let facetsPromise = Promise.resolve(null);
      if (category && ctx.eventProps.has(category) && categoryValues && categoryValues.length <= 24) {
        facetsPromise = Promise.all(categoryValues.map((v) => count(KS.apiParams(terms({ ...s, attribution: [v] })))))
          .then((ns) => ({ attribution: Object.fromEntries(categoryValues.map((v, i) => [v, ns[i]])) }));
      }
      const [page, bins, facets] = await Promise.all([pagePromise, binsPromise, facetsPromise]);
      // next: the API's following page of rows, for the table's "more".
      const link = page.features.length ? (page.links || []).find((l) => l && l.rel === 'next' && l.href) : null;
      return { count: page.numberMatched, killed: null, rows: page.features, bins, facets, next: link ? link.href : null };
    },
  };
}
