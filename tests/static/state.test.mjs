// Unit tests of the page's state module (static/state.js) under node's
// test runner, no browser: the URL round trip for every field, what a bad
// or unknown parameter becomes, and which events the filters let through
// (against the default data, data/attacks.geojson, counted here by plain
// comparisons, with the words of its profile in data/profiles.json). Run
// by static_test.go, or: node --test state.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as KS from '../../static/state.js';
import { vocabulary } from '../../static/profiles.js';

const attacks = JSON.parse(readFileSync(new URL('../../data/attacks.geojson', import.meta.url), 'utf8')).features;
const props = new Set(attacks.flatMap((f) => Object.keys(f.properties)));
const dataset = JSON.parse(readFileSync(new URL('../../data/profiles.json', import.meta.url), 'utf8'));
const words = vocabulary(dataset.layers.attacks);

const withDefaults = (patch) => ({ ...KS.defaults(), ...patch });

// Each field alone: the state, and the query string it is written as.
const fields = {
  'view at a low zoom rounds to 4 places': [{ view: { lat: 34.5, lon: 69.25, zoom: 6 } }, 'view=34.5,69.25,6'],
  'view at zoom 9 and more rounds to 5 places': [{ view: { lat: 34.53123, lon: 69.17234, zoom: 11.5 } }, 'view=34.53123,69.17234,11.5'],
  'layers, in order': [{ layers: ['khorasan', 'attacks'] }, 'layers=khorasan,attacks'],
  'no layers at all': [{ layers: [] }, 'layers='],
  'data layer': [{ data: 'events' }, 'data=events'],
  'a closed time range': [{ time: { start: '2021-01-01', end: '2021-12-31' } }, 'datetime=2021-01-01/2021-12-31'],
  'a range open at its end': [{ time: { start: '2021-08-26', end: null } }, 'datetime=2021-08-26/..'],
  'a range open at its start': [{ time: { start: null, end: '2020-12-31' } }, 'datetime=../2020-12-31'],
  'one day': [{ time: { start: '2021-08-26', end: '2021-08-26' } }, 'datetime=2021-08-26'],
  'countries, repeated': [{ country: ['Afghanistan', 'Iran'] }, 'country=Afghanistan&country=Iran'],
  'a country with a space': [{ country: ['United Kingdom'] }, 'country=United%20Kingdom'],
  attribution: [{ attribution: ['claimed', 'disputed'] }, 'attribution=claimed&attribution=disputed'],
  type: [{ type: ['suicide', 'other'] }, 'type=suicide&type=other'],
  target: [{ target: 'Shia mosque' }, 'target=Shia%20mosque'],
  'q with signs the query must escape': [{ q: 'a&b=c%' }, 'q=a%26b%3Dc%25'],
  minkilled: [{ minKilled: 10 }, 'minkilled=10'],
  color: [{ color: 'type' }, 'color=type'],
  'mode heat': [{ mode: 'heat' }, 'mode=heat'],
  'mode clusters': [{ mode: 'clusters' }, 'mode=clusters'],
  'basemap labels in Russian': [{ lang: 'ru' }, 'lang=ru'],
  'basemap labels in Pashto': [{ lang: 'ps' }, 'lang=ps'],
  'a choropleth per country': [{ choropleth: 'country' }, 'choropleth=country'],
  'a choropleth per hexagon of the default size': [{ choropleth: 'hex' }, 'choropleth=hex'],
  'a choropleth per 50 km hexagon of killed, of another layer': [{ choropleth: 'hex', hexSize: 50, shade: 'killed', choroLayer: 'acled' },
    'choropleth=hex&hexsize=50&shade=killed&chorolayer=acled'],
  'a choropleth per 7.5 km hexagon': [{ choropleth: 'hex', hexSize: 7.5 }, 'choropleth=hex&hexsize=7.5'],
  'the month-by-month comparison open': [{ compare: true }, 'compare=month'],
  'sort ascending': [{ sort: { key: 'name', desc: false } }, 'sort=name'],
  'sort descending, not the default': [{ sort: { key: 'killed', desc: true } }, 'sort=-killed'],
  'date ascending': [{ sort: { key: 'date', desc: false } }, 'sort=date'],
  sel: [{ sel: '2015-04-18-jalalabad-bank' }, 'sel=2015-04-18-jalalabad-bank'],
};

for (const [name, [patch, query]] of Object.entries(fields)) {
  test(`round trip: ${name}`, () => {
    const s = withDefaults(patch);
    assert.equal(KS.serialize(s), query);
    const back = KS.parse('?' + query);
    assert.deepEqual(back.problems, []);
    assert.deepEqual(back.state, s);
  });
}

