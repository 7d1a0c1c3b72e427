// What each layer is, read from its profile (/api/collections/{id}/profile,
// which the server takes from its dataset description, data/profiles.json),
// and what the pages decide by it: the order layers are drawn and listed
// in, which layer the timeline, filters and table work on, how each layer
// is drawn, and the words (the property names) of the event layer. The
// pages never decide by a layer's name. An ES module of pure functions (no
// DOM, no Leaflet), so node's test runner tests it (tests/static).
//
// Kinds (geo.Kind): reference (outlines under everything: the country
// borders), areas (outlined regions: the Khorasan outline), events (dated
// points with a magnitude: the attacks), places (named points drawn as
// labels: the cities) and generic (anything the dataset does not
// describe).

export const KINDS = ['reference', 'areas', 'events', 'places', 'generic'];

// kindOf: a profile's kind; generic for a missing or unknown one.
export function kindOf(profile) {
  const k = profile && profile.kind;
  return KINDS.includes(k) ? k : 'generic';
}

// drawOrder: the layers bottom to top, as they are drawn and listed in
// the link's layers=: reference, areas, events, places, then the rest,
// each kind in the server's order.
export function drawOrder(ids, kinds) {
  const rank = (id) => KINDS.indexOf(kinds[id] || 'generic');
  return ids.map((id, i) => [id, i]).sort((a, b) => rank(a[0]) - rank(b[0]) || a[1] - b[1]).map(([id]) => id);
}

// ofKind: the ids (in the order given) whose kind is kind.
export function ofKind(ids, kinds, kind) {
  return ids.filter((id) => (kinds[id] || 'generic') === kind);
}

// controlOrder: the layer control's list, top of the map first: places,
// the event layer, other events, the rest, areas, reference.
export function controlOrder(ids, kinds, eventId) {
  const of = (k) => ofKind(ids, kinds, k);
  return [...of('places'), eventId, ...of('events'), ...of('generic').filter((id) => id !== eventId), ...of('areas'), ...of('reference')]
    .filter((id, i, a) => id && ids.includes(id) && a.indexOf(id) === i);
}

// dataLayer: the layer asked for (the link's data=) when the server has
// it, else the first events layer, else null (the pages then look for a
// generic layer with dates: see queryablesLayer).
export function dataLayer(order, kinds, asked) {
  if (asked && order.includes(asked)) return asked;
  return ofKind(order, kinds, 'events')[0] || null;
}

// pickedEvents: the events layers drawn and compared together: those
// the link's events= names that are events layers, in the server's
// order, with the data layer always among them; every events layer when
// the link names none (as the map has always drawn them).
export function pickedEvents(order, kinds, dataId, asked) {
  const all = ofKind(order, kinds, 'events');
  const want = new Set(asked || all);
  if (dataId) want.add(dataId);
  return order.filter((id) => want.has(id) && (all.includes(id) || id === dataId));
}

// pickEvents: the link's events= after the picker turned layer id on
// (on true) or off (the data layer stays on): the picked layers in the
// server's order, or null (the default) when they are every one.
export function pickEvents(order, kinds, dataId, picked, id, on) {
  const set = new Set(picked);
  if (on) set.add(id);
  else if (id !== dataId) set.delete(id);
  const list = pickedEvents(order, kinds, dataId, [...set]);
  const all = pickedEvents(order, kinds, dataId, null);
  return list.length === all.length && list.every((x, i) => x === all[i]) ? null : list;
}

// queryablesLayer: the layer whose queryables the pages read: the data
// layer, or failing one the first generic layer, which becomes the event
// layer when it has a date.
export function queryablesLayer(order, kinds, dataId) {
  return dataId || ofKind(order, kinds, 'generic')[0] || null;
}

// drawnAs: how a layer is drawn: 'reference' (outlines), 'areas' (the
// outline drawing), 'events' (event markers), 'places' (labels) or
// 'generic'. The event layer is drawn as events whatever its kind, unless
// it is a reference or areas layer.
export function drawnAs(kind, isEventLayer) {
  if (kind === 'reference' || kind === 'areas') return kind;
  if (isEventLayer || kind === 'events') return 'events';
  return kind === 'places' ? 'places' : 'generic';
}

// counted: whether the layer control shows a layer's size (outlines and
// areas have a handful of shapes, not a number worth reading).
export function counted(kind) {
  return kind !== 'reference' && kind !== 'areas';
}

// creditedByMap: whether the map's own credit line (map.js createMap)
// already covers a layer, so its collection's attribution is not added.
export function creditedByMap(kind) {
  return kind === 'reference' || kind === 'events';
}

// eventProfile: the profile the event layer is read with: its own when
// the dataset describes it as events, else that of the dataset's first
// events layer (a layer imported with more events of the same kind), else
// a generic one.
export function eventProfile(profiles, order, kinds, eventId) {
  if (eventId && kinds[eventId] === 'events') return profiles[eventId];
  const first = ofKind(order, kinds, 'events')[0];
  return first ? profiles[first] : { kind: 'generic' };
}

