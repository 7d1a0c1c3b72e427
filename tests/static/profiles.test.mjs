// Unit tests of what the pages decide by the layers' profiles
// (static/profiles.js) and of the state functions that take the event
// layer's words (static/state.js), under node's test runner: the default
// dataset (data/profiles.json) gives the order, drawing and words the page
// has always had, and a dataset with other names gives the same page
// without any of them. Run by static_test.go, or: node --test profiles.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as KP from '../../static/profiles.js';
import * as KS from '../../static/state.js';

const dataset = JSON.parse(readFileSync(new URL('../../data/profiles.json', import.meta.url), 'utf8'));
const kindsOf = (layers) => Object.fromEntries(Object.entries(layers).map(([id, p]) => [id, KP.kindOf(p)]));
const defaultKinds = kindsOf(dataset.layers);
// The server lists the default layers in data/layers.json's order.
const defaultIds = JSON.parse(readFileSync(new URL('../../data/layers.json', import.meta.url), 'utf8')).map((l) => l.name);

// Another dataset: the same kinds of layer under other names, and other
// property names for the events' date, magnitude and colouring category.
const other = {
  coast: { kind: 'reference' },
  zone: { kind: 'areas' },
  towns: { kind: 'places', label: 'title' },
  incidents: {
    kind: 'events', time: 'day', magnitude: 'deaths',
    categories: [{ property: 'claim', values: ['Owned', 'Blamed'] }, { property: 'accuracy', values: ['exact'] }],
  },
};
const otherKinds = { ...kindsOf(other), extra: 'generic' };

test('kindOf: a missing or unknown kind is generic', () => {
  assert.equal(KP.kindOf({ kind: 'events' }), 'events');
  assert.equal(KP.kindOf({ kind: 'lines' }), 'generic');
  assert.equal(KP.kindOf({}), 'generic');
  assert.equal(KP.kindOf(null), 'generic');
});

test('the default dataset: draw order, control order and data layer as before profiles', () => {
  assert.deepEqual([...defaultIds].sort(), ['attacks', 'borders', 'cities', 'khorasan']);
  const order = KP.drawOrder(defaultIds, defaultKinds);
  assert.deepEqual(order, ['borders', 'khorasan', 'attacks', 'cities']);
  assert.deepEqual(KP.drawOrder([...defaultIds, 'events'], { ...defaultKinds, events: 'generic' }),
    ['borders', 'khorasan', 'attacks', 'cities', 'events'], 'an undescribed layer comes last');
  assert.deepEqual(KP.controlOrder(order, defaultKinds, 'attacks'), ['cities', 'attacks', 'khorasan', 'borders']);
  assert.deepEqual(KP.controlOrder([...order, 'events'], { ...defaultKinds, events: 'generic' }, 'events'),
    ['cities', 'events', 'attacks', 'khorasan', 'borders'], 'the event layer picked by data= comes after the places');
  assert.equal(KP.dataLayer(order, defaultKinds, null), 'attacks');
  assert.equal(KP.dataLayer(order, defaultKinds, 'cities'), 'cities', 'data= wins when the layer exists');
  assert.equal(KP.dataLayer(order, defaultKinds, 'nope'), 'attacks');
  assert.equal(KP.queryablesLayer(order, defaultKinds, 'attacks'), 'attacks');
  assert.equal(KP.queryablesLayer(['borders', 'x'], { borders: 'reference', x: 'generic' }, null), 'x');
});

test('other names: the same decisions by kind', () => {
  const ids = ['extra', 'towns', 'incidents', 'zone', 'coast'];
  const order = KP.drawOrder(ids, otherKinds);
  assert.deepEqual(order, ['coast', 'zone', 'incidents', 'towns', 'extra']);
  assert.deepEqual(KP.controlOrder(order, otherKinds, 'incidents'), ['towns', 'incidents', 'extra', 'zone', 'coast']);
  assert.equal(KP.dataLayer(order, otherKinds, null), 'incidents');
  assert.deepEqual(KP.ofKind(order, otherKinds, 'places'), ['towns']);
});

