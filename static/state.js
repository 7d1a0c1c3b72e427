// The page's state in its URL, and the event filters built from it.
// An ES module of pure functions (no DOM, no Leaflet), so node's test
// runner tests it (tests/static); imported by the map page and the embed
// page, which read the same URL, so a link to one restores the other.
//
// The link's names are fixed (minkilled, attribution, sort=killed), but
// the event layer's properties they stand for are its profile's: the
// functions that need them take the layer's words (profiles.js
// vocabulary: time, magnitude, category and its values).
//
// ---- URL state, version 1 -------------------------------------------------
//
// Every parameter is optional; a missing one takes its default. Lists are
// repeated parameters (country=Iran&country=Russia), except layers, whose
// ids cannot hold a comma. The same query string works on "/" (the map),
// "embed" and "embed.html".
//
//   view=LAT,LON,ZOOM     map centre and zoom, e.g. view=34.53,69.17,11.5
//                         (default: fit the Khorasan region and the attacks
//                         near it). LAT -85..85, LON -180..180, ZOOM within
//                         the map's zoom range (2..14).
//   layers=ID,ID,...      layers shown, by collection id (default: all);
//                         layers= (empty) shows none.
//   data=ID               the event layer that the timeline, filters and
//                         table work on (default: the first layer the
//                         dataset describes as events).
//   events=ID,ID,...      the events layers drawn and compared together
//                         (the page's picker), the data layer among
//                         them (default: every events layer)
//   datetime=START/END    events whose date is in the range, as the API's
//                         datetime: YYYY-MM-DD days, ".." for an open end,
//                         or one day alone. Default: all time.
//   country=NAME          country is NAME (repeat for any of several)
//   attribution=KEY       a value of the event layer's colouring category
//                         (its profile's first; for the attacks claimed |
//                         attributed | disputed) (repeatable)
//   category=ID:VALUE     a value of the colouring category of picked
//                         events layer ID other than the data layer
//                         (its own profile's; repeatable)
//   type=KEY              attack type class (repeatable): suicide |
//                         assault | bombing | rocket | other (see TYPES)
//   target=TEXT           the target contains TEXT (see "text" below)
//   q=TEXT                the name or the city contains TEXT
//   minkilled=N           a magnitude (people killed) of at least N (a
//                         whole number >= 1)
//   color=attribution|type   marker colour (default attribution)
//   mode=circles|clusters|heat   how events are drawn (default circles)
//   lang=en|ru|fa|ps|ur   the language of the offline basemap's labels
//                         (default en; the names the data has in that
//                         language, the others in English)
//   choropleth=country|hex   shade the map by the events per country (the
//                         borders layer's polygons) or per hexagon cell
//                         (default: none), from the API's aggregate
//   hexsize=KM            the hexagon cells' size in km, 5..1000 (default
//                         100; written only with choropleth=hex)
//   shade=events|killed   what the choropleth counts: events, or the sum
//                         of the layer's magnitude (its profile's: killed,
//                         fatalities...) (default events)
//   chorolayer=ID         the events layer the choropleth counts, one of
//                         those picked (default: the data layer)
//   compare=month         the month-by-month comparison of the picked
//                         events layers is open
//   sort=[-]KEY           table order: date | name | country | killed |
//                         attribution; "-" for descending (default -date)
//   sel=ID                the selected event: its popup open, its row lit
//
// Text: LIKE in CQL2 is case-sensitive, so a text filter matches the text
// as typed, in lower case, in upper case and Capitalised ("kabul" finds
// "Kabul"). The page and the API use the very same expression (filterAST
// below is evaluated in the page and formatted as CQL2 for the server), so
// their counts agree.
//
// A value that cannot be used (an unknown layer, a date that is not a
// date, a zoom out of range...) is dropped, its default is used, and
// parse() reports it so the page can say so.

