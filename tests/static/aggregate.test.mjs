// Unit tests of static/aggregate.js, the pure parts of the page's
// choropleth and month-by-month comparison: the quantile classes (every
// value in exactly one class, bounds that are values, ties never split),
// the filters each layer is counted under, the /aggregate query, and the
// table of several layers' months. Run by static_test.go, or:
// node --test aggregate.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as KA from '../../static/aggregate.js';
import * as KS from '../../static/state.js';
import { eventWords } from '../../static/profiles.js';

const dataset = JSON.parse(readFileSync(new URL('../../data/profiles.json', import.meta.url), 'utf8'));
const attacksWords = eventWords(dataset.layers.attacks);
const attacksProps = new Set(JSON.parse(readFileSync(new URL('../../data/attacks.geojson', import.meta.url), 'utf8')).features.flatMap((f) => Object.keys(f.properties)));
const withDefaults = (patch) => ({ ...KS.defaults(), ...patch });

// Each class is its values' smallest and largest, every value is in
// exactly one, classes go up, and no two classes share a value.
function checkClasses(values, classes, max) {
  const v = values.filter((x) => typeof x === 'number');
  assert.ok(classes.length <= Math.min(max, new Set(v).size), `${classes.length} classes for ${v.length} values`);
  assert.equal(classes.reduce((a, c) => a + c.n, 0), v.length, 'the classes do not hold every value once');
  for (const x of v) assert.equal(classes.filter((c) => x >= c.lo && x <= c.hi).length, 1, `${x} is not in exactly one class of ${JSON.stringify(classes)}`);
  for (const c of classes) {
    const inside = v.filter((x) => x >= c.lo && x <= c.hi);
    assert.equal(inside.length, c.n);
    assert.equal(Math.min(...inside), c.lo);
    assert.equal(Math.max(...inside), c.hi);
  }
  for (let i = 1; i < classes.length; i++) assert.ok(classes[i].lo > classes[i - 1].hi);
}

const breakCases = {
  'no values, no classes': [[], []],
  'one value, one class': [[7], [{ lo: 7, hi: 7, n: 1 }]],
  'nulls are left out': [[null, 3, null], [{ lo: 3, hi: 3, n: 1 }]],
  // The attacks' killed per country (docs/API.md): five distinct values, five classes.
  'the attacks killed per country': [[1637, 816, 112, 0, 145, 0], [
    { lo: 0, hi: 0, n: 2 }, { lo: 112, hi: 112, n: 1 }, { lo: 145, hi: 145, n: 1 }, { lo: 816, hi: 816, n: 1 }, { lo: 1637, hi: 1637, n: 1 }]],
  'ties are not split, so fewer classes': [[1, 1, 1, 1, 1, 1, 2, 3], [{ lo: 1, hi: 1, n: 6 }, { lo: 2, hi: 2, n: 1 }, { lo: 3, hi: 3, n: 1 }]],
  'ten values in five classes of two': [[10, 1, 9, 2, 8, 3, 7, 4, 6, 5], [
    { lo: 1, hi: 2, n: 2 }, { lo: 3, hi: 4, n: 2 }, { lo: 5, hi: 6, n: 2 }, { lo: 7, hi: 8, n: 2 }, { lo: 9, hi: 10, n: 2 }]],
};

for (const [name, [values, want]] of Object.entries(breakCases)) {
  test(`classBreaks: ${name}`, () => {
    const got = KA.classBreaks(values);
    assert.deepEqual(got, want);
    checkClasses(values, got, KA.MAX_CLASSES);
  });
}

// The rule figure.Classes follows in /render figures, on the same cases
// its TestClasses reads: the page and the figures draw the same classes.
const shared = JSON.parse(readFileSync(new URL('../../tiles/figure/testdata/classes.json', import.meta.url), 'utf8'));
for (const c of shared.cases) {
  test(`classBreaks as figure.Classes: ${c.name}`, () => {
    assert.deepEqual(KA.classBreaks(c.values, KA.MAX_CLASSES), c.classes.map(([lo, hi, n]) => ({ lo, hi, n })));
  });
}

test('classBreaks: random counts, any number of classes, hold every value in exactly one class', () => {
  let seed = 42;
  const rand = () => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 31; };
  for (let round = 0; round < 300; round++) {
    const n = 1 + Math.floor(rand() * 60);
    const spread = [3, 20, 2000][round % 3];
    const values = Array.from({ length: n }, () => (rand() < 0.1 ? null : Math.floor(rand() ** 2 * spread)));
    const max = 1 + (round % 7);
    checkClasses(values, KA.classBreaks(values, max), max);
  }
});