test('round trip: every field at once, in the fixed order', () => {
  const s = withDefaults({
    view: { lat: 34.53123, lon: 69.17234, zoom: 11.5 }, layers: ['attacks'], data: 'attacks',
    time: { start: '2021-01-01', end: null }, country: ['Afghanistan', 'Iran'], attribution: ['claimed', 'attributed'],
    type: ['bombing', 'assault'], target: 'school', q: 'Kabul', minKilled: 3, color: 'type', mode: 'clusters',
    sort: { key: 'country', desc: true }, sel: '2015-04-18-jalalabad-bank',
  });
  const q = KS.serialize(s);
  assert.deepEqual(q.split('&').map((kv) => kv.split('=')[0]),
    ['view', 'layers', 'data', 'datetime', 'country', 'country', 'attribution', 'attribution', 'type', 'type', 'target', 'q', 'minkilled', 'color', 'mode', 'sort', 'sel']);
  const back = KS.parse(q);
  assert.deepEqual(back.problems, []);
  assert.deepEqual(back.state, s);
  assert.equal(KS.serialize(back.state), q, 'equal states give equal links');
});

test('the label language comes after mode and before sort, and English is left out', () => {
  assert.equal(KS.serialize(withDefaults({ mode: 'heat', lang: 'ru', sort: { key: 'name', desc: false } })), 'mode=heat&lang=ru&sort=name');
  assert.equal(KS.serialize(withDefaults({ lang: 'en' })), '');
  assert.deepEqual(KS.parse('?lang=en').state, KS.defaults());
});

test('defaults are left out of the link', () => {
  assert.equal(KS.serialize(KS.defaults()), '');
  assert.deepEqual(KS.parse('').state, KS.defaults());
});

test('serialize leaves out view, sort and sel when asked (the embed snippet)', () => {
  const s = withDefaults({ view: { lat: 1, lon: 2, zoom: 3 }, sort: { key: 'name', desc: false }, sel: 'x', q: 'k' });
  assert.equal(KS.serialize(s, { noView: true, noSort: true, noSel: true }), 'q=k');
});

// A bad value: the field keeps its default, and the problem says why.
const bad = {
  'an unknown parameter': ['foo=1', {}, '"foo" is not a setting of this map'],
  'view that is not three numbers': ['view=1,2', {}, 'is not LAT,LON,ZOOM'],
  'view with an empty part': ['view=1,,3', {}, 'is not LAT,LON,ZOOM'],
  'view that is not a number': ['view=a,b,c', {}, 'is not LAT,LON,ZOOM'],
  'latitude off the map': ['view=86,0,5', {}, 'is off the map'],
  'longitude off the map': ['view=0,181,5', {}, 'is off the map'],
  'zoom above the range is dropped, not clamped': ['view=34,69,15', {}, 'zoom 15 is not between 2 and 14'],
  'zoom below the range': ['view=34,69,1', {}, 'zoom 1 is not between 2 and 14'],
  'view given twice: the first is used': ['view=34,69,5&view=1,1,3', { view: { lat: 34, lon: 69, zoom: 5 } }, 'view is given 2 times; the first is used'],
  'a layer id that is not a name': ['layers=attacks,1x', {}, '"1x" is not a layer name'],
  'a data layer that is not a name': ['data=a-b', {}, 'data "a-b" is not a layer name'],
  'a day that does not exist': ['datetime=2021-02-30/2021-03-01', {}, '"2021-02-30" is not a date'],
  'a range that ends before it starts': ['datetime=2021-12-31/2021-01-01', {}, 'ends before it starts'],
  'an open instant': ['datetime=..', {}, 'an instant cannot be open'],
  'three parts': ['datetime=2021-01-01/2021-02-01/2021-03-01', {}, 'is not START/END'],
  'an unknown attribution; the good one is kept': ['attribution=claimed&attribution=alleged', { attribution: ['claimed'] }, 'attribution "alleged" is not one of'],
  'an unknown type': ['type=arson', {}, 'type "arson" is not one of suicide, assault, bombing, rocket, other'],
  'minkilled that is not a whole number': ['minkilled=2.5', {}, 'minkilled "2.5" is not a whole number'],
  'a negative minkilled': ['minkilled=-3', {}, 'is not a whole number'],
  'an unknown colour': ['color=red', {}, 'color "red" is not one of attribution, type'],
  'an unknown mode': ['mode=3d', {}, 'mode "3d" is not one of circles, clusters, heat'],
  'an unknown label language': ['lang=de', {}, 'lang "de" is not one of en, ru, fa, ps, ur'],
  'an unknown sort key': ['sort=-wounded', {}, 'sort "-wounded" is not one of'],
  'an unknown choropleth': ['choropleth=province', {}, 'choropleth "province" is not one of country, hex'],
  'a hexagon too small for the API': ['choropleth=hex&hexsize=2', { choropleth: 'hex' }, 'hexsize "2" is not a number of km from 5 to 1000'],
  'a hexagon too large for the API': ['choropleth=hex&hexsize=1001', { choropleth: 'hex' }, 'hexsize "1001" is not'],
  'a hexagon size that is not a number': ['choropleth=hex&hexsize=1e2', { choropleth: 'hex' }, 'hexsize "1e2" is not'],
  'an unknown shade': ['choropleth=country&shade=wounded', { choropleth: 'country' }, 'shade "wounded" is not one of events, killed'],
  'a choropleth layer that is not a name': ['chorolayer=a-b', {}, 'chorolayer "a-b" is not a layer name'],
  'an unknown comparison': ['compare=year', {}, 'compare "year" is not month'],
  'a long value is cut in the message': ['mode=' + 'x'.repeat(60), {}, `"${'x'.repeat(38)}…"`],
};