// Attack type classes: each event falls in the first class one of whose
// words its attack_type contains (as typed: LIKE is case-sensitive).
export const TYPES = [
  { key: 'suicide', label: 'Suicide attack', words: ['suicide'] },
  { key: 'assault', label: 'Armed assault', words: ['armed assault', 'shooting', 'gunm'] },
  { key: 'bombing', label: 'Bombing or IED', words: ['bomb', 'IED', 'blast'] },
  { key: 'rocket', label: 'Rocket', words: ['rocket'] },
  { key: 'other', label: 'Other or unknown', words: [] },
];
export const TYPE_KEYS = TYPES.map((t) => t.key);
export const SORT_KEYS = ['date', 'name', 'country', 'killed', 'attribution'];
export const MODES = ['circles', 'clusters', 'heat'];
export const COLORS = ['attribution', 'type'];
// The offline basemap's label languages (the server's lang=), English first.
export const LANGS = ['en', 'ru', 'fa', 'ps', 'ur'];
export const ZOOM = { min: 2, max: 14 };
// The choropleth's groupings, what it counts, and its cell sizes (km,
// as the API's aggregate takes them).
export const CHOROPLETHS = ['country', 'hex'];
export const SHADES = ['events', 'killed'];
export const HEX_SIZE = { min: 5, max: 1000, default: 100 };
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function defaults() {
  return {
    view: null, // {lat, lon, zoom}
    layers: null, // null = every layer
    data: null, // null = the first events layer
    events: null, // null = every events layer
    time: null, // {start, end}: YYYY-MM-DD or null for an open end
    country: [],
    attribution: [],
    cats: {}, // other events layers' category values, by layer id
    type: [],
    target: '',
    q: '',
    minKilled: null,
    color: 'attribution',
    mode: 'circles',
    lang: 'en',
    choropleth: null, // null = none, or one of CHOROPLETHS
    hexSize: HEX_SIZE.default,
    shade: 'events',
    choroLayer: null, // null = the data layer
    compare: false,
    sort: { key: 'date', desc: true },
    sel: null,
  };
}

export function validDate(s) {
  const m = DATE_RE.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
  return d.getUTCFullYear() === +m[1] && d.getUTCMonth() === +m[2] - 1 && d.getUTCDate() === +m[3];
}

function quoteValue(s) {
  const t = String(s);
  return t.length > 40 ? JSON.stringify(t.slice(0, 38) + '…') : JSON.stringify(t);
}

