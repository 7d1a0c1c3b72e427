// The embed page (embed.html, served at /embed): the map alone, for an
// iframe in another site. It reads the same URL state as the map page
// (state.js: view, layers, data, events, datetime, filters, color, mode, lang, sel), has
// minimal controls (zoom, a folded legend) and a "View full map" link to
// the map page with the same state. An ES module, importing the map page's
// state.js, map.js and status.js; it keeps no state store, as nothing on
// it changes the state once the page is drawn.
//
// When it is ready it sets body[data-ready=true] and window.khorasan, as
// the map page does.

import * as KS from './state.js';
import * as KM from './map.js';
import { createPicker } from './picker.js';
import { createStore } from './store.js';
import { API, fetchJSON } from './api.js';
import { typeStyle } from './style.js';
import { buildLegend, legendItems } from './legend.js';
import { setStatus as writeStatus, showNotice as writeNotice, markReady } from './status.js';
import { fmtInt } from './dom.js';

const $ = (id) => document.getElementById(id);

const parsed = KS.parse(location.search);
let state = parsed.state;
const problems = parsed.problems.slice();

const setStatus = (text, isError) => writeStatus($('status'), text, isError);

function showNotice() {
  if (!problems.length) return;
  writeNotice(document, `Parts of this map's link could not be used, so defaults are shown: ${problems.join('; ')}.`);
}

const map = KM.createMap('map');
KM.addScale(map, 100);

// The full map, with this state (and the view as it is now).
function updateFullLink() {
  const c = map.getCenter();
  const qs = KS.serialize({ ...state, view: { lat: c.lat, lon: L.Util.wrapNum(c.lng, [-180, 180], true), zoom: map.getZoom() } });
  $('full-map').href = new URL(`./${qs ? '?' + qs : ''}`, document.baseURI).href;
}

async function main() {
  const ctx = await KM.load(map, { dataId: state.data, lang: state.lang });
  const checked = KS.checkLayers(state, ctx.ids);
  problems.push(...checked.problems);
  state = checked.state;
  // The link's attribution values are the event layer's category values.
  const categories = KS.checkCategories(state, ctx.words);
  problems.push(...categories.problems);
  state = categories.state;
  if (ctx.styleProblem) problems.push(ctx.styleProblem);
  const events = ctx.events;
  // The events layers drawn are the link's events= (the data layer and
  // those picked in the map page), as there; the picker (without its
  // chips: the embed has no form) filters the others as the map page
  // does, each by its own profile.
  const picker = createPicker(document, createStore(state), ctx, map);
  for (const id of ctx.order) {
    const layer = ctx.layers[id];
    if (layer && picker.isPicked(id) && (!state.layers || state.layers.includes(id))) layer.addTo(map);
  }
  const small = map.getSize().x < 900 || map.getSize().y < 560; // a folded legend leaves the map free
  for (const id of picker.ids) {
    const l = ctx.layers[id];
    if (!l || !l.setColor) continue;
    l.setColor(state.color);
    if (l.setMode) l.setMode(state.mode);
  }
  const terms = events ? KS.filterTerms(state, ctx.eventProps, ctx.words) : [];
  const pred = KS.predicate(terms);
  let count = null;
  let killed = null;
  if (events && !events.vector) {
    events.setFilter(pred);
    const shown = events.features().filter((f) => pred(f.properties));
    count = shown.length;
    const magnitude = ctx.words.magnitude;
    killed = magnitude ? shown.reduce((a, f) => a + (Number((f.properties || {})[magnitude]) || 0), 0) : null;
  } else if (events) {
    events.setFilter(pred);
    if (events.setQuery) events.setQuery(KS.apiParams(terms));
    const p = KS.apiParams(terms);
    p.set('limit', '1');
    p.set('properties', '');
    const u = new URL(`collections/${encodeURIComponent(ctx.eventId)}/items?${p}`, API);
    count = (await fetchJSON(u)).numberMatched;
  }
  // The other picked layers, filtered by their own words.
  await picker.refresh(state, null, true);
  const legend = buildLegend(() => legendItems(events, {
    color: state.color, words: ctx.words, others: picker.legends(), haveKhorasan: ctx.ofKind('areas').some((id) => map.hasLayer(ctx.layers[id])), haveCities: false,
  }), !small);
  legend.addTo(map);

  if (state.view) map.setView([state.view.lat, state.view.lon], state.view.zoom, { animate: false });
  else if (ctx.region) map.fitBounds(ctx.region, { padding: [12, 12], animate: false });
  KM.rankCities(ctx);

  // The caption: what the map shows.
  const base = events ? (ctx.titles[ctx.eventId] || 'Events').replace(/\s*\d{4}\s*[–-]\s*\d{4}\s*$/, '') : 'Khorasan map';
  $('embed-title').textContent = base;
  const parts = [];
  if (count !== null) parts.push(`${fmtInt(count)} event${count === 1 ? '' : 's'}`);
  if (killed !== null && ctx.eventProps.has(ctx.words.magnitude)) parts.push(`${fmtInt(killed)} killed`);
  if (state.time) parts.push(`${state.time.start || '…'} to ${state.time.end || '…'}`);
  if (state.attribution.length) parts.push(state.attribution.join(' or '));
  if (state.country.length) parts.push(state.country.join(', '));
  if (state.type.length) parts.push(state.type.map((k) => typeStyle(k).label.toLowerCase()).join(' or '));
  if (state.target) parts.push(`target: ${state.target}`);
  if (state.q) parts.push(`“${state.q}”`);
  if (state.minKilled) parts.push(`${state.minKilled}+ killed`);
  $('embed-summary').textContent = parts.length ? `· ${parts.join(' · ')}` : '';
  $('empty').hidden = !(count === 0 && events && map.hasLayer(events));

  if (state.sel && events && events.open && !events.vector) {
    if (!events.open(state.sel, { noMove: !!state.view, instant: true })) problems.push(`event "${state.sel}" is not among the events shown`);
  }
  updateFullLink();
  map.on('moveend', updateFullLink);
  showNotice();

  window.khorasan = {
    map,
    layers: ctx.layers,
    embed: true,
    eventLayer: ctx.eventId,
    attackMarkers: events && events.markerCount ? events.markerCount : 0,
    shown: () => count,
    shownMarkers: () => (events && events.shownIds ? events.shownIds() : null),
    state: () => JSON.parse(JSON.stringify(state)),
    problems,
  };
  markReady(document, $('status'), ctx.failures, window.khorasan);
}

main().catch((err) => {
  console.error(err);
  setStatus(`The map could not load its data: ${err.message}`, true);
  showNotice();
  window.khorasan = { map, layers: {}, embed: true, error: String(err && err.message || err) };
  document.body.dataset.ready = 'error';
});