for (const [name, [query, patch, problem]] of Object.entries(bad)) {
  test(`bad link: ${name}`, () => {
    const { state, problems } = KS.parse('?' + query, words);
    assert.deepEqual(state, withDefaults(patch));
    assert.equal(problems.length, 1, `problems: ${problems.join('; ')}`);
    assert.ok(problems[0].includes(problem), `${problems[0]} does not say ${problem}`);
  });
}

// Values the page reads quietly, as it did before this test.
const quiet = {
  'attribution and type in capitals': ['attribution=CLAIMED&type=Suicide', { attribution: ['claimed'], type: ['suicide'] }],
  'repeated list values once each': ['country=Iran&country=Iran&type=rocket&type=rocket', { country: ['Iran'], type: ['rocket'] }],
  'blank list values dropped': ['country=%20&country=Iran', { country: ['Iran'] }],
  'text trimmed': ['q=%20Kabul%20&target=%20school', { q: 'Kabul', target: 'school' }],
  'minkilled 0 is no filter': ['minkilled=0', {}],
  'an empty minkilled is no filter': ['minkilled=', {}],
  'an open range both ways is all time': ['datetime=../..', {}],
  'a blank sel is none': ['sel=%20', {}],
  'sort with a plus is ascending': ['sort=%2Bcountry', { sort: { key: 'country', desc: false } }],
  'layers listed twice once each': ['layers=attacks,attacks,cities', { layers: ['attacks', 'cities'] }],
  'a question mark or none': ['mode=heat', { mode: 'heat' }],
};

for (const [name, [query, patch]] of Object.entries(quiet)) {
  test(`quiet link: ${name}`, () => {
    const { state, problems } = KS.parse(query, words);
    assert.deepEqual(problems, []);
    assert.deepEqual(state, withDefaults(patch));
  });
}

test('checkLayers drops unknown layers and data, and leaves its argument alone', () => {
  const s = withDefaults({ layers: ['attacks', 'nope', 'gone'], data: 'nope' });
  const copy = JSON.parse(JSON.stringify(s));
  const { state, problems } = KS.checkLayers(s, ['attacks', 'cities']);
  assert.equal(state.layers, null);
  assert.equal(state.data, null);
  assert.deepEqual(problems, ['layers "nope", "gone" do not exist; all layers are shown', 'data layer "nope" does not exist']);
  assert.deepEqual(s, copy);
  const ok = KS.checkLayers(withDefaults({ layers: ['cities'], data: 'attacks' }), ['attacks', 'cities']);
  assert.deepEqual(ok, { state: withDefaults({ layers: ['cities'], data: 'attacks' }), problems: [] });
});

// ---- filters, on the default data

function passing(patch) {
  const pred = KS.predicate(KS.filterTerms(withDefaults(patch), props, words));
  return attacks.filter((f) => pred(f.properties)).map((f) => f.id);
}
const ids = (fn) => attacks.filter((f) => fn(f.properties)).map((f) => f.id);
const lower = (v) => String(v || '').toLowerCase();