// parse reads a query string (location.search) into a state. It checks
// the syntax of every value; the layer ids are checked later by
// checkLayers, once the server has listed them, and so are the category
// values by checkCategories, unless words (the event layer's, see
// profiles.js vocabulary) are given here. problems: sentences for the
// page's notice.
export function parse(search, words) {
  const p = new URLSearchParams(search || '');
  const s = defaults();
  const problems = [];
  const known = new Set(['view', 'layers', 'data', 'events', 'datetime', 'country', 'attribution', 'category', 'type', 'target', 'q',
    'minkilled', 'color', 'mode', 'lang', 'choropleth', 'hexsize', 'shade', 'chorolayer', 'compare', 'sort', 'sel']);
  for (const name of new Set(p.keys())) {
    if (!known.has(name)) problems.push(`"${name}" is not a setting of this map`);
  }
  const one = (name) => {
    const all = p.getAll(name);
    if (all.length > 1) problems.push(`${name} is given ${all.length} times; the first is used`);
    return all.length ? all[0] : null;
  };

  const view = one('view');
  if (view !== null) {
    const parts = view.split(',').map((x) => x.trim());
    const [lat, lon, zoom] = parts.map(Number);
    if (parts.length !== 3 || parts.some((x) => x === '') || ![lat, lon, zoom].every(Number.isFinite)) {
      problems.push(`view ${quoteValue(view)} is not LAT,LON,ZOOM`);
    } else if (lat < -85 || lat > 85 || lon < -180 || lon > 180) {
      problems.push(`view ${quoteValue(view)} is off the map (latitude -85..85, longitude -180..180)`);
    } else if (zoom < ZOOM.min || zoom > ZOOM.max) {
      problems.push(`zoom ${zoom} is not between ${ZOOM.min} and ${ZOOM.max}`);
    } else {
      s.view = { lat, lon, zoom };
    }
  }

  const layers = one('layers');
  if (layers !== null) {
    const ids = layers.split(',').map((x) => x.trim()).filter(Boolean);
    const bad = ids.filter((id) => !/^[A-Za-z][A-Za-z0-9_]{0,62}$/.test(id));
    if (bad.length) problems.push(`layers: ${bad.map(quoteValue).join(', ')} ${bad.length > 1 ? 'are not layer names' : 'is not a layer name'}`);
    else s.layers = [...new Set(ids)];
  }

  const data = one('data');
  if (data !== null) {
    if (/^[A-Za-z][A-Za-z0-9_]{0,62}$/.test(data)) s.data = data;
    else problems.push(`data ${quoteValue(data)} is not a layer name`);
  }

  const events = one('events');
  if (events !== null) {
    const ids = events.split(',').map((x) => x.trim()).filter(Boolean);
    const bad = ids.filter((id) => !/^[A-Za-z][A-Za-z0-9_]{0,62}$/.test(id));
    if (bad.length) problems.push(`events: ${bad.map(quoteValue).join(', ')} ${bad.length > 1 ? 'are not layer names' : 'is not a layer name'}`);
    else if (ids.length) s.events = [...new Set(ids)];
  }

  const dt = one('datetime');
  if (dt !== null) {
    const t = parseTime(dt);
    if (t.error) problems.push(t.error);
    else s.time = t.time;
  }

  for (const c of p.getAll('country')) {
    const v = c.trim();
    if (v && !s.country.includes(v)) s.country.push(v);
  }
  for (const a of p.getAll('attribution')) {
    const v = a.trim().toLowerCase();
    if (v && !s.attribution.includes(v)) s.attribution.push(v);
  }
  for (const c of p.getAll('category')) {
    const m = /^([A-Za-z][A-Za-z0-9_]{0,62}):(.+)$/.exec(c.trim());
    if (!m) { problems.push(`category ${quoteValue(c)} is not LAYER:VALUE`); continue; }
    const list = s.cats[m[1]] || (s.cats[m[1]] = []);
    if (!list.includes(m[2].trim())) list.push(m[2].trim());
  }
  if (words) {
    const checked = checkCategories(s, words);
    s.attribution = checked.state.attribution;
    problems.push(...checked.problems);
  }
  for (const t of p.getAll('type')) {
    const v = t.trim().toLowerCase();
    if (!TYPE_KEYS.includes(v)) problems.push(`type ${quoteValue(t)} is not one of ${TYPE_KEYS.join(', ')}`);
    else if (!s.type.includes(v)) s.type.push(v);
  }
  s.target = (one('target') || '').trim();
  s.q = (one('q') || '').trim();
  const mk = one('minkilled');
  if (mk !== null && mk.trim() !== '') {
    if (!/^\d{1,7}$/.test(mk.trim())) problems.push(`minkilled ${quoteValue(mk)} is not a whole number`);
    else if (Number(mk) > 0) s.minKilled = Number(mk);
  }
  const color = one('color');
  if (color !== null) {
    if (COLORS.includes(color)) s.color = color;
    else problems.push(`color ${quoteValue(color)} is not one of ${COLORS.join(', ')}`);
  }
  const mode = one('mode');
  if (mode !== null) {
    if (MODES.includes(mode)) s.mode = mode;
    else problems.push(`mode ${quoteValue(mode)} is not one of ${MODES.join(', ')}`);
  }
  const lang = one('lang');
  if (lang !== null) {
    if (LANGS.includes(lang)) s.lang = lang;
    else problems.push(`lang ${quoteValue(lang)} is not one of ${LANGS.join(', ')}`);
  }
  const choropleth = one('choropleth');
  if (choropleth !== null) {
    if (CHOROPLETHS.includes(choropleth)) s.choropleth = choropleth;
    else problems.push(`choropleth ${quoteValue(choropleth)} is not one of ${CHOROPLETHS.join(', ')}`);
  }
  const hexSize = one('hexsize');
  if (hexSize !== null) {
    const km = Number(hexSize);
    if (!/^\d{1,4}(\.\d{1,3})?$/.test(hexSize.trim()) || !(km >= HEX_SIZE.min && km <= HEX_SIZE.max)) {
      problems.push(`hexsize ${quoteValue(hexSize)} is not a number of km from ${HEX_SIZE.min} to ${HEX_SIZE.max}`);
    } else s.hexSize = km;
  }
  const shade = one('shade');
  if (shade !== null) {
    if (SHADES.includes(shade)) s.shade = shade;
    else problems.push(`shade ${quoteValue(shade)} is not one of ${SHADES.join(', ')}`);
  }
  const choroLayer = one('chorolayer');
  if (choroLayer !== null) {
    if (/^[A-Za-z][A-Za-z0-9_]{0,62}$/.test(choroLayer)) s.choroLayer = choroLayer;
    else problems.push(`chorolayer ${quoteValue(choroLayer)} is not a layer name`);
  }
  const compare = one('compare');
  if (compare !== null) {
    if (compare === 'month') s.compare = true;
    else problems.push(`compare ${quoteValue(compare)} is not month`);
  }
  const sort = one('sort');
  if (sort !== null) {
    const desc = sort.startsWith('-');
    const key = sort.replace(/^[-+]/, '');
    if (SORT_KEYS.includes(key)) s.sort = { key, desc };
    else problems.push(`sort ${quoteValue(sort)} is not one of ${SORT_KEYS.join(', ')} (with - for descending)`);
  }
  const sel = one('sel');
  if (sel !== null && sel.trim()) s.sel = sel.trim();
  return { state: s, problems };
}

