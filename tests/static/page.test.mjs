// Unit tests of the map page's other pure modules under node's test
// runner: the state store (static/store.js) and the timeline's dates
// (static/dates.js). Run by static_test.go, or: node --test page.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createStore, changed } from '../../static/store.js';
import { defaults } from '../../static/state.js';
import { rangeText, dateOfStart, dateOfEnd, indexOf, monthIndex } from '../../static/dates.js';

test('store: change makes a new state, leaves the old one, and tells subscribers in order', () => {
  const store = createStore(defaults());
  const first = store.get();
  const heard = [];
  store.subscribe((s, patch, before) => heard.push(['a', s.q, patch, before.q]));
  store.subscribe((s, patch) => heard.push(['b', s.q, patch]));
  store.change({ q: 'Kabul' });
  assert.equal(first.q, '', 'the state handed out before is not modified');
  assert.equal(store.get().q, 'Kabul');
  assert.notEqual(store.get(), first);
  assert.deepEqual(heard, [['a', 'Kabul', { q: 'Kabul' }, ''], ['b', 'Kabul', { q: 'Kabul' }]]);
});

test('store: a subscriber that changes the state has the others hear the newest state', () => {
  const store = createStore(defaults());
  const seen = [];
  store.subscribe((s, patch) => { if ('q' in patch && s.sel) store.change({ sel: null }); });
  store.subscribe((s, patch) => seen.push([Object.keys(patch).join(), s.sel]));
  store.change({ sel: 'x' });
  store.change({ q: 'y' });
  assert.deepEqual(seen, [['sel', 'x'], ['sel', null], ['q', null]]);
  assert.equal(store.get().sel, null);
});

test('changed: only keys the patch gives a new value', () => {
  const before = defaults();
  assert.equal(changed({ q: '' }, before, ['q']), false);
  assert.equal(changed({ q: 'a' }, before, ['q']), true);
  assert.equal(changed({ view: { lat: 0, lon: 0, zoom: 3 } }, before, ['q', 'time']), false);
  assert.equal(changed({ country: [] }, before, ['country']), true, 'a new list is a new value');
});

const ranges = {
  'all time': [null, 'All time'],
  'a whole year': [{ start: '2021-01-01', end: '2021-12-31' }, '2021'],
  'whole years': [{ start: '2019-01-01', end: '2021-12-31' }, '2019–2021'],
  'months of one year': [{ start: '2021-01-01', end: '2021-06-30' }, 'Jan – Jun 2021'],
  'one month': [{ start: '2024-02-01', end: '2024-02-29' }, 'Feb 2024'],
  'months across years': [{ start: '2021-03-01', end: '2022-02-28' }, 'Mar 2021 – Feb 2022'],
  'days': [{ start: '2021-08-26', end: '2021-12-31' }, '26 Aug 2021 – 31 Dec 2021'],
  'one day': [{ start: '2021-08-26', end: '2021-08-26' }, '26 Aug 2021'],
  'open start': [{ start: null, end: '2020-12-31' }, 'Until 31 Dec 2020'],
  'open end': [{ start: '2022-01-01', end: null }, 'From 1 Jan 2022'],
};
for (const [name, [t, want]] of Object.entries(ranges)) {
  test(`rangeText: ${name}`, () => assert.equal(rangeText(t), want));
}

test('bins: first and last days, and the bin of a date', () => {
  assert.equal(dateOfStart('year', 2021), '2021-01-01');
  assert.equal(dateOfEnd('year', 2021), '2021-12-31');
  const feb2024 = monthIndex('2024-02-10');
  assert.equal(dateOfStart('month', feb2024), '2024-02-01');
  assert.equal(dateOfEnd('month', feb2024), '2024-02-29');
  assert.equal(dateOfEnd('month', monthIndex('2023-02-01')), '2023-02-28');
  assert.equal(indexOf('year', '2021-08-26'), 2021);
  assert.equal(indexOf('month', '2021-08-26'), 2021 * 12 + 7);
});