const filterCases = {
  'no filter passes every event': [{}, () => true],
  'one country': [{ country: ['Pakistan'] }, (p) => p.country === 'Pakistan'],
  'any of two countries': [{ country: ['Iran', 'Russia'] }, (p) => p.country === 'Iran' || p.country === 'Russia'],
  'attribution': [{ attribution: ['disputed'] }, (p) => p.attribution === 'disputed'],
  'the year 2021': [{ time: { start: '2021-01-01', end: '2021-12-31' } }, (p) => p.date >= '2021-01-01' && p.date <= '2021-12-31'],
  'from a day on': [{ time: { start: '2022-01-01', end: null } }, (p) => p.date >= '2022-01-01'],
  'until a day': [{ time: { start: null, end: '2016-12-31' } }, (p) => p.date <= '2016-12-31'],
  'at least 50 killed (unknown counts fail)': [{ minKilled: 50 }, (p) => typeof p.killed === 'number' && p.killed >= 50],
  'q finds the city whatever its case': [{ q: 'kabul' }, (p) => lower(p.name).includes('kabul') || lower(p.city).includes('kabul')],
  'target in lower case': [{ target: 'mosque' }, (p) => /mosque/i.test(p.target || '')],
  'suicide attacks': [{ type: ['suicide'] }, (p) => KS.typeOf(p.attack_type) === 'suicide'],
  'the filters together': [{ country: ['Afghanistan'], attribution: ['claimed'], minKilled: 10, time: { start: '2018-01-01', end: null } },
    (p) => p.country === 'Afghanistan' && p.attribution === 'claimed' && p.killed >= 10 && p.date >= '2018-01-01'],
};

for (const [name, [patch, oracle]] of Object.entries(filterCases)) {
  test(`filter: ${name}`, () => {
    const want = ids(oracle);
    assert.deepEqual(passing(patch), want);
    if (Object.keys(patch).length) assert.ok(want.length > 0 && want.length < attacks.length, `${name}: ${want.length} of ${attacks.length} is no test`);
  });
}

test('filter: the type classes split the events, each in exactly one', () => {
  const all = KS.TYPE_KEYS.flatMap((k) => passing({ type: [k] }));
  assert.equal(all.length, attacks.length);
  assert.equal(new Set(all).size, attacks.length);
  for (const k of KS.TYPE_KEYS) {
    assert.deepEqual(passing({ type: [k] }), ids((p) => KS.typeOf(p.attack_type) === k), k);
  }
});

test('filter: a filter on a property the layer lacks is left out', () => {
  const terms = KS.filterTerms(withDefaults({ minKilled: 5, target: 'x', q: 'y', country: ['Iran'] }), new Set(['name', 'date']), words);
  assert.equal(KS.toCQL(terms), "name LIKE '%y%' OR name LIKE '%Y%'");
  assert.deepEqual(KS.filterTerms(withDefaults({ time: { start: '2021-01-01', end: null } }), new Set(), null), []);
});

test('filter: noTime leaves the range out (the histogram)', () => {
  const s = withDefaults({ time: { start: '2021-01-01', end: '2021-12-31' }, country: ['Iran'] });
  assert.deepEqual(KS.filterTerms(s, props, words, { noTime: true }), [{ eq: ['country', 'Iran'] }]);
});

test('predicate: unknown values (null) fail, LIKE signs in text are literal', () => {
  const atLeast = KS.predicate([{ ge: ['killed', 1] }]);
  assert.equal(atLeast({ killed: null }), false);
  assert.equal(atLeast({ killed: '' }), false);
  assert.equal(atLeast({ killed: '3' }), true);
  const notRocket = KS.predicate([{ not: { like: ['attack_type', '%rocket%'] } }]);
  assert.equal(notRocket({ attack_type: null }), false, 'NOT of unknown is unknown');
  const pct = KS.predicate(KS.filterTerms(withDefaults({ q: '50%' }), new Set(['name']), null));
  assert.equal(pct({ name: 'over 50% turnout' }), true);
  assert.equal(pct({ name: '500 people' }), false);
  const under = KS.predicate(KS.filterTerms(withDefaults({ q: 'a_b' }), new Set(['name']), null));
  assert.equal(under({ name: 'axb' }), false);
  assert.equal(under({ name: 'xa_by' }), true);
  assert.equal(KS.predicate([])(undefined), true);
});