// "2021-01-01/2021-12-31", "2021-01-01/..", "../2020-12-31", "2021-08-26".
export function parseTime(v) {
  const parts = v.split('/');
  if (parts.length > 2) return { error: `datetime ${quoteValue(v)} is not START/END` };
  const read = (x) => {
    const t = x.trim();
    if (t === '..' || t === '') return { open: true };
    if (!validDate(t)) return { error: `datetime: ${quoteValue(t)} is not a date (YYYY-MM-DD)` };
    return { date: t };
  };
  const a = read(parts[0]);
  if (a.error) return a;
  if (parts.length === 1) {
    if (a.open) return { error: 'datetime: an instant cannot be open ("..")' };
    return { time: { start: a.date, end: a.date } };
  }
  const b = read(parts[1]);
  if (b.error) return b;
  if (a.open && b.open) return { time: null };
  if (!a.open && !b.open && b.date < a.date) return { error: `datetime ${quoteValue(v)} ends before it starts` };
  return { time: { start: a.open ? null : a.date, end: b.open ? null : b.date } };
}

export function formatTime(t) {
  if (!t || (!t.start && !t.end)) return null;
  if (t.start && t.start === t.end) return t.start;
  return `${t.start || '..'}/${t.end || '..'}`;
}

// checkLayers checks the state's layer ids against those the server has
// (ids): it returns the state without the unknown ones (all layers are
// then shown) and without a data layer the server lacks, and a problem for
// each. The state passed in is left as it is.
export function checkLayers(state, ids) {
  const out = { ...state };
  const problems = [];
  if (out.layers) {
    const unknown = out.layers.filter((id) => !ids.includes(id));
    if (unknown.length) {
      problems.push(`${unknown.length > 1 ? 'layers' : 'layer'} ${unknown.map(quoteValue).join(', ')} ${unknown.length > 1 ? 'do' : 'does'} not exist; all layers are shown`);
      out.layers = null;
    }
  }
  if (out.data && !ids.includes(out.data)) {
    problems.push(`data layer ${quoteValue(out.data)} does not exist`);
    out.data = null;
  }
  if (out.choroLayer && !ids.includes(out.choroLayer)) {
    problems.push(`chorolayer ${quoteValue(out.choroLayer)} does not exist; the choropleth counts the data layer`);
    out.choroLayer = null;
  }
  if (out.events) {
    const unknown = out.events.filter((id) => !ids.includes(id));
    if (unknown.length) {
      problems.push(`events ${unknown.length > 1 ? 'layers' : 'layer'} ${unknown.map(quoteValue).join(', ')} ${unknown.length > 1 ? 'do' : 'does'} not exist`);
      const known = out.events.filter((id) => ids.includes(id));
      out.events = known.length ? known : null;
    }
  }
  return { state: out, problems };
}

// checkCategories checks the state's attribution values against the
// values of the event layer's colouring category (words.categoryValues),
// whatever their case: it returns the state with the known ones, as the
// profile spells them, and a problem for each other. Without a category
// list the values are left as they are. The state passed in is left as
// it is.
export function checkCategories(state, words) {
  const values = words && words.categoryValues;
  if (!values) return { state: { ...state }, problems: [] };
  const problems = [];
  const kept = [];
  for (const a of state.attribution) {
    const v = values.find((x) => x.toLowerCase() === String(a).toLowerCase());
    if (v === undefined) problems.push(`attribution ${quoteValue(a)} is not one of ${values.join(', ')}`);
    else if (!kept.includes(v)) kept.push(v);
  }
  return { state: { ...state, attribution: kept }, problems };
}

