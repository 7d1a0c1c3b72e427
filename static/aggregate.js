// The pure parts of the page's aggregates (choropleth.js, compare.js):
// which filters each events layer is counted under, the query of the
// API's /api/collections/{id}/aggregate, the choropleth's classes and
// colours, and the month-by-month table of several layers. An ES module
// of pure functions (no DOM, no Leaflet), so node's test runner tests it
// (tests/static). Every number shown comes from an aggregate answer as
// it is; nothing here counts features.

import * as KS from './state.js';
import * as KP from './profiles.js';

// layerWords: the words (profiles.js eventWords) an events layer is read
// with, its time the date property it has (props, a Set, and its
// queryables; profiles.js dateProperty).
export function layerWords(profile, props, queryables) {
  const words = KP.eventWords(profile);
  words.time = KP.dateProperty(words, props, queryables);
  return words;
}

// layerTerms: the state's filters (state.js filterTerms) for events
// layer id with properties props and words words. The data layer
// (isData) gets them all, as its items do. Another layer gets those on
// the properties it has, with its own category values (state.cats[id],
// when the state has them) in place of the attribution chips, which are
// the data layer's values and no other vocabulary's.
export function layerTerms(state, id, props, words, isData) {
  return KS.filterTerms(isData ? state : { ...state, attribution: (state.cats && state.cats[id]) || [] }, props, words);
}

// aggregateParams: the query of /aggregate (without "?") for the terms
// and a grouping: by country, hex (with size, km) or month; the filters
// are written as the items' (state.js apiParams), so the API counts the
// features the page's items query selects.
export function aggregateParams(terms, by, size) {
  const p = KS.apiParams(terms);
  p.set('by', by);
  if (by === 'hex') p.set('size', String(size));
  return p;
}

// groups: the features of an aggregate answer that are groups one can
// draw (with an id and a geometry); the null group (features in no
// country or cell) is left out and told apart by outside.
export function groups(doc) {
  return ((doc && doc.features) || []).filter((f) => f && f.id !== undefined && f.id !== null && f.id !== '' && f.geometry);
}

// outside: the count of the features that fall in no group (the null
// group: in no country, or without a geometry or date), 0 for none.
export function outside(doc) {
  const f = ((doc && doc.features) || []).find((g) => g && (g.id === undefined || g.id === null || g.id === ''));
  return f ? f.properties.count : 0;
}

// shadeValue: what a group is shaded by: its count (shade events) or
// its magnitude_sum (shade killed), null when it has no figure.
export function shadeValue(feature, shade) {
  const p = (feature && feature.properties) || {};
  const v = shade === 'killed' ? p.magnitude_sum : p.count;
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

// MAX_CLASSES: the choropleth's classes at most.
export const MAX_CLASSES = 5;

// classBreaks: the classes of values (numbers; nulls are left out), the
// rule figure.Classes follows for /render (both tested against
// tiles/figure/testdata/classes.json): with max or fewer distinct values,
// one class per value; otherwise quantiles, the k-th class ending at the
// ceil(k·n/max)-th value in ascending order and then at the last value
// equal to it, so equal values share a class. Each class is {lo, hi, n}:
// the smallest and the largest value it holds and how many; its bounds
// are values the answer has, so the legend's numbers are the aggregate's.
export function classBreaks(values, max) {
  const m = max || MAX_CLASSES;
  const v = values.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  const n = v.length;
  const out = [];
  if (!n || m < 1) return out;
  const distinct = new Set(v).size;
  for (let k = 1, i = 0; i < n; k++) {
    let j = distinct <= m ? i : Math.max(i, Math.ceil((k * n) / m) - 1);
    if (distinct > m && (k >= m || j >= n)) j = n - 1;
    while (j + 1 < n && v[j + 1] === v[j]) j++;
    out.push({ lo: v[i], hi: v[j], n: j - i + 1 });
    i = j + 1;
  }
  return out;
}

// classOf: the index of the class holding value v, -1 for none (null).
export function classOf(classes, v) {
  if (typeof v !== 'number') return -1;
  return classes.findIndex((c) => v >= c.lo && v <= c.hi);
}

// FALLBACK_RAMP: the choropleth colours when style.json has none (its
// "choropleth" key, which the figures read too: ColorBrewer's GnBu).
const FALLBACK_RAMP = ['#f0f9e8', '#bae4bc', '#7bccc4', '#43a2ca', '#0868ac'];
// NO_FIGURE: the fill of a group without a figure (shade killed, and
// none of its events has one), when style.json gives none.
export const NO_FIGURE = '#d9d9d9';

// ramp: the fills of k classes from the style's colours, spread so the
// lightest and the darkest are used, one class taking the middle: the
// figure's classColor, so the page and /render agree.
export function ramp(k, colors) {
  const c = colors && colors.length ? colors : FALLBACK_RAMP;
  if (k <= 0) return [];
  if (k === 1) return [c[Math.floor(c.length / 2)]];
  return Array.from({ length: k }, (_, i) => c[Math.round((i * (c.length - 1)) / (k - 1))]);
}

// classLabel: a class's numbers as the legend writes them (fmt formats
// one number): "3", or "4–10".
export function classLabel(c, fmt) {
  const f = fmt || String;
  return c.lo === c.hi ? f(c.lo) : `${f(c.lo)}–${f(c.hi)}`;
}

// monthTable: the month-by-month comparison of several layers' by=month
// answers (layers: [{id, doc}], in the page's order): every month any of
// them has, in time order, each with one cell per layer ({count, sum,
// summed}: the group's count, magnitude_sum and magnitude_count, or null
// where the layer has no event that month), the layers' totals (the
// answers' own count and magnitude_sum), and the events without a date
// (the null group) per layer.
export function monthTable(layers) {
  const months = new Set();
  const byLayer = layers.map(({ doc }) => {
    const m = new Map();
    for (const f of (doc && doc.features) || []) {
      const id = f.id === undefined || f.id === null ? '' : String(f.id);
      if (id) months.add(id);
      m.set(id, { count: f.properties.count, sum: f.properties.magnitude_sum ?? null, summed: f.properties.magnitude_count ?? null });
    }
    return m;
  });
  const sorted = [...months].sort();
  return {
    months: sorted,
    rows: sorted.map((month) => ({ month, cells: byLayer.map((m) => m.get(month) || null) })),
    totals: layers.map(({ doc }) => ({ count: doc ? doc.count : 0, sum: doc && typeof doc.magnitude_sum === 'number' ? doc.magnitude_sum : null, magnitude: (doc && doc.magnitude) || null })),
    undated: byLayer.map((m) => (m.get('') ? m.get('').count : 0)),
  };
}

// monthSpan: every month from first to last ("YYYY-MM"), for the chart's
// axis, so months without events show as gaps.
export function monthSpan(first, last) {
  if (!first || !last) return [];
  const out = [];
  let [y, m] = first.split('-').map(Number);
  const [ly, lm] = last.split('-').map(Number);
  while (y < ly || (y === ly && m <= lm)) {
    out.push(`${y}-${String(m).padStart(2, '0')}`);
    if (++m > 12) { m = 1; y++; }
    if (out.length > 12 * 200) break; // two centuries: a bad date, not data
  }
  return out;
}