test('drawnAs, counted and creditedByMap by kind', () => {
  const cases = [
    // kind, is the event layer, drawn as, counted, credited by the map's line
    ['reference', false, 'reference', false, true],
    ['reference', true, 'reference', false, true],
    ['areas', false, 'areas', false, false],
    ['events', false, 'events', true, true],
    ['places', false, 'places', true, false],
    ['places', true, 'events', true, false],
    ['generic', false, 'generic', true, false],
    ['generic', true, 'events', true, false],
  ];
  for (const [kind, isEvent, drawn, counted, credited] of cases) {
    assert.equal(KP.drawnAs(kind, isEvent), drawn, `${kind} ${isEvent}`);
    assert.equal(KP.counted(kind), counted, kind);
    assert.equal(KP.creditedByMap(kind), credited, kind);
  }
});

test('vocabulary: the default events profile gives the page\'s words', () => {
  assert.deepEqual(KP.vocabulary(dataset.layers.attacks), {
    time: 'date', endTime: 'end_date', magnitude: 'killed', magnitudeLow: 'killed_low', magnitudeHigh: 'killed_high',
    category: 'attribution', categoryValues: ['claimed', 'attributed', 'disputed'], label: 'name',
  });
  const none = KP.vocabulary({ kind: 'generic' });
  assert.deepEqual(none, {
    time: null, endTime: null, magnitude: null, magnitudeLow: null, magnitudeHigh: null, category: null, categoryValues: null, label: null,
  });
  assert.deepEqual(KP.vocabulary(null), none);
});

test('eventProfile: a layer the dataset does not describe is read as its events layer', () => {
  const order = KP.drawOrder([...defaultIds, 'events'], { ...defaultKinds, events: 'generic' });
  const kinds = { ...defaultKinds, events: 'generic' };
  const profiles = { ...dataset.layers, events: { kind: 'generic' } };
  assert.equal(KP.eventProfile(profiles, order, kinds, 'attacks'), dataset.layers.attacks);
  assert.equal(KP.eventProfile(profiles, order, kinds, 'events'), dataset.layers.attacks);
  assert.deepEqual(KP.eventProfile({ x: { kind: 'generic' } }, ['x'], { x: 'generic' }, 'x'), { kind: 'generic' });
});

test('dateProperty: the profile\'s time if the layer has it, else the queryables\' first date', () => {
  const words = KP.vocabulary(dataset.layers.attacks);
  const q = { properties: { a_day: { type: 'string', format: 'date' }, date: { type: 'string', format: 'date' } } };
  assert.equal(KP.dateProperty(words, new Set(['a_day', 'date']), q), 'date');
  assert.equal(KP.dateProperty(words, new Set(['a_day']), q), 'a_day');
  assert.equal(KP.dateProperty(words, new Set(['date']), null), 'date', 'features stand in for queryables');
  assert.equal(KP.dateProperty(KP.vocabulary({}), new Set(), { properties: { n: { type: 'integer' } } }), null);
  assert.equal(KP.hasDates(q), true);
  assert.equal(KP.hasDates({ properties: { when: { type: 'string', format: 'date-time' } } }), true);
  assert.equal(KP.hasDates({ properties: { n: { type: 'integer' } } }), false);
  assert.equal(KP.hasDates(null), false);
});

// ---- state.js with the words of a dataset whose events have other names

const words = KP.vocabulary(other.incidents);
const withDefaults = (patch) => ({ ...KS.defaults(), ...patch });