// The state's fields that filter events (the table's order is not one).
export const FILTER_KEYS = ['time', 'country', 'attribution', 'cats', 'type', 'target', 'q', 'minKilled'];

// hasFilters: whether the state filters events at all.
export function hasFilters(s) {
  return !!(s.time || s.country.length || s.attribution.length || Object.values(s.cats || {}).some((v) => v.length) || s.type.length || s.target || s.q || s.minKilled);
}

// The state's cleared filters, as a patch.
export function noFilters() {
  return { time: null, country: [], attribution: [], cats: {}, type: [], target: '', q: '', minKilled: null };
}

// sortProperty: the property a sort key (SORT_KEYS) orders by: the
// event layer's time, magnitude and category for date, killed and
// attribution (words: profiles.js vocabulary), the property of that name
// for the others; null when the layer has no such word.
export function sortProperty(key, words) {
  const w = words || {};
  if (key === 'date') return w.time || null;
  if (key === 'killed') return w.magnitude || null;
  if (key === 'attribution') return w.category || null;
  return key;
}

// sortParam: the table's order as the API's sortby ("-date"), or '' when
// the layer lacks the property.
export function sortParam(sort, words, props) {
  const prop = sortProperty(sort.key, words);
  if (!prop || !props.has(prop)) return '';
  return (sort.desc ? '-' : '') + prop;
}

function round(n, d) {
  const f = 10 ** d;
  return Math.round(n * f) / f;
}

// serialize writes a state as a query string (without "?"), leaving out
// defaults, in a fixed order so that equal states give equal links.
export function serialize(s, opts) {
  const o = opts || {};
  const p = new URLSearchParams();
  if (s.view && !o.noView) {
    const d = s.view.zoom >= 9 ? 5 : 4;
    p.set('view', `${round(s.view.lat, d)},${round(s.view.lon, d)},${round(s.view.zoom, 2)}`);
  }
  if (s.layers) p.set('layers', s.layers.join(','));
  if (s.data) p.set('data', s.data);
  if (s.events && s.events.length) p.set('events', s.events.join(','));
  const t = formatTime(s.time);
  if (t) p.set('datetime', t);
  for (const c of s.country) p.append('country', c);
  for (const a of s.attribution) p.append('attribution', a);
  for (const id of Object.keys(s.cats || {}).sort()) for (const v of s.cats[id]) p.append('category', `${id}:${v}`);
  for (const k of s.type) p.append('type', k);
  if (s.target) p.set('target', s.target);
  if (s.q) p.set('q', s.q);
  if (s.minKilled) p.set('minkilled', String(s.minKilled));
  if (s.color !== 'attribution') p.set('color', s.color);
  if (s.mode !== 'circles') p.set('mode', s.mode);
  if (s.lang && s.lang !== 'en') p.set('lang', s.lang);
  // The choropleth's settings only with a choropleth.
  if (s.choropleth) {
    p.set('choropleth', s.choropleth);
    if (s.choropleth === 'hex' && s.hexSize !== HEX_SIZE.default) p.set('hexsize', String(s.hexSize));
    if (s.shade !== 'events') p.set('shade', s.shade);
    if (s.choroLayer) p.set('chorolayer', s.choroLayer);
  }
  if (s.compare) p.set('compare', 'month');
  if (!o.noSort && !(s.sort.key === 'date' && s.sort.desc)) p.set('sort', (s.sort.desc ? '-' : '') + s.sort.key);
  if (s.sel && !o.noSel) p.set('sel', s.sel);
  // URLSearchParams writes spaces as "+"; %20 reads the same and is
  // what people expect to see in a pasted link.
  // "/", "," and ":" are legal in a query and easier to read unescaped.
  return p.toString().replace(/\+/g, '%20').replace(/%2F/g, '/').replace(/%2C/g, ',').replace(/%3A/g, ':');
}

// ---- filters: one expression tree, evaluated here and sent as CQL2

