// The Khorasan map page (index.html): it wires the map (map.js) to the
// page's state store (store.js) and its parts: the timeline (timeline.js),
// the filters (filters.js), the table (table.js), the summary and
// downloads (summary.js), the display controls (controls.js) and the
// share dialog (share.js), all kept in the page's URL (the format is
// described in state.js). Every change of state goes through the store;
// the subscribers below bring the page and the URL up to it.
//
// Filters run in the page when the event layer is small (its features are
// all loaded, as GeoJSON) and through the API's parameters when it is
// large (more than the server's vectorThreshold, drawn from vector tiles):
// then the counts, the histogram (per year) and the table come from the
// API, with the very filter the page would apply (sources.js).
//
// When the page is ready it sets body[data-ready=true] and exposes
// window.khorasan, which the browser tests use.

import * as KS from './state.js';
import * as KM from './map.js';
import { API, fetchJSON } from './api.js';
import { style } from './style.js';
import { buildLegend, legendItems } from './legend.js';
import { createStore, changed } from './store.js';
import { setStatus as writeStatus, showNotice, markReady } from './status.js';
import { rangeText } from './dates.js';
import { pageSource, apiSource } from './sources.js';
import { createTimeline, createPlayer } from './timeline.js';
import { createFilters } from './filters.js';
import { createPicker } from './picker.js';
import { createTable } from './table.js';
import { createSummary, dataAsOf } from './summary.js';
import { displayControl, foldControlsUnderPopups, fitPadding, viewButtons } from './controls.js';
import { createShare } from './share.js';
import { createLooks, createChoropleth } from './choropleth.js';
import { createCompare } from './compare.js';

const $ = (id) => document.getElementById(id);
const statusEl = $('status');
const setStatus = (text, isError) => writeStatus(statusEl, text, isError);

function noticeText(problems) {
  if (!problems.length) return '';
  return problems.length === 1
    ? `Part of this link could not be used, so the default is shown for it: ${problems[0]}.`
    : `Parts of this link could not be used, so the defaults are shown for them: ${problems.join('; ')}.`;
}
$('notice-close').addEventListener('click', () => { $('notice').hidden = true; });

const parsed = KS.parse(location.search);
const store = createStore(parsed.state);
const problems = parsed.problems.slice();

const map = KM.createMap('map');
KM.addScale(map, 140);

// The URL follows the state, a moment after the last change.
function urlWriter() {
  let timer = 0;
  return () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const qs = KS.serialize(store.get());
      const next = location.pathname + (qs ? '?' + qs : '') + location.hash;
      if (next !== location.pathname + location.search + location.hash) history.replaceState(null, '', next);
    }, 120);
  };
}

function currentView() {
  const c = map.getCenter();
  return { lat: c.lat, lon: L.Util.wrapNum(c.lng, [-180, 180], true), zoom: map.getZoom() };
}