test('classOf, classLabel and the ramps', () => {
  const classes = KA.classBreaks([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.equal(KA.classOf(classes, 1), 0);
  assert.equal(KA.classOf(classes, 10), 4);
  assert.equal(KA.classOf(classes, null), -1);
  assert.equal(KA.classLabel({ lo: 3, hi: 3 }), '3');
  assert.equal(KA.classLabel({ lo: 1000, hi: 2500 }, (n) => n.toLocaleString('en-GB')), '1,000–2,500');
  for (let k = 1; k <= KA.MAX_CLASSES; k++) assert.equal(KA.ramp(k).length, k);
  // The figures' classColor: both ends used, one class the middle colour.
  const style = JSON.parse(readFileSync(new URL('../../static/style.json', import.meta.url), 'utf8'));
  const c = style.choropleth.colors;
  assert.deepEqual(KA.ramp(1, c), [c[2]]);
  assert.deepEqual(KA.ramp(2, c), [c[0], c[4]]);
  assert.deepEqual(KA.ramp(3, c), [c[0], c[2], c[4]]);
  assert.deepEqual(KA.ramp(5, c), c);
});

test('shadeValue, groups and outside read an aggregate answer as it is', () => {
  const doc = {
    count: 6, magnitude: 'killed', magnitude_sum: 10,
    features: [
      { type: 'Feature', id: '1', geometry: { type: 'Polygon', coordinates: [] }, properties: { count: 4, magnitude_sum: 10, magnitude_count: 3 } },
      { type: 'Feature', id: '2', geometry: { type: 'Polygon', coordinates: [] }, properties: { count: 1, magnitude_sum: null, magnitude_count: 0 } },
      { type: 'Feature', geometry: null, properties: { count: 1, magnitude_sum: null, magnitude_count: 0 } },
    ],
  };
  assert.deepEqual(KA.groups(doc).map((f) => f.id), ['1', '2']);
  assert.equal(KA.outside(doc), 1);
  assert.equal(KA.outside({ features: [] }), 0);
  assert.deepEqual(KA.groups(doc).map((f) => KA.shadeValue(f, 'events')), [4, 1]);
  assert.deepEqual(KA.groups(doc).map((f) => KA.shadeValue(f, 'killed')), [10, null]);
});

test('layerTerms: the data layer gets every filter; another layer those on its properties, its own category values, never the attribution chips', () => {
  const s = withDefaults({ time: { start: '2021-01-01', end: null }, country: ['Afghanistan'], attribution: ['claimed'], minKilled: 5 });
  const data = KA.layerTerms(s, 'attacks', attacksProps, attacksWords, true);
  assert.deepEqual(data, KS.filterTerms(s, attacksProps, attacksWords), 'the data layer is counted as its items are filtered');
  // An ACLED-like layer: its own date, magnitude and category.
  const acledWords = { time: 'event_date', magnitude: 'fatalities', category: 'event_type', categoryValues: ['Battles', 'Riots'] };
  const acledProps = new Set(['event_date', 'fatalities', 'event_type', 'country']);
  assert.equal(KS.toCQL(KA.layerTerms(s, 'acled', acledProps, acledWords, false)),
    "T_INTERSECTS(event_date, INTERVAL('2021-01-01', '..')) AND country = 'Afghanistan' AND fatalities >= 5");
  // A layer with the attacks' very words is still not filtered by the data layer's chips.
  assert.doesNotMatch(KS.toCQL(KA.layerTerms(s, 'more', attacksProps, attacksWords, false)), /attribution/);
  // Its own category values, when the state has them, filter it.
  assert.match(KS.toCQL(KA.layerTerms({ ...s, cats: { acled: ['Riots'] } }, 'acled', acledProps, acledWords, false)), /event_type = 'Riots'/);
});

test('aggregateParams: the items filters, by and size', () => {
  const terms = KS.filterTerms(withDefaults({ time: { start: '2021-01-01', end: null }, attribution: ['claimed'], minKilled: 50 }), attacksProps, attacksWords);
  assert.equal(KA.aggregateParams(terms, 'country').toString(), 'datetime=2021-01-01%2F..&attribution=claimed&filter=killed+%3E%3D+50&by=country');
  assert.equal(KA.aggregateParams([], 'hex', 50).toString(), 'by=hex&size=50');
  assert.equal(KA.aggregateParams([], 'month', 50).toString(), 'by=month', 'size only with hex');
});

test('monthTable: every month of any layer, a cell per layer or null, the answers\' totals and undated events', () => {
  const month = (id, count, sum) => ({ type: 'Feature', id, geometry: null, properties: { month: id, count, magnitude_sum: sum, magnitude_count: sum === null ? 0 : count } });
  const a = { count: 5, magnitude: 'killed', magnitude_sum: 30, features: [month('2021-08', 3, 20), month('2022-01', 2, 10)] };
  const b = { count: 3, magnitude: 'fatalities', magnitude_sum: 173, features: [month('2021-08', 1, 170), month('2021-09', 1, 3), { type: 'Feature', geometry: null, properties: { month: null, count: 1, magnitude_sum: null, magnitude_count: 0 } }] };
  const t = KA.monthTable([{ id: 'a', doc: a }, { id: 'b', doc: b }]);
  assert.deepEqual(t.months, ['2021-08', '2021-09', '2022-01']);
  assert.deepEqual(t.rows.map((r) => r.cells.map((c) => (c ? [c.count, c.sum] : null))), [[[3, 20], [1, 170]], [null, [1, 3]], [[2, 10], null]]);
  assert.deepEqual(t.totals, [{ count: 5, sum: 30, magnitude: 'killed' }, { count: 3, sum: 173, magnitude: 'fatalities' }]);
  assert.deepEqual(t.undated, [0, 1]);
});

test('monthSpan: every month between, across years', () => {
  assert.deepEqual(KA.monthSpan('2021-11', '2022-02'), ['2021-11', '2021-12', '2022-01', '2022-02']);
  assert.deepEqual(KA.monthSpan('2021-11', '2021-11'), ['2021-11']);
  assert.deepEqual(KA.monthSpan(undefined, undefined), []);
});