// Nodes: {and: [n...]}, {or: [n...]}, {not: n}, {like: [prop, pattern]},
// {in: [prop, [values]]}, {eq: [prop, value]}, {ge: [prop, number]},
// {isNull: prop}, {during: [prop, start|null, end|null]}.

// The case variants a text filter tries (see "Text" above).
export function caseVariants(text) {
  const t = String(text);
  const cap = (w) => w.charAt(0).toUpperCase() + w.slice(1);
  const out = [t, t.toLowerCase(), t.toUpperCase(), cap(t.toLowerCase()), t.toLowerCase().split(' ').map(cap).join(' ')];
  return [...new Set(out)];
}

function likeEscape(s) {
  return String(s).replace(/[\\%_]/g, (c) => '\\' + c);
}

function contains(props, text) {
  const pats = caseVariants(text).map((v) => `%${likeEscape(v)}%`);
  const terms = [];
  for (const prop of props) for (const pat of pats) terms.push({ like: [prop, pat] });
  return terms.length === 1 ? terms[0] : { or: terms };
}

function typeMatch(t) {
  const terms = t.words.map((w) => ({ like: ['attack_type', `%${likeEscape(w)}%`] }));
  return terms.length === 1 ? terms[0] : { or: terms };
}

// The expression for attack type class key: it matches its own words and
// none of an earlier class's, so the classes split the events.
export function typeNode(key) {
  const i = TYPES.findIndex((t) => t.key === key);
  const earlier = TYPES.slice(0, i).map(typeMatch);
  if (key === 'other') return { or: [{ isNull: 'attack_type' }, { not: { or: earlier } }] };
  const own = typeMatch(TYPES[i]);
  return earlier.length ? { and: [own, { not: earlier.length === 1 ? earlier[0] : { or: earlier } }] } : own;
}

// The class of an attack_type value, as typeNode would sort it.
export function typeOf(attackType) {
  if (attackType === null || attackType === undefined) return 'other';
  const s = String(attackType);
  for (const t of TYPES) {
    if (t.words.some((w) => s.includes(w))) return t.key;
  }
  return 'other';
}

// filterTerms: the state's filters as a list of nodes (ANDed), for a
// layer with the given properties (a Set) and words (profiles.js
// vocabulary: its date property, time; its magnitude; its colouring
// category). Filters on properties the layer lacks are left out.
// opts.noTime leaves the time range out (the timeline's histogram counts
// across all times).
export function filterTerms(s, props, words, opts) {
  const o = opts || {};
  const w = words || {};
  const has = (name) => !!name && props.has(name);
  const terms = [];
  if (!o.noTime && s.time && w.time) terms.push({ during: [w.time, s.time.start, s.time.end] });
  if (s.country.length && has('country')) terms.push(s.country.length === 1 ? { eq: ['country', s.country[0]] } : { in: ['country', s.country] });
  if (s.attribution.length && has(w.category)) {
    terms.push(s.attribution.length === 1 ? { eq: [w.category, s.attribution[0]] } : { in: [w.category, s.attribution] });
  }
  if (s.type.length && has('attack_type')) {
    const nodes = s.type.map(typeNode);
    terms.push(nodes.length === 1 ? nodes[0] : { or: nodes });
  }
  if (s.target && has('target')) terms.push(contains(['target'], s.target));
  if (s.q) {
    const where = ['name', 'city'].filter(has);
    if (where.length) terms.push(contains(where, s.q));
  }
  if (s.minKilled && has(w.magnitude)) terms.push({ ge: [w.magnitude, s.minKilled] });
  return terms;
}

// ---- evaluation in the page: CQL2's three-valued logic (null = unknown)