test('the CQL2 text and API parameters of a state', () => {
  const s = withDefaults({ time: { start: '2021-01-01', end: null }, country: ['Pakistan'], attribution: ['claimed', 'disputed'], minKilled: 5, q: "o'k" });
  const terms = KS.filterTerms(s, props, words);
  assert.equal(KS.toCQL(terms),
    "T_INTERSECTS(date, INTERVAL('2021-01-01', '..')) AND country = 'Pakistan' AND attribution IN ('claimed', 'disputed') AND " +
    "(name LIKE '%o''k%' OR name LIKE '%O''K%' OR name LIKE '%O''k%' OR city LIKE '%o''k%' OR city LIKE '%O''K%' OR city LIKE '%O''k%') AND killed >= 5");
  const p = KS.apiParams(terms);
  assert.equal(p.get('datetime'), '2021-01-01/..');
  assert.equal(p.get('country'), 'Pakistan');
  assert.equal(p.get('filter'),
    "attribution IN ('claimed', 'disputed') AND (name LIKE '%o''k%' OR name LIKE '%O''K%' OR name LIKE '%O''k%' OR city LIKE '%o''k%' OR city LIKE '%O''K%' OR city LIKE '%O''k%') AND killed >= 5");
  assert.equal(KS.toCQL([]), '');
});

test('hasFilters, noFilters and sortParam', () => {
  assert.equal(KS.hasFilters(KS.defaults()), false);
  for (const k of KS.FILTER_KEYS) {
    const patch = { time: { start: '2021-01-01', end: null }, country: ['Iran'], attribution: ['claimed'], cats: { acled: ['Battles'] }, type: ['rocket'], target: 't', q: 'q', minKilled: 1 };
    assert.equal(KS.hasFilters(withDefaults({ [k]: patch[k] })), true, k);
  }
  assert.equal(KS.hasFilters(withDefaults({ sort: { key: 'name', desc: false }, sel: 'x', view: { lat: 0, lon: 0, zoom: 3 } })), false);
  assert.equal(KS.hasFilters(withDefaults(KS.noFilters())), false);
  assert.equal(KS.sortParam({ key: 'date', desc: true }, words, props), '-date');
  assert.equal(KS.sortParam({ key: 'date', desc: false }, { time: 'day' }, new Set(['day'])), 'day');
  assert.equal(KS.sortParam({ key: 'killed', desc: false }, words, new Set(['date'])), '');
});

test('the choropleth\'s settings are written only with a choropleth, and an unknown layer is dropped', () => {
  assert.equal(KS.serialize(withDefaults({ hexSize: 50, shade: 'killed', choroLayer: 'acled' })), '');
  assert.equal(KS.serialize(withDefaults({ choropleth: 'country', hexSize: 50 })), 'choropleth=country', 'hexsize goes with hex only');
  const checked = KS.checkLayers(withDefaults({ choropleth: 'country', choroLayer: 'gone' }), ['attacks']);
  assert.deepEqual(checked.state, withDefaults({ choropleth: 'country' }));
  assert.match(checked.problems[0], /chorolayer "gone" does not exist/);
});

test('events: the events layers compared together round-trip, unknown ones are dropped', () => {
  const s = withDefaults({ events: ['attacks', 'acled'] });
  assert.equal(KS.serialize(s), 'events=attacks,acled');
  assert.deepEqual(KS.parse('?events=attacks,acled'), { state: s, problems: [] });
  assert.deepEqual(KS.parse('?events=attacks,,attacks').state.events, ['attacks'], 'duplicates and blanks go');
  assert.deepEqual(KS.parse('?events=').state.events, null);
  assert.deepEqual(KS.parse('?events=a;b').problems, ['events: "a;b" is not a layer name']);
  const checked = KS.checkLayers(withDefaults({ events: ['attacks', 'gone'] }), ['attacks', 'acled']);
  assert.deepEqual(checked, { state: withDefaults({ events: ['attacks'] }), problems: ['events layer "gone" does not exist'] });
  assert.equal(KS.checkLayers(withDefaults({ events: ['gone'] }), ['attacks']).state.events, null);
});

test('category: another events layer\'s category values round-trip, by layer, in a fixed order', () => {
  const s = withDefaults({ events: ['attacks', 'acled'], cats: { acled: ['Explosions/Remote violence', 'Battles'], gtd: ['Bombing'] } });
  const qs = KS.serialize(s);
  assert.equal(qs, 'events=attacks,acled&category=acled:Explosions/Remote%20violence&category=acled:Battles&category=gtd:Bombing');
  assert.deepEqual(KS.parse('?' + qs), { state: s, problems: [] });
  assert.deepEqual(KS.parse('?category=acled:Battles&category=acled:Battles').state.cats, { acled: ['Battles'] }, 'duplicates go');
  assert.deepEqual(KS.parse('?category=Battles').problems, ['category "Battles" is not LAYER:VALUE']);
  assert.deepEqual(KS.parse('?category=acled:').state.cats, {});
  assert.deepEqual(KS.noFilters().cats, {});
});