async function main() {
  const ctx = await KM.load(map, { dataId: store.get().data, lang: store.get().lang });
  const checked = KS.checkLayers(store.get(), ctx.ids);
  problems.push(...checked.problems);
  store.change(checked.state);
  // The link's attribution values are the event layer's category values.
  const categories = KS.checkCategories(store.get(), ctx.words);
  problems.push(...categories.problems);
  store.change({ attribution: categories.state.attribution });
  const initial = store.get();
  if (initial.data && initial.data !== ctx.eventId) {
    problems.push(`layer "${initial.data}" has no dates to put on a timeline`);
    store.change({ data: null });
  }
  if (ctx.styleProblem) problems.push(ctx.styleProblem);
  const events = ctx.events;
  const asOf = dataAsOf(ctx.collections && ctx.collections[ctx.eventId]);
  $('data-asof').textContent = asOf;
  $('data-asof').hidden = !asOf;
  const writeURL = urlWriter();
  store.subscribe(writeURL);

  const visibleLayers = () => ctx.order.filter((id) => ctx.layers[id] && map.hasLayer(ctx.layers[id]));
  const terms = (s, opts) => (ctx.eventId ? KS.filterTerms(s || store.get(), ctx.eventProps, ctx.words, opts) : []);
  // The API query of the current filters, for downloads and /render.
  const apiQuery = (extra) => {
    const p = KS.apiParams(terms());
    for (const [k, v] of Object.entries(extra || {})) p.set(k, v);
    return p;
  };

  // The events layers picked (the link's events=) are drawn; the others
  // wait in the picker and the layer control.
  const picker = createPicker(document, store, ctx, map);
  for (const id of ctx.order) {
    const layer = ctx.layers[id];
    if (layer && picker.isPicked(id) && (!store.get().layers || store.get().layers.includes(id))) layer.addTo(map);
  }
  picker.sync(true);
  store.subscribe((state, patch) => { if ('events' in patch) picker.sync(); });
  let source = null;
  let summary = null;
  let lastResult = null;
  const narrow = map.getSize().x < 640;
  const control = KM.layerControl(map, ctx, { collapsed: narrow });
  map.on('overlayadd overlayremove', () => {
    const vis = visibleLayers();
    // An events layer turned on or off in the layer control is picked
    // or unpicked; layers= is about the picked ones.
    const on = vis.filter((id) => picker.ids.includes(id) && id !== ctx.eventId);
    const events = picker.normal(on);
    const sameEvents = JSON.stringify(events) === JSON.stringify(store.get().events);
    const drawn = picker.pickedOf(events);
    const all = ctx.order.filter((id) => ctx.layers[id] && drawn(id));
    store.change({ layers: vis.length === all.length ? null : vis, ...(sameEvents ? {} : { events }) });
    if (lastResult) summary.render(lastResult);
  });

  const region = ctx.region;
  const allBounds = events && events.bounds ? events.bounds() : region;
  viewButtons(map, region, allBounds && allBounds.isValid() ? allBounds : region).addTo(map);
  let display = null;
  // The display's colour and mode are every picked events layer's.
  const eventLayers = () => picker.ids.map((id) => ctx.layers[id]).filter((l) => l && l.setColor);
  for (const l of eventLayers()) {
    l.setColor(store.get().color);
    if (l.setMode) l.setMode(store.get().mode);
  }
  if (events || ctx.cfg.basemap.offline) display = displayControl(map, ctx, store);
  const legend = buildLegend(() => legendItems(events, {
    color: store.get().color, words: ctx.words, others: picker.legends(), haveKhorasan: ctx.ofKind('areas').length > 0, haveCities: ctx.ofKind('places').length > 0,
  }), !narrow);
  legend.addTo(map);
  if (!narrow) foldControlsUnderPopups(map, legend.getContainer(), control, display && display.node);
  // The legend scrolls rather than run under the layer control.
  const sizeLegend = () => {
    const top = control.getContainer().getBoundingClientRect();
    const bottom = legend.getContainer().getBoundingClientRect().bottom;
    const free = bottom - (control.getContainer().classList.contains('leaflet-control-layers-expanded') ? top.bottom : top.top + 44) - 12;
    legend.getContainer().style.maxHeight = `${Math.max(120, free)}px`;
  };
  sizeLegend();
  map.on('resize', sizeLegend);

  const view = store.get().view;
  if (view) map.setView([view.lat, view.lon], view.zoom, { animate: false });
  else if (region) map.fitBounds(region, fitPadding(map));
  KM.rankCities(ctx);

  let table = null;
  function openEvent(id, opts) {
    if (!events) return false;
    if (events.vector) {
      const f = table && table.feature(id);
      if (f) return events.open(id, opts, f);
      // Not in the table (a link's sel): ask the API.
      fetchJSON(new URL(`collections/${encodeURIComponent(ctx.eventId)}/items/${encodeURIComponent(id)}`, API))
        .then((feature) => events.open(id, opts, feature)).catch(() => {});
      return true;
    }
    return events.open(id, opts);
  }

  // The display follows the state's colour and mode.
  store.subscribe((state, patch) => {
    if ('color' in patch && events) {
      for (const l of eventLayers()) l.setColor(state.color);
      legend.refresh();
    }
    if ('mode' in patch && events) {
      for (const l of eventLayers()) l.setMode(state.mode);
      legend.refresh();
    }
    if ('lang' in patch) ctx.setLang(state.lang);
    if (display && ('color' in patch || 'mode' in patch || 'lang' in patch)) display.sync();
  });

  if (events) {
    source = events.vector ? await apiSource(events, ctx.eventId, ctx, terms) : pageSource(events, ctx, terms);
    const filters = createFilters(document, store, ctx, source);
    table = createTable(document, store, ctx, openEvent);
    summary = createSummary(document, store, ctx, source, map, apiQuery);
    table.buildHead();
    let timeline = null;
    let player = null;
    const stopPlay = () => { if (player) player.stop(); };
    if (source.domain) {
      $('timeline').hidden = false;
      map.invalidateSize();
      timeline = createTimeline($('histogram'), source.domain, (t) => store.change({ time: t }));
      player = createPlayer($('play'), timeline, map);
    }

    // Applying the state: the source's result to the table, summary,
    // facets, timeline and downloads; a later change overtakes an earlier
    // one still under way.
    let seq = 0;
    const refresh = async () => {
      const mine = ++seq;
      const state = store.get();
      let r;
      let others;
      try {
        [r, others] = await Promise.all([source.apply(state), picker.refresh(state, source.domain)]);
      } catch (err) {
        console.error(err);
        if (mine === seq) setStatus(`The events could not be filtered: ${err.message}`, true);
        return;
      }
      if (mine !== seq) return;
      lastResult = r;
      if (statusEl.classList.contains('error') && /filtered/.test(statusEl.textContent)) setStatus('');
      table.render(r.rows, r.count, others.rows, r.next);
      summary.render(r);
      filters.showFacets(r.facets, others.facets);
      if (timeline) {
        timeline.setBins(r.bins);
        timeline.setSeries(others.series);
        timeline.setTime(state.time);
      }
      $('range-text').textContent = rangeText(state.time);
      $('range-clear').hidden = !state.time;
      $('clear-filters').hidden = !KS.hasFilters(state);
      summary.downloads(r);
      legend.refresh();
      // The selected event stays selected only while it is shown.
      const sel = store.get().sel;
      if (sel && !events.vector && !r.rows.some((f) => KM.featureId(f) === sel)) {
        store.change({ sel: null });
        map.closePopup();
      }
      table.highlight(store.get().sel, false);
      document.body.dataset.shown = String(r.count);
    };

    store.subscribe((state, patch, before) => {
      if (changed(patch, before, ['country', 'attribution', 'cats', 'type', 'q', 'target', 'minKilled']) || 'color' in patch) filters.sync();
      if ('sort' in patch) table.syncHead();
      if (changed(patch, before, [...KS.FILTER_KEYS, 'sort']) || 'color' in patch) refresh();
      if ('events' in patch) {
        filters.setOthers(picker.members());
        legend.refresh();
        refresh();
      }
    });

    filters.setOthers(picker.members());
    table.syncHead();
    await refresh();
    $('range-clear').addEventListener('click', () => { stopPlay(); store.change({ time: null }); });
    for (const b of document.querySelectorAll('[data-action="reset"]')) {
      b.addEventListener('click', () => {
        stopPlay();
        store.change(KS.noFilters());
      });
    }
  } else {
    document.body.classList.add('no-events');
    map.invalidateSize();
  }

  // The choropleth and the month-by-month comparison: the API's
  // aggregates under the filters the page applies to each layer's items.
  const look = createLooks(ctx);
  const choropleth = ctx.eventId ? createChoropleth(document, store, ctx, map, look) : null;
  const compare = createCompare(document, store, ctx, look, () => map.invalidateSize());
  store.subscribe((state, patch, before) => {
    if (choropleth && changed(patch, before, [...KS.FILTER_KEYS, 'events', 'choropleth', 'hexSize', 'shade', 'choroLayer'])) choropleth.refresh().catch(console.error);
    if (changed(patch, before, [...KS.FILTER_KEYS, 'events', 'compare'])) compare.refresh().catch(console.error);
  });
  await Promise.all([choropleth && choropleth.refresh(), compare.refresh()]);

  // The open popup is the selected event.
  const popupEvent = (popup) => {
    const src = popup._source;
    return (src && src.eventId) || popup.eventId;
  };
  map.on('popupopen', (e) => {
    const id = popupEvent(e.popup);
    if (!id) return;
    store.change({ sel: id });
    if (table) table.highlight(id, true);
  });
  map.on('popupclose', (e) => {
    const id = popupEvent(e.popup);
    // Another popup opening closes this one first; only a real close
    // clears the selection.
    setTimeout(() => {
      if (id && store.get().sel === id && !(map._popup && map.hasLayer(map._popup))) {
        store.change({ sel: null });
        if (table) table.highlight(null);
      }
    }, 0);
  });

  const sel = store.get().sel;
  if (sel) {
    const ok = openEvent(sel, { noMove: !!store.get().view, instant: true });
    if (!ok) {
      problems.push(`event "${sel}" is not among the events shown`);
      store.change({ sel: null });
    }
  }

  // Record the view once the first one has settled.
  let viewTracked = false;
  map.on('moveend', () => {
    if (viewTracked) store.change({ view: currentView() });
  });
  setTimeout(() => { viewTracked = true; }, 0);

  showNotice(document, noticeText(problems));
  writeURL();
  const share = createShare(document, { map, ctx, store, currentView, visibleLayers, apiQuery });
  $('share-open').disabled = false;

  window.khorasan = {
    map,
    layers: ctx.layers,
    attackMarkers: events && events.markerCount ? events.markerCount : 0,
    attackMarker: (id) => (events && events.byId ? events.byId[id] || null : null),
    style: style(),
    basemap: ctx.basemap,
    config: ctx.cfg,
    vectorLayers: [...ctx.vectorIds],
    eventLayer: ctx.eventId,
    state: () => JSON.parse(JSON.stringify(store.get())),
    problems,
    shown: () => (lastResult ? lastResult.count : null),
    shownMarkers: () => (events && events.shownIds ? events.shownIds() : null),
    tableIds: () => (table ? table.ids() : []),
    share: share.links,
    findEmbedPath: share.findEmbedPath,
    cql: () => KS.toCQL(terms()),
    choropleth: () => (choropleth ? choropleth.last() : null),
    compare: () => compare.last(),
  };
  markReady(document, statusEl, ctx.failures, window.khorasan);
}

main().catch((err) => {
  console.error(err);
  setStatus(`The map could not load its data: ${err.message}`, true);
  showNotice(document, noticeText(problems));
  window.khorasan = { map, layers: {}, attackMarkers: 0, error: String(err && err.message || err) };
  document.body.dataset.ready = 'error';
});