test('filters go to the profile\'s properties, the link keeps its names', () => {
  const props = new Set(['day', 'deaths', 'claim', 'name']);
  const s = withDefaults({ time: { start: '2021-01-01', end: null }, attribution: ['Owned'], minKilled: 5 });
  const terms = KS.filterTerms(s, props, words);
  assert.equal(KS.toCQL(terms), "T_INTERSECTS(day, INTERVAL('2021-01-01', '..')) AND claim = 'Owned' AND deaths >= 5");
  assert.equal(KS.serialize(s), 'datetime=2021-01-01/..&attribution=Owned&minkilled=5');
  const keep = KS.predicate(terms);
  assert.equal(keep({ day: '2021-03-01', claim: 'Owned', deaths: 7 }), true);
  assert.equal(keep({ day: '2021-03-01', claim: 'Blamed', deaths: 7 }), false);
  assert.equal(keep({ day: '2021-03-01', claim: 'Owned', deaths: 2 }), false);
  assert.deepEqual(KS.filterTerms(s, new Set(['day']), words), [{ during: ['day', '2021-01-01', null] }],
    'filters on properties the layer lacks are left out');
  assert.deepEqual(KS.filterTerms(withDefaults({ attribution: ['Owned'], minKilled: 5 }), props, null), [],
    'without words, no magnitude or category filter');
});

test('sort keys stand for the profile\'s properties', () => {
  const props = new Set(['day', 'deaths', 'claim', 'name']);
  assert.equal(KS.sortProperty('date', words), 'day');
  assert.equal(KS.sortProperty('killed', words), 'deaths');
  assert.equal(KS.sortProperty('attribution', words), 'claim');
  assert.equal(KS.sortProperty('name', words), 'name');
  assert.equal(KS.sortProperty('killed', null), null);
  assert.equal(KS.sortParam({ key: 'killed', desc: true }, words, props), '-deaths');
  assert.equal(KS.sortParam({ key: 'attribution', desc: false }, words, props), 'claim');
  assert.equal(KS.sortParam({ key: 'killed', desc: true }, KP.vocabulary({}), props), '');
});

test('checkCategories: the link\'s values against the category\'s, whatever their case', () => {
  const s = withDefaults({ attribution: ['owned', 'alleged', 'OWNED'] });
  const copy = JSON.parse(JSON.stringify(s));
  const { state, problems } = KS.checkCategories(s, words);
  assert.deepEqual(state.attribution, ['Owned']);
  assert.deepEqual(problems, ['attribution "alleged" is not one of Owned, Blamed']);
  assert.deepEqual(s, copy, 'the state passed in is left as it is');
  assert.deepEqual(KS.checkCategories(s, KP.vocabulary({})), { state: s, problems: [] }, 'no category list: left as it is');
});

test('parse: attribution values are checked when words are given, and later otherwise', () => {
  const without = KS.parse('?attribution=Owned&attribution=alleged');
  assert.deepEqual(without.problems, []);
  assert.deepEqual(without.state.attribution, ['owned', 'alleged']);
  const checked = KS.checkCategories(without.state, words);
  const at = KS.parse('?attribution=Owned&attribution=alleged', words);
  assert.deepEqual(at.state.attribution, ['Owned']);
  assert.deepEqual(at.problems, checked.problems);
  assert.deepEqual(at.state, checked.state);
});

// ---- colours and labels of the colouring category, from the profile

test('colouring: the default events profile gives style.json\'s colours and labels', () => {
  const style = JSON.parse(readFileSync(new URL('../../static/style.json', import.meta.url), 'utf8'));
  const c = KP.colouring(dataset.layers.attacks);
  assert.equal(c.categoryTitle, 'Attribution');
  assert.deepEqual(c.categoryStyles, style.attribution);
  assert.deepEqual(Object.keys(c.categoryStyles), ['claimed', 'attributed', 'disputed'], 'in the profile\'s order');
  assert.deepEqual(KP.colouring({ kind: 'generic' }), { categoryTitle: null, categoryStyles: null });
});