// PALETTE: the colours given, in order, to the values of a category
// whose profile has no colour for them (ColorBrewer Set1 and Dark2,
// without their greys), so a value keeps its colour while the profile's
// list of values keeps its order.
export const PALETTE = ['#e41a1c', '#377eb8', '#4daf4a', '#984ea3', '#ff7f00', '#a65628', '#f781bf',
  '#1b9e77', '#d95f02', '#7570b3', '#e7298a', '#66a61e', '#e6ab02', '#a6761d'];

const COLOR = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i;

// categoryStyles: each value of a category with its colour and label:
// the profile's own, else the palette's colour at the value's place
// and the value itself.
export function categoryStyles(cat) {
  const out = {};
  const labels = (cat && cat.labels) || {};
  const colors = (cat && cat.colors) || {};
  ((cat && cat.values) || []).map(String).forEach((v, i) => {
    const c = colors[v];
    out[v] = {
      color: typeof c === 'string' && COLOR.test(c) ? c : PALETTE[i % PALETTE.length],
      label: typeof labels[v] === 'string' && labels[v] ? labels[v] : v,
    };
  });
  return out;
}

// categoryKey: the value of the colouring category a feature's value
// stands for: itself, or the value it matches ignoring case, else
// 'other'.
export function categoryKey(words, value) {
  const styles = (words && words.categoryStyles) || {};
  const v = value === undefined || value === null ? '' : String(value);
  if (Object.hasOwn(styles, v)) return v;
  const low = v.toLowerCase();
  return Object.keys(styles).find((k) => k.toLowerCase() === low) || 'other';
}

// vocabulary: the words of an events profile that the page filters,
// sorts, sizes and colours by: time and endTime (the dates), magnitude
// with magnitudeLow and magnitudeHigh (the number that sizes a marker,
// and its range), category (the first category, which colours the
// markers) with its values, and label (the name). Missing words are
// null. The link's own names (minkilled=, attribution=, sort=killed)
// stay what they are, for every dataset; these are the properties they
// stand for.
export function vocabulary(profile) {
  const p = profile || {};
  const s = (v) => (typeof v === 'string' && v ? v : null);
  const cat = Array.isArray(p.categories) ? p.categories.find((c) => c && s(c.property) && Array.isArray(c.values)) : null;
  return {
    time: s(p.time),
    endTime: s(p.endTime),
    magnitude: s(p.magnitude),
    magnitudeLow: s(p.magnitudeLow),
    magnitudeHigh: s(p.magnitudeHigh),
    category: cat ? cat.property : null,
    categoryValues: cat ? cat.values.map(String) : null,
    label: s(p.label),
  };
}

// colouring: how the first category of an events profile colours and
// names its values: categoryTitle (what the legend says it is by) and
// categoryStyles (categoryStyles), both null without a category.
export function colouring(profile) {
  const p = profile || {};
  const cat = Array.isArray(p.categories) ? p.categories.find((c) => c && typeof c.property === 'string' && c.property && Array.isArray(c.values)) : null;
  return {
    categoryTitle: cat ? (typeof cat.title === 'string' && cat.title) || cat.property : null,
    categoryStyles: cat ? categoryStyles(cat) : null,
  };
}

// eventWords: the words the page reads an events layer with: its
// vocabulary and its colouring.
export function eventWords(profile) {
  return { ...vocabulary(profile), ...colouring(profile) };
}

// layerColor: an events layer's colour where the page names the layer
// (picker, timeline, comparison): its colouring category's first, or
// null. ctx: {eventId, words (the data layer's), profiles}.
export function layerColor(ctx, id) {
  const styles = id === ctx.eventId ? ctx.words.categoryStyles : eventWords(ctx.profiles[id]).categoryStyles;
  const first = styles && Object.values(styles)[0];
  return first ? first.color : null;
}

// dateProperty: the event layer's date property: the profile's time when
// the layer has it (props: its properties, a Set), else the first
// property its queryables give as a date, else null.
export function dateProperty(words, props, queryables) {
  if (words && words.time && props.has(words.time)) return words.time;
  const q = queryables && queryables.properties;
  if (!q) return null;
  const d = Object.entries(q).find(([, v]) => v && (v.format === 'date' || v.format === 'date-time'));
  return d ? d[0] : null;
}

// hasDates: whether a layer's queryables give a date property.
export function hasDates(queryables) {
  return dateProperty(null, new Set(), queryables) !== null;
}

// SHAPES: the marker shapes of the events layers, in turn: the page
// tells two layers apart by shape whatever their categories' colours.
export const SHAPES = ['circle', 'diamond', 'square', 'triangle'];

// shapeOf: the marker shape of events layer id: by its place among the
// events layers in the server's order (the data layer first when the
// dataset does not describe it as events), so a layer keeps its shape
// whichever layers are picked.
export function shapeOf(order, kinds, dataId, id) {
  const list = ofKind(order, kinds, 'events');
  if (dataId && !list.includes(dataId)) list.unshift(dataId);
  return SHAPES[Math.max(0, list.indexOf(id)) % SHAPES.length];
}