function likeRegExp(pattern) {
  let re = '';
  const rs = [...pattern];
  for (let i = 0; i < rs.length; i++) {
    const c = rs[i];
    if (c === '\\' && i + 1 < rs.length) re += rs[++i].replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    else if (c === '%') re += '[^]*';
    else if (c === '_') re += '[^]';
    else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp('^' + re + '$', 'u');
}

function isNull(v) {
  return v === null || v === undefined;
}

function compile(node) {
  if (node.and) {
    const fs = node.and.map(compile);
    return (p) => {
      let unknown = false;
      for (const f of fs) {
        const r = f(p);
        if (r === false) return false;
        if (r === null) unknown = true;
      }
      return unknown ? null : true;
    };
  }
  if (node.or) {
    const fs = node.or.map(compile);
    return (p) => {
      let unknown = false;
      for (const f of fs) {
        const r = f(p);
        if (r === true) return true;
        if (r === null) unknown = true;
      }
      return unknown ? null : false;
    };
  }
  if (node.not) {
    const f = compile(node.not);
    return (p) => {
      const r = f(p);
      return r === null ? null : !r;
    };
  }
  if (node.like) {
    const [prop, pat] = node.like;
    const re = likeRegExp(pat);
    return (p) => (isNull(p[prop]) ? null : re.test(String(p[prop])));
  }
  if (node.in) {
    const [prop, values] = node.in;
    return (p) => (isNull(p[prop]) ? null : values.includes(String(p[prop])));
  }
  if (node.eq) {
    const [prop, value] = node.eq;
    return (p) => (isNull(p[prop]) ? null : String(p[prop]) === String(value));
  }
  if (node.ge) {
    const [prop, n] = node.ge;
    return (p) => {
      if (isNull(p[prop]) || p[prop] === '') return null;
      const v = Number(p[prop]);
      return Number.isFinite(v) ? v >= n : null;
    };
  }
  if (node.isNull) {
    const prop = node.isNull;
    return (p) => isNull(p[prop]);
  }
  if (node.during) {
    const [prop, start, end] = node.during;
    return (p) => {
      if (isNull(p[prop])) return null;
      const d = String(p[prop]).slice(0, 10);
      return (!start || d >= start) && (!end || d <= end);
    };
  }
  throw new Error('unknown filter node ' + JSON.stringify(node));
}

// predicate: a function of a feature's properties, true when every term
// holds.
export function predicate(terms) {
  const f = compile({ and: terms });
  return (props) => f(props || {}) === true;
}

// ---- CQL2 text

function cqlName(name) {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

function cqlString(v) {
  return `'${String(v).replace(/'/g, "''")}'`;
}

function cqlValue(v) {
  return typeof v === 'number' ? String(v) : cqlString(v);
}

function cql(node, nested) {
  const wrap = (s) => (nested ? `(${s})` : s);
  if (node.and) return node.and.length === 1 ? cql(node.and[0], nested) : wrap(node.and.map((n) => cql(n, true)).join(' AND '));
  if (node.or) return node.or.length === 1 ? cql(node.or[0], nested) : wrap(node.or.map((n) => cql(n, true)).join(' OR '));
  if (node.not) return `NOT (${cql(node.not, false)})`;
  if (node.like) return `${cqlName(node.like[0])} LIKE ${cqlString(node.like[1])}`;
  if (node.in) return `${cqlName(node.in[0])} IN (${node.in[1].map(cqlValue).join(', ')})`;
  if (node.eq) return `${cqlName(node.eq[0])} = ${cqlValue(node.eq[1])}`;
  if (node.ge) return `${cqlName(node.ge[0])} >= ${cqlValue(node.ge[1])}`;
  if (node.isNull) return `${cqlName(node.isNull)} IS NULL`;
  if (node.during) {
    const [prop, a, b] = node.during;
    return `T_INTERSECTS(${cqlName(prop)}, INTERVAL(${a ? cqlString(a) : "'..'"}, ${b ? cqlString(b) : "'..'"}))`;
  }
  throw new Error('unknown filter node');
}

// apiParams: the terms as OGC API - Features parameters (the same that
// /render takes): the time range as datetime, single-value equality
// filters as property parameters (country=Pakistan), and the rest as one
// CQL2 text filter.
export function apiParams(terms) {
  const p = new URLSearchParams();
  const rest = [];
  for (const t of terms) {
    if (t.during && !p.has('datetime')) p.set('datetime', `${t.during[1] || '..'}/${t.during[2] || '..'}`);
    else if (t.eq && typeof t.eq[1] === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(t.eq[0]) && !p.has(t.eq[0])) p.set(t.eq[0], t.eq[1]);
    else rest.push(t);
  }
  if (rest.length) p.set('filter', cql({ and: rest }, false));
  return p;
}

export function toCQL(terms) {
  return terms.length ? cql({ and: terms }, false) : '';
}