test('colouring: a profile without colours gets the palette, in the order of its values', () => {
  const c = KP.colouring(other.incidents);
  assert.equal(c.categoryTitle, 'claim', 'no title: the property');
  assert.deepEqual(c.categoryStyles, {
    Owned: { color: KP.PALETTE[0], label: 'Owned' },
    Blamed: { color: KP.PALETTE[1], label: 'Blamed' },
  });
  assert.deepEqual(KP.colouring(other.incidents), c, 'the same colours each time');
  const some = KP.categoryStyles({ property: 'p', values: ['a', 'b', 'c'], colors: { b: '#123456', c: 'red' }, labels: { a: 'The A' } });
  assert.deepEqual(some, {
    a: { color: KP.PALETTE[0], label: 'The A' },
    b: { color: '#123456', label: 'b' },
    c: { color: KP.PALETTE[2], label: 'c' },
  }, 'a colour that is not #rgb or #rrggbb is replaced by the palette\'s');
  const many = KP.categoryStyles({ property: 'p', values: Array.from({ length: KP.PALETTE.length + 1 }, (_, i) => `v${i}`) });
  assert.equal(many[`v${KP.PALETTE.length}`].color, KP.PALETTE[0], 'the palette wraps round');
});

test('categoryKey: a value, the value it matches ignoring case, or other', () => {
  const w = KP.eventWords(dataset.layers.attacks);
  assert.equal(KP.categoryKey(w, 'claimed'), 'claimed');
  assert.equal(KP.categoryKey(w, 'Claimed'), 'claimed');
  assert.equal(KP.categoryKey(w, 'rumoured'), 'other');
  assert.equal(KP.categoryKey(w, null), 'other');
  assert.equal(KP.categoryKey(KP.eventWords(other.incidents), 'owned'), 'Owned');
  assert.deepEqual(KP.eventWords(dataset.layers.attacks), { ...KP.vocabulary(dataset.layers.attacks), ...KP.colouring(dataset.layers.attacks) });
});

test('pickedEvents and pickEvents: the data layer and the events layers picked, in order', () => {
  const order = ['borders', 'attacks', 'acled', 'gtd', 'cities'];
  const kinds = { borders: 'reference', attacks: 'events', acled: 'events', gtd: 'events', cities: 'places' };
  assert.deepEqual(KP.pickedEvents(order, kinds, 'attacks', null), ['attacks', 'acled', 'gtd'], 'by default, every events layer');
  assert.deepEqual(KP.pickedEvents(order, kinds, 'attacks', ['gtd']), ['attacks', 'gtd'], 'the data layer is always drawn');
  assert.deepEqual(KP.pickedEvents(order, kinds, 'acled', ['cities', 'nope']), ['acled'], 'only events layers');
  assert.deepEqual(KP.pickEvents(order, kinds, 'attacks', ['attacks', 'acled', 'gtd'], 'acled', false), ['attacks', 'gtd']);
  assert.equal(KP.pickEvents(order, kinds, 'attacks', ['attacks', 'gtd'], 'acled', true), null, 'back to the default: every one');
  assert.deepEqual(KP.pickEvents(order, kinds, 'attacks', ['attacks', 'gtd'], 'attacks', false), ['attacks', 'gtd'], 'the data layer stays');
  assert.deepEqual(KP.pickEvents(order, kinds, 'attacks', ['gtd', 'attacks'], null, false), ['attacks', 'gtd'], 'in the server\'s order');
});

test('shapeOf: each events layer its own marker shape, by the server\'s order, whichever are picked', () => {
  const order = ['borders', 'attacks', 'acled', 'gtd', 'cities'];
  const kinds = { borders: 'reference', attacks: 'events', acled: 'events', gtd: 'events', cities: 'places' };
  assert.deepEqual(['attacks', 'acled', 'gtd'].map((id) => KP.shapeOf(order, kinds, 'attacks', id)), ['circle', 'diamond', 'square']);
  assert.equal(KP.shapeOf(order, kinds, 'acled', 'attacks'), 'circle', 'data= does not change shapes');
  // A generic layer taken as the data layer comes first.
  assert.deepEqual(['extra', 'attacks'].map((id) => KP.shapeOf(['extra', 'attacks'], { extra: 'generic', attacks: 'events' }, 'extra', id)), ['circle', 'diamond']);
  assert.equal(new Set(KP.SHAPES).size, KP.SHAPES.length);
});
