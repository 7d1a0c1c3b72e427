// The Khorasan map: its layers, markers and popups, shared by the map
// page (app.js) and the embed page (embed.js). An ES module; Leaflet and
// its plugins are classic scripts loaded before it (the global L). The
// style is style.js's, fetching api.js's, the legend legend.js's.
//
// load reads the map style, the server's config.json and its OGC API -
// Features collections, and draws every layer with Leaflet. Everything
// comes from this server: no tiles, fonts or images from outside. Layers
// with more features than the server's vectorThreshold are drawn from its
// vector tiles with Leaflet.VectorGrid instead of GeoJSON.
//
// Each layer is drawn by its kind, from its profile (profiles.js): a
// reference layer as the borders, an areas layer as the Khorasan outline,
// places as city labels, and the event layer (an events layer, or the
// layer the link's data= picks) as casualty-scaled circles, as clusters
// (leaflet.markercluster) that show the total killed, or as a heat map
// (leaflet.heat); setFilter shows only the events a predicate keeps.
// Co-located events are spread on a small ring (circles) or spiderfied
// (clusters), so each can be clicked. The event layer's properties (its
// date, magnitude and colouring category) are its profile's words.
//
// Data text is never put into HTML: popups and labels are built
// with DOM nodes and textContent. The one place Leaflet takes an HTML string
// (the layer control's names) gets escapeHTML().

import * as KS from './state.js';
import * as KP from './profiles.js';
import { el, escapeHTML, fmtInt, isBlank, num } from './dom.js';
import { S, attributionKey, attributionStyle, markerRadius, eventColor, loadStyle } from './style.js';
import { shapePoints, shapePath } from './shapes.js';
import { API, fetchJSON, fetchAllItems, fetchProfile, layerCount, loadConfig } from './api.js';

const PRECISION = {
  site: 'the site itself',
  neighbourhood: 'the neighbourhood',
  city: 'city centre',
  district: 'a nearby town stands in for the site',
};

// The map's panes by what they hold. Their names are the map style's
// (style.json's land, khorasan...; Leaflet gives each pane the class
// leaflet-NAME-pane), not layer names.
const PANE = {
  reference: 'borders', areas: 'khorasan', generic: 'extra', events: 'attacks', labels: 'labels', clusters: 'clusters',
};

// z-order, bottom to top: reference < areas < other layers < events <
// labels < clusters (whose numbers must stay legible).
const PANES = {
  [PANE.reference]: 350, [PANE.areas]: 410, [PANE.generic]: 420, [PANE.events]: 430, [PANE.labels]: 450, [PANE.clusters]: 460,
};

// ---- small helpers

// Only http(s) URLs become links; anything else is shown as text.
function safeURL(s) {
  try {
    const u = new URL(String(s).trim());
    return (u.protocol === 'http:' || u.protocol === 'https:') ? u : null;
  } catch (_) {
    return null;
  }
}

function splitURLs(s) {
  if (isBlank(s)) return [];
  return String(s).split('|').map((x) => x.trim()).filter(Boolean);
}

function decodeURIComponentSafe(s) {
  try { return decodeURIComponent(s); } catch (_) { return s; }
}

function shortPath(u) {
  const p = decodeURIComponentSafe(u.pathname).replace(/\/$/, '');
  if (!p) return '';
  return p.length > 26 ? p.slice(0, 24) + '…' : p;
}

function sourceLinks(value) {
  const items = splitURLs(value).map((raw) => {
    const u = safeURL(raw);
    if (!u) return el('li', null, raw);
    return el('li', null, el('a', {
      href: u.href, rel: 'noopener noreferrer', target: '_blank', title: u.href,
    }, u.hostname.replace(/^www\./, '') + shortPath(u)));
  });
  return items.length ? el('ul', { class: 'sources' }, items) : null;
}

function featureId(f) {
  if (f.id !== undefined && f.id !== null) return String(f.id);
  const p = f.properties || {};
  return p.id !== undefined && p.id !== null ? String(p.id) : '';
}

// A definition list row, skipped when the value is empty.
function row(term, ...value) {
  const v = value.flat().filter((x) => !isBlank(x));
  if (!v.length) return null;
  return [el('dt', null, term), el('dd', null, v)];
}

// ---- marker shapes: one per events layer, so that two layers never
// look alike whatever their colours (profiles.js shapeOf).

// A circle marker drawn as its options.shape (SVG renderer).
const ShapeMarker = L.CircleMarker.extend({
  _updatePath() {
    const pts = this._renderer._setPath && shapePoints(this.options.shape, this._point, this._radius);
    if (!pts) { L.CircleMarker.prototype._updatePath.call(this); return; }
    this._renderer._setPath(this, this._empty() ? 'M0 0' : shapePath(this.options.shape, this._point, this._radius));
  },
});

// A vector tile's canvas that draws points as their style's shape.
const ShapeTile = L.Canvas.Tile.extend({
  _updateCircle(layer) {
    const pts = shapePoints(layer.options.shape, layer._point, layer._radius);
    if (!pts) { L.Canvas.Tile.prototype._updateCircle.call(this, layer); return; }
    if (!this._drawing || layer._empty()) return;
    const ctx = this._ctx;
    ctx.beginPath();
    pts.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
    ctx.closePath();
    this._fillStroke(ctx, layer);
  },
});
const shapeTile = (coords, size, opts) => new ShapeTile(coords, size, opts);

// ---- the map

function createMap(node) {
  const map = L.map(node, {
    zoomSnap: 0.25,
    zoomDelta: 0.5,
    minZoom: KS.ZOOM.min,
    maxZoom: KS.ZOOM.max,
    worldCopyJump: false,
    keyboard: true,
  });
  map.attributionControl.addAttribution('Borders: Natural Earth (public domain); attacks: sources listed per event');
  for (const [name, z] of Object.entries(PANES)) {
    const pane = map.createPane(name);
    pane.style.zIndex = String(z);
  }
  // A neutral first view until the data says where to look.
  map.setView([35.5, 63], 5);
  return map;
}

// addScale puts a metric scale bar at the bottom left and keeps the
// attribution (bottom right) clear of it: the attribution's corner starts
// right of everything in the bottom-left corner (the scale bar, the
// page's display box), so its lines wrap there instead of running over
// them, however narrow the map and whatever the corner holds.
function addScale(map, maxWidth) {
  L.control.scale({ imperial: false, maxWidth }).addTo(map);
  const corner = (side) => map.getContainer().querySelector(`.leaflet-bottom.leaflet-${side}`);
  const left = corner('left');
  const right = corner('right');
  const fit = () => { right.style.left = `${Math.ceil(left.getBoundingClientRect().width) + 6}px`; };
  new ResizeObserver(fit).observe(left);
  fit();
}

// Popups narrow enough for a phone, roomy on a desktop.
function popupOptions(map) {
  const { x: w, y: h } = map.getSize();
  return {
    maxHeight: Math.max(160, h - 90),
    maxWidth: Math.min(380, w - 70),
    minWidth: Math.min(280, w - 70),
    autoPanPaddingTopLeft: [w > 600 ? 60 : 10, 20],
    autoPanPaddingBottomRight: [10, 20],
  };
}

// ---- layer builders

// Over a basemap the borders are outlines only: the basemap paints land.
function buildBorders(map, fc, overBasemap) {
  return L.geoJSON(fc, {
    pane: PANE.reference,
    interactive: false,
    style: () => ({ ...S.land, ...(overBasemap ? { fillOpacity: 0 } : {}), className: 'border-shape' }),
  });
}

function khorasanPopup(f) {
  const p = f.properties || {};
  const variant = featureId(f) === 'broad' ? 'broad variant (dashed)' : 'main outline (solid)';
  return el('div', { class: 'popup khorasan-popup' },
    el('h3', null, p.name || 'Greater Khorasan'),
    el('p', { class: 'warning' },
      'An approximate, hand-drawn outline of the historical region (' + variant + '). ',
      el('strong', null, 'It is not ISIS-K\u2019s territory'),
      ', which ISIS-K has never published.'),
    el('dl', null, row('Definition', p.definition)),
    isBlank(p.note) ? null : el('details', { class: 'notes' }, el('summary', null, 'Note'), el('p', null, p.note)),
    splitURLs(p.sources).length ? el('details', { class: 'notes' },
      el('summary', null, `Sources (${splitURLs(p.sources).length})`), sourceLinks(p.sources)) : null);
}

function buildKhorasan(map, fc) {
  const group = L.featureGroup();
  // Broad first so the main outline is drawn on top of it.
  const features = [...fc.features].sort((a, b) => (featureId(a) === 'broad' ? -1 : 0) - (featureId(b) === 'broad' ? -1 : 0));
  for (const f of features) {
    const variant = featureId(f) === 'broad' ? 'broad' : 'main';
    const line = S.khorasan[variant];
    // The fill is decoration and never catches clicks; only the outline does.
    if (variant === 'main') {
      group.addLayer(L.geoJSON(f, {
        pane: PANE.areas, interactive: false,
        style: () => ({ stroke: false, ...S.khorasan.fill, className: 'khorasan-fill' }),
      }));
    }
    const outline = L.geoJSON(f, {
      pane: PANE.areas,
      style: () => ({ color: line.color, weight: line.weight, opacity: line.opacity, dashArray: line.dashArray, fill: false, className: `khorasan-outline khorasan-${variant}` }),
    });
    outline.bindPopup(() => khorasanPopup(f), popupOptions(map));
    outline.bindTooltip(
      `${escapeHTML((f.properties || {}).name || `Greater Khorasan (${variant === 'broad' ? 'broad variant' : 'main outline'})`)}<br>approximate; not ISIS-K\u2019s territory`,
      { sticky: true, className: 'khorasan-tooltip' });
    group.addLayer(outline);
  }
  return group;
}

// The value of a property named by one of the event layer's words
// (profiles.js vocabulary); undefined when the layer has no such word.
function prop(p, name) {
  return name ? p[name] : undefined;
}

// An event's popup; w is the event layer's words.
function attackPopup(f, latlng, groupSize, w) {
  const p = f.properties || {};
  const killed = num(prop(p, w.magnitude));
  const low = num(prop(p, w.magnitudeLow));
  const high = num(prop(p, w.magnitudeHigh));
  const wounded = num(p.wounded);
  const killedText = killed === null ? 'not reported'
    : fmtInt(killed) + ((low !== null && high !== null && low !== high) ? ` (sources: ${fmtInt(low)}\u2013${fmtInt(high)})` : '');
  const day = prop(p, w.time);
  const end = prop(p, w.endTime);
  const date = end && end !== day ? `${day} to ${end}` : day;
  const place = [p.city, p.admin1, p.country].filter((x) => !isBlank(x)).join(', ');
  const category = prop(p, w.category);
  const att = attributionStyle(category, w);
  // The category's row is named by the profile's title (ACLED's "Event
  // type"), else as it always was.
  const precision = isBlank(p.precision) ? null
    : `${p.precision}${PRECISION[p.precision] ? ' (' + PRECISION[p.precision] + ')' : ''}`;
  const where = `${latlng.lat.toFixed(5)}, ${latlng.lng.toFixed(5)}`;
  // The facts flag an attribution that rests on thin evidence in the
  // notes: the popup says so beside the attribution and shows the note.
  const weak = !isBlank(p.notes) && /ATTRIBUTION WEAK/.test(String(p.notes));
  const shared = groupSize > 1
    ? el('span', { class: 'shared-note' }, `${groupSize - 1} other event${groupSize > 2 ? 's' : ''} shown at this point; markers are drawn slightly apart.`)
    : null;
  return el('div', { class: 'popup attack-popup' },
    el('h3', null, p.name || (isBlank(prop(p, w.label)) ? featureId(f) : String(prop(p, w.label)))),
    el('dl', null,
      row('Date', date),
      row('Place', place),
      row('Killed', killedText),
      row('Wounded', wounded === null ? (p.wounded === undefined ? null : 'not reported') : fmtInt(wounded)),
      row('Target', p.target),
      row('Attack type', p.attack_type),
      row(w.categoryTitle && w.categoryTitle !== w.category ? w.categoryTitle : 'Attribution', isBlank(category) ? null : el('span', { class: 'swatch', style: `background:${att.color}` }), category,
        weak ? el('span', { class: 'weak-note' }, ' (weak attribution: see the notes)') : null),
      row('Precision', precision),
      row('Coordinates', where, shared),
      row('Sources', sourceLinks(p.source_url))),
    isBlank(p.notes) ? null : el('details', { class: 'notes', open: weak }, el('summary', null, 'Notes'), el('p', null, p.notes)),
    el('p', { class: 'fid' }, 'id: ', featureId(f)));
}

// Offsets on a small ring, in screen pixels so the ring keeps its size
// at every zoom.
function spreadOffsets(n) {
  if (n <= 1) return [L.point(0, 0)];
  const r = Math.max(S.spread.minRing, (n * S.spread.spacing) / (2 * Math.PI));
  const out = [];
  for (let i = 0; i < n; i++) {
    const a = -Math.PI / 2 + (2 * Math.PI * i) / n;
    out.push(L.point(r * Math.cos(a), r * Math.sin(a)));
  }
  return out;
}

// The event layer drawn from GeoJSON. A LayerGroup (what the layer
// control toggles) holding, by mode, the circles (with the legs of
// spread markers), a cluster group, or a heat layer. w: the layer's
// words (profiles.js vocabulary).
function buildEvents(map, fc, layerId, title, hooks, w, shape) {
  const container = L.layerGroup();
  const circles = L.featureGroup();
  const legs = L.layerGroup();
  let clusters = null;
  let heat = null;
  let mode = 'circles';
  let colorMode = 'attribution';
  let keep = () => true;
  const items = [];
  const byId = {};
  for (const f of fc.features) {
    if (!f.geometry || f.geometry.type !== 'Point') continue;
    const p = f.properties || {};
    const [lon, lat] = f.geometry.coordinates;
    const id = featureId(f) || `#${items.length}`;
    const real = L.latLng(lat, lon);
    const killed = num(prop(p, w.magnitude));
    const day = prop(p, w.time);
    const m = new ShapeMarker(real, {
      pane: PANE.events,
      shape,
      radius: markerRadius(prop(p, w.magnitude)),
      color: S.marker.stroke,
      weight: S.marker.weight,
      fillColor: attributionStyle(prop(p, w.category), w).color,
      fillOpacity: S.marker.fillOpacity,
      className: `attack-marker shape-${shape || 'circle'}`,
      bubblingMouseEvents: false,
    });
    m.feature = f;
    m.eventId = id;
    m.realLatLng = real;
    m.offset = L.point(0, 0);
    m.groupSize = 1;
    m.killed = killed || 0;
    m.bindPopup(() => attackPopup(f, real, m.groupSize, w), popupOptions(map));
    m.bindTooltip(`${escapeHTML(day || '')} \u2013 ${escapeHTML(p.name || id)}${killed === null ? '' : ' (' + escapeHTML(fmtInt(killed)) + ' killed)'}`,
      { direction: 'top', offset: [0, -4], className: 'attack-tooltip' });
    m.on('add', () => {
      const path = m.getElement();
      if (!path) return;
      path.dataset.id = id;
      path.dataset.layer = layerId;
      path.setAttribute('tabindex', '0');
      path.setAttribute('role', 'button');
      path.setAttribute('aria-label', `${day || ''} ${p.name || id}${killed === null ? '' : ', ' + killed + ' killed'}`);
      path.addEventListener('keydown', (ev) => {
        if (ev.key === 'Enter' || ev.key === ' ') {
          ev.preventDefault();
          m.openPopup();
        }
      });
    });
    items.push(m);
    byId[id] = m;
  }
  // Big circles first, so smaller ones lie on top and stay clickable.
  items.sort((a, b) => b.options.radius - a.options.radius);

  let shown = items.slice();

  function recolor() {
    for (const m of items) m.setStyle({ fillColor: eventColor(m.feature.properties || {}, colorMode, w) });
  }

  // Group the shown markers by identical point and give each of a group
  // its place on the ring; in cluster mode every marker sits on its
  // real point (the cluster group spiderfies them instead).
  function regroup() {
    const byPoint = new Map();
    for (const m of shown) {
      const key = `${m.realLatLng.lat.toFixed(6)},${m.realLatLng.lng.toFixed(6)}`;
      if (!byPoint.has(key)) byPoint.set(key, []);
      byPoint.get(key).push(m);
    }
    for (const list of byPoint.values()) {
      list.sort((a, b) => String(prop(a.feature.properties, w.time)).localeCompare(String(prop(b.feature.properties, w.time))));
      const offsets = spreadOffsets(list.length);
      list.forEach((m, i) => {
        m.offset = offsets[i];
        m.groupSize = list.length;
      });
    }
  }

  function placeSpread() {
    if (mode !== 'circles') return;
    const z = map.getZoom();
    legs.clearLayers();
    for (const m of shown) {
      if (m.groupSize <= 1) {
        m.setLatLng(m.realLatLng);
        continue;
      }
      const px = map.project(m.realLatLng, z).add(m.offset);
      const ll = map.unproject(px, z);
      m.setLatLng(ll);
      legs.addLayer(L.polyline([m.realLatLng, ll], {
        pane: PANE.events, interactive: false, color: '#555', weight: 0.8, opacity: 0.7, className: 'spread-leg',
      }));
    }
  }

  function clusterIcon(cluster) {
    const ms = cluster.getAllChildMarkers();
    let killed = 0;
    const byColor = new Map();
    for (const m of ms) {
      killed += m.killed;
      const c = eventColor(m.feature.properties || {}, colorMode, w);
      byColor.set(c, (byColor.get(c) || 0) + 1);
    }
    // A ring of the markers' colours, in proportion, around the total killed.
    let at = 0;
    const stops = [];
    for (const [c, n] of byColor) {
      const to = at + (n / ms.length) * 100;
      stops.push(`${c} ${at.toFixed(2)}% ${to.toFixed(2)}%`);
      at = to;
    }
    const size = Math.round(Math.min(72, Math.max(30, 2 * S.marker.k * Math.sqrt(killed) * 0.8 + 14)));
    const label = `${ms.length} events, ${fmtInt(killed)} killed`;
    const html = el('div', { class: 'cluster-ring', style: `background: conic-gradient(${stops.join(', ')})` },
      el('span', { class: 'cluster-killed' }, fmtInt(killed)));
    return L.divIcon({ html, className: `event-cluster cluster-${shape || 'circle'}`, iconSize: [size, size], title: label });
  }

  function ensureClusters() {
    if (clusters) return clusters;
    clusters = L.markerClusterGroup({
      clusterPane: PANE.clusters,
      showCoverageOnHover: false,
      spiderfyOnMaxZoom: true,
      zoomToBoundsOnClick: true,
      maxClusterRadius: (z) => (z <= 5 ? 60 : z <= 7 ? 40 : 22),
      spiderLegPolylineOptions: { weight: 1, color: '#555', opacity: 0.7 },
      iconCreateFunction: clusterIcon,
    });
    clusters.on('animationend spiderfied unspiderfied', () => labelClusters());
    map.on('zoomend moveend', () => labelClusters());
    return clusters;
  }

  // Clusters are reachable by keyboard (Leaflet markers are) and say
  // what they hold.
  function labelClusters() {
    if (!clusters || !map.hasLayer(clusters)) return;
    clusters._featureGroup.eachLayer((l) => {
      if (!l.getAllChildMarkers || !l._icon) return;
      const ms = l.getAllChildMarkers();
      const killed = ms.reduce((a, m) => a + m.killed, 0);
      l._icon.setAttribute('role', 'button');
      l._icon.setAttribute('aria-label', `Cluster of ${ms.length} events, ${fmtInt(killed)} killed; press Enter to zoom in or spread them`);
    });
  }

  function heatPoints() {
    return shown.map((m) => [m.realLatLng.lat, m.realLatLng.lng, Math.min(1, 0.25 + Math.sqrt(m.killed) / 12)]);
  }

  function render() {
    container.clearLayers();
    circles.clearLayers();
    if (clusters) clusters.clearLayers();
    if (mode === 'circles') {
      regroup();
      for (const m of shown) circles.addLayer(m);
      circles.addLayer(legs);
      container.addLayer(circles);
      placeSpread();
    } else if (mode === 'clusters') {
      legs.clearLayers();
      for (const m of shown) m.setLatLng(m.realLatLng);
      const c = ensureClusters();
      c.addLayers(shown);
      container.addLayer(c);
      labelClusters();
    } else {
      legs.clearLayers();
      const pts = heatPoints();
      if (!heat) heat = L.heatLayer(pts, { radius: 26, blur: 20, maxZoom: 4, minOpacity: 0.35 });
      else heat._latlngs = pts; // setLatLngs redraws, and fails off the map; adding it draws
      container.addLayer(heat);
    }
  }

  map.on('zoomend viewreset', placeSpread);

  container.eventLayer = true;
  container.shape = shape || 'circle';
  container.byId = byId;
  container.items = items;
  container.markerCount = items.length;
  container.title = title;
  container.mode = () => mode;
  container.shownCount = () => shown.length;
  container.shownIds = () => shown.map((m) => m.eventId);
  container.features = () => items.map((m) => m.feature);
  container.setFilter = (pred) => {
    keep = pred || (() => true);
    shown = items.filter((m) => keep(m.feature.properties || {}));
    render();
  };
  container.setMode = (m) => {
    if (!KS.MODES.includes(m) || m === mode) return;
    map.closePopup();
    mode = m;
    render();
  };
  container.setColor = (c) => {
    colorMode = c;
    recolor();
    if (mode === 'clusters' && clusters) clusters.refreshClusters();
  };
  container.bounds = () => {
    const b = L.latLngBounds([]);
    for (const m of items) b.extend(m.realLatLng);
    return b;
  };
  // open(id): show the event's popup, zooming to it as needed. Returns
  // false when the event is filtered out.
  let openGen = 0;
  container.open = (id, opts) => {
    const m = byId[id];
    if (!m || !shown.includes(m)) return false;
    if (!map.hasLayer(container)) container.addTo(map);
    const fly = !(opts && opts.noMove);
    const gen = ++openGen;
    if (mode === 'circles') {
      // Open once the map has stopped (or at once when nothing moves),
      // and never after another event was asked for meanwhile.
      let done = false;
      const openIt = () => {
        map.off('moveend', openIt);
        if (done || gen !== openGen) return;
        done = true;
        placeSpread();
        m.openPopup();
      };
      const animate = fly && !(opts && opts.instant);
      if (animate) {
        map.on('moveend', openIt);
        setTimeout(openIt, 600); // a setView to where the map is fires no moveend
      }
      if (fly) map.setView(m.realLatLng, Math.max(map.getZoom(), 7), { animate });
      if (!animate) openIt();
    } else if (mode === 'clusters') {
      const go = () => clusters.zoomToShowLayer(m, () => m.openPopup());
      if (fly) go();
      else if (clusters.getVisibleParent(m) === m) m.openPopup();
      else go();
    } else {
      const popup = L.popup(popupOptions(map)).setLatLng(m.realLatLng).setContent(attackPopup(m.feature, m.realLatLng, 1, w));
      popup.eventId = id;
      if (fly) map.setView(m.realLatLng, Math.max(map.getZoom(), 7), { animate: !(opts && opts.instant) });
      popup.openOn(map);
    }
    if (hooks && hooks.onOpen) hooks.onOpen(id);
    return true;
  };
  // The legend's counts: shown events per attribution or type class.
  container.classCounts = () => {
    const counts = {};
    for (const m of shown) {
      const p = m.feature.properties || {};
      const key = colorMode === 'type' ? KS.typeOf(p.attack_type) : attributionKey(prop(p, w.category), w);
      counts[key] = (counts[key] || 0) + 1;
    }
    return counts;
  };
  render();
  return container;
}

// "Neyshabur (Nishapur)" keeps its short aside; a long one such as
// "Tus (Tus-e Sofla, near ancient Tus)" is left off the map label.
function labelParts(name) {
  const m = /^(.*?)\s*\(([^()]*)\)\s*$/.exec(String(name || ''));
  if (!m) return { base: String(name || ''), aside: null };
  const aside = m[2].trim();
  return { base: m[1], aside: aside.length <= 16 && !aside.includes(',') ? aside : null };
}

// City labels: a dot and a name. Labels that would overlap are hidden,
// anchor (historical) cities first, then by population.
function buildCities(map, fc) {
  const group = L.layerGroup();
  const labels = [];
  for (const f of fc.features) {
    if (!f.geometry || f.geometry.type !== 'Point') continue;
    const p = f.properties || {};
    const [lon, lat] = f.geometry.coordinates;
    const anchor = p.anchor === true || p.anchor === 'true' || p.anchor === 1;
    const { base, aside } = labelParts(p.name);
    const node = el('div', { class: 'city-label-inner' },
      el('span', { class: 'city-dot', 'aria-hidden': 'true' }),
      el('span', { class: 'city-name' }, base, aside ? el('span', { class: 'city-aside' }, ` (${aside})`) : null));
    const icon = L.divIcon({
      className: `city-label ${anchor ? 'city-anchor' : 'city-other'}`,
      html: node,
      iconSize: null,
      iconAnchor: [4, 8],
    });
    const m = L.marker([lat, lon], { icon, pane: PANE.labels, interactive: false, keyboard: false });
    m.city = { key: base.trim().toLowerCase(), anchor, population: num(p.population) || 0, order: labels.length };
    m.priority = 0;
    labels.push(m);
    group.addLayer(m);
  }
  function declutter() {
    if (!map.hasLayer(group)) return;
    const placed = [];
    const ordered = [...labels].sort((a, b) => b.priority - a.priority);
    for (const m of ordered) {
      const node = m.getElement();
      if (!node) continue;
      node.style.visibility = '';
      const r = node.querySelector('.city-label-inner').getBoundingClientRect();
      const box = { l: r.left - 3, r: r.right + 3, t: r.top - 1, b: r.bottom + 1 };
      const clash = placed.some((o) => box.l < o.r && box.r > o.l && box.t < o.b && box.b > o.t);
      if (clash) node.style.visibility = 'hidden';
      else placed.push(box);
    }
  }
  // Which labels win a clash: anchors, and places with many attacks
  // (attacksByCity: lower-case city name -> count), then population, then
  // the data's order.
  function rank(attacksByCity) {
    for (const m of labels) {
      const c = m.city;
      const score = (c.anchor ? 3 : 0) + Math.log2(1 + ((attacksByCity && attacksByCity[c.key]) || 0));
      m.priority = score * 1e12 + Math.min(c.population, 1e11) - c.order * 1e-3;
    }
  }
  rank(null);
  map.on('zoomend', declutter);
  group.on('add', () => setTimeout(declutter, 0));
  group.declutter = declutter;
  group.rank = rank;
  return group;
}

function genericPopup(f, title) {
  const p = f.properties || {};
  const rows = Object.entries(p).map(([k, v]) => {
    if (isBlank(v)) return null;
    const text = typeof v === 'object' ? JSON.stringify(v) : String(v);
    const links = splitURLs(text);
    const allURLs = links.length && links.every((x) => safeURL(x));
    return row(k, allURLs ? sourceLinks(text) : text);
  });
  return el('div', { class: 'popup' },
    el('h3', null, p.name || p.title || featureId(f) || title),
    el('dl', null, ...rows));
}

function buildGeneric(map, fc, title) {
  const s = S.generic;
  return L.geoJSON(fc, {
    pane: PANE.generic,
    style: () => ({ color: s.color, weight: s.weight, fillOpacity: s.fillOpacity, className: 'generic-shape' }),
    pointToLayer: (f, ll) => L.circleMarker(ll, {
      pane: PANE.generic, radius: 5, color: '#fff', weight: 1, fillColor: s.color, fillOpacity: 0.8, className: 'generic-marker',
    }),
    onEachFeature: (f, l) => l.bindPopup(() => genericPopup(f, title), popupOptions(map)),
  });
}

// ---- basemap and vector tiles

// The offline basemap (@2x on high-density screens through {r}), or the
// online one the server was told of. The page draws its own city labels,
// so the offline basemap leaves them out; lang (state.js LANGS) is the
// language of its labels. An online basemap takes neither.
export function basemapURL(b, pageHasCities, lang) {
  if (!b.offline) return b.url;
  const q = [];
  if (pageHasCities) q.push('cities=off');
  if (lang && lang !== 'en') q.push(`lang=${encodeURIComponent(lang)}`);
  return q.length ? b.url + (b.url.includes('?') ? '&' : '?') + q.join('&') : b.url;
}

function addBasemap(map, cfg, pageHasCities, lang) {
  const b = cfg.basemap;
  const url = basemapURL(b, pageHasCities, lang);
  const layer = L.tileLayer(url, {
    minZoom: 0,
    maxZoom: map.getMaxZoom(),
    maxNativeZoom: b.maxNativeZoom || undefined,
    attribution: b.attribution ? escapeHTML(b.attribution) : '',
    className: 'basemap-tiles',
  });
  layer.addTo(map);
  return layer;
}

// Clicks on vector tiles. VectorGrid 1.3's own click handling fails
// under Leaflet >= 1.8 (VectorGrid issue #274): Leaflet takes a clicked
// point of radius 10 px or less for a marker and asks its latlng, which
// VectorGrid's points lack, and throws (with the SVG renderer too). Its
// interactive canvases also cover the map and swallow the clicks meant
// for the layers below and for the map itself (a click beside a point
// closed no popup). So vector layers are drawn with interactive: false,
// clicks pass through, and one map click handler looks for the feature
// under the pointer among those the loaded tiles drew. Not among the
// API's features near the click (a bbox query): below the tiles' top
// zoom a tile keeps only its most severe points, so the API's nearest is
// mostly a point that is not drawn; the tiles' features are exactly what
// is drawn, under the page's filters too (a feature the style hides is
// never drawn). The popup's content then comes from the API by id, as a
// GeoJSON layer's does: tiles drop null properties and round coordinates
// to their grid.

// How far from a drawn shape a click still hits it, in screen pixels.
const HIT_SLOP = L.Browser.mobile ? 6 : 3;

// Whether tile pixel p is inside the rings of parts (even-odd), and
// whether it is within w of their edges (closed: each ring's last point
// joins its first).
function insideParts(parts, p) {
  let inside = false;
  for (const part of parts) {
    for (let i = 0, j = part.length - 1; i < part.length; j = i++) {
      const a = part[i];
      const b = part[j];
      if ((a.y > p.y) !== (b.y > p.y) && p.x < ((b.x - a.x) * (p.y - a.y)) / (b.y - a.y) + a.x) inside = !inside;
    }
  }
  return inside;
}
function nearParts(parts, p, w, closed) {
  for (const part of parts) {
    for (let i = closed ? 0 : 1, j = closed ? part.length - 1 : 0; i < part.length; j = i++) {
      if (L.LineUtil.pointToSegmentDistance(p, part[j], part[i]) <= w) return true;
    }
  }
  return false;
}

// The feature of vector layer `layer` drawn under container point cp:
// { id, properties, latlng } or null. Points first, the nearest centre
// winning; then lines and shapes, the last drawn winning. It reads
// VectorGrid 1.3's tiles (the vendored, pinned version): each tile's
// renderer keeps its drawn features by id, points with their tile pixel
// and radius, lines and shapes with their parts in tile pixels.
function vectorHit(layer, map, cp, slop) {
  const z = layer._tileZoom;
  if (z === undefined || !layer._tiles || !layer._vectorTiles) return null;
  // Tiles are drawn at zoom z and scaled to the map's zoom.
  const scale = map.getZoomScale(map.getZoom(), z);
  const size = layer.getTileSize();
  const at = map.project(map.containerPointToLatLng(cp), z);
  const tol = slop / scale;
  let point = null;
  let shape = null;
  let best = Infinity;
  for (const key of Object.keys(layer._tiles)) {
    const tile = layer._tiles[key];
    const drawn = layer._vectorTiles[key];
    if (!tile.current || tile.coords.z !== z || !drawn || !drawn._features) continue;
    const origin = L.point(tile.coords.x * size.x, tile.coords.y * size.y);
    const p = at.subtract(origin);
    // A tile's canvas shows only its own square: the click is on one
    // tile (on two when on an edge).
    if (p.x < -tol || p.y < -tol || p.x > size.x + tol || p.y > size.y + tol) continue;
    for (const id of Object.keys(drawn._features)) {
      const f = drawn._features[id].feature;
      const o = f.options || {};
      const w = (o.stroke === false ? 0 : (o.weight || 0) / 2) + tol;
      if (f._point && f._radius !== undefined) {
        const d = f._point.distanceTo(p);
        if (d <= f._radius + w && d <= best) {
          best = d;
          point = { id, properties: f.properties || {}, latlng: map.unproject(f._point.add(origin), z) };
        }
      } else if (!point && f._parts) {
        const closed = f instanceof L.Polygon;
        if ((closed && o.fill !== false && insideParts(f._parts, p)) || nearParts(f._parts, p, w, closed)) {
          shape = { id, properties: f.properties || {}, latlng: map.containerPointToLatLng(cp) };
        }
      }
    }
  }
  return point || shape;
}

// Every vector layer of a map, for its one click handler.
const vectorLayersOf = new WeakMap();

// One click handler per map: the top vector layer (by pane) with a
// feature under the click opens its popup. A pointer cursor shows over
// features, as over GeoJSON markers.
function watchVectorClicks(map, layer) {
  let layers = vectorLayersOf.get(map);
  if (layers) {
    layers.add(layer);
    return;
  }
  layers = new Set([layer]);
  vectorLayersOf.set(map, layers);
  const hitAt = (cp) => {
    const on = [...layers].filter((l) => map.hasLayer(l))
      .sort((a, b) => (PANES[b.options.pane] || 0) - (PANES[a.options.pane] || 0));
    for (const l of on) {
      const hit = vectorHit(l, map, cp, HIT_SLOP);
      if (hit) return { layer: l, hit };
    }
    return null;
  };
  // A popup that opens while one is being fetched wins over it.
  let gen = 0;
  map.on('popupopen', () => { gen++; });
  map.on('click', (e) => {
    const found = hitAt(e.containerPoint);
    if (!found) return;
    const mine = ++gen;
    found.layer.openHit(found.hit, () => mine === gen);
  });
  const node = map.getContainer();
  let queued = null;
  map.on('mousemove', (e) => {
    if (queued === null) {
      requestAnimationFrame(() => {
        const cp = queued;
        queued = null;
        node.classList.toggle('vector-hit', !(map.dragging && map.dragging.moving()) && !!hitAt(cp));
      });
    }
    queued = e.containerPoint;
  });
  map.on('mouseout dragstart zoomstart', () => node.classList.remove('vector-hit'));
}

// From this zoom on, the clusters of a layer drawn from vector tiles
// give way to its points (tiles keep every point there).
const CLUSTER_TOP = 11;

// The width of a hexagon cell of /aggregate that spans px screen pixels
// at zoom z (Web Mercator km, as the API counts them), within its range.
function hexKm(z, px) {
  return Math.max(5, Math.min(1000, Math.round((px * 40075) / (256 * 2 ** z))));
}

// The clusters and the heat map of a layer drawn from vector tiles: too
// many points for the page, so the API counts them per hexagon cell of
// the view (/aggregate?by=hex, with the page's filters for the layer)
// and the cells are drawn, as clusters (the total killed, or the count
// without a magnitude; a click zooms in) or as a heat map weighted by
// the count. The points come back at CLUSTER_TOP.
function apiAggregates(map, layer, id, w, shape) {
  const group = L.layerGroup();
  let mode = 'circles';
  let query = new URLSearchParams();
  let gen = 0;
  const info = { mode: 'circles', cells: 0, count: 0, magnitude: 0, size: 0, url: null, pending: false };
  const color = () => {
    const first = w && w.categoryStyles && Object.values(w.categoryStyles)[0];
    return first ? first.color : S.generic.color;
  };
  function centre(g) {
    const ring = g && g.type === 'Polygon' ? g.coordinates[0].slice(0, -1) : null;
    if (!ring || !ring.length) return null;
    const sum = ring.reduce((a, [x, y]) => [a[0] + x, a[1] + y], [0, 0]);
    return L.latLng(sum[1] / ring.length, sum[0] / ring.length);
  }
  function draw(fc, size) {
    group.clearLayers();
    const cells = fc.features.filter((f) => f.geometry && f.properties && f.properties.count > 0);
    info.cells = cells.length;
    info.count = fc.count;
    info.magnitude = fc.magnitude_sum || 0;
    info.size = size;
    const max = Math.max(1, ...cells.map((f) => f.properties.count));
    if (mode === 'heat') {
      // Neighbouring cells' glows add up: each weighs a share of the
      // busiest, so only the busiest places saturate.
      const pts = cells.map((f) => { const c = centre(f.geometry); return [c.lat, c.lng, 0.25 * (f.properties.count / max)]; });
      const px = Math.max(12, Math.min(40, (size * 256 * 2 ** map.getZoom()) / 40075));
      group.addLayer(L.heatLayer(pts, { radius: px * 0.7, blur: px * 0.7, max: 1, maxZoom: 4, minOpacity: 0.3 }));
      return;
    }
    for (const f of cells) {
      const c = centre(f.geometry);
      const n = f.properties.count;
      const killed = w && w.magnitude ? f.properties.magnitude_sum : null;
      const d = Math.round(26 + 40 * Math.sqrt(n / max));
      const label = `${fmtInt(n)} event${n === 1 ? '' : 's'}${killed === null ? '' : `, ${fmtInt(killed || 0)} killed`}`;
      const html = el('div', { class: 'cluster-ring', style: `background:${color()}` },
        el('span', { class: 'cluster-killed' }, fmtInt(killed === null ? n : killed || 0)));
      const m = L.marker(c, {
        pane: PANE.clusters,
        icon: L.divIcon({ html, className: `event-cluster api-cluster cluster-${shape || 'circle'}`, iconSize: [d, d] }),
        title: label,
        keyboard: true,
      });
      m.count = n;
      m.on('add', () => {
        const node = m.getElement();
        if (!node) return;
        node.dataset.layer = id;
        node.dataset.count = String(n);
        node.setAttribute('role', 'button');
        node.setAttribute('aria-label', `Cluster of ${label}; press Enter to zoom in`);
      });
      m.on('click keypress', (ev) => {
        if (ev.type === 'keypress' && ev.originalEvent.key !== 'Enter') return;
        map.fitBounds(L.geoJSON(f.geometry).getBounds(), { maxZoom: Math.max(map.getZoom() + 1, Math.min(CLUSTER_TOP, map.getZoom() + 3)) });
      });
      group.addLayer(m);
    }
  }
  function refresh() {
    const on = !!layer._map && mode !== 'circles' && !(mode === 'clusters' && map.getZoom() >= CLUSTER_TOP);
    info.mode = mode;
    if (!on) {
      gen++;
      group.clearLayers();
      info.cells = 0;
      info.url = null;
      info.pending = false;
      return;
    }
    if (!map.hasLayer(group)) group.addTo(map);
    const z = Math.round(map.getZoom());
    const size = hexKm(z, mode === 'heat' ? 28 : 90);
    const b = map.getBounds().pad(0.2);
    const bbox = [Math.max(-180, b.getWest()), Math.max(-85, b.getSouth()), Math.min(180, b.getEast()), Math.min(85, b.getNorth())]
      .map((v) => v.toFixed(4)).join(',');
    const u = new URL(`collections/${encodeURIComponent(id)}/aggregate`, API);
    for (const [k, v] of query) u.searchParams.set(k, v);
    u.searchParams.set('by', 'hex');
    u.searchParams.set('size', String(size));
    u.searchParams.set('bbox', bbox);
    const mine = ++gen;
    info.pending = true;
    info.url = u.href;
    fetchJSON(u).then((fc) => {
      if (mine !== gen) return;
      draw(fc, size);
      info.pending = false;
    }).catch((err) => {
      if (mine !== gen) return;
      info.pending = false;
      console.warn(`${id}: aggregate:`, err);
    });
  }
  map.on('moveend', refresh);
  layer.on('add', refresh);
  layer.on('remove', () => { gen++; map.removeLayer(group); info.pending = false; });
  return {
    setMode(m) { mode = m; refresh(); },
    setQuery(params) {
      const next = new URLSearchParams(params);
      if (next.toString() === query.toString()) return;
      query = next;
      refresh();
    },
    info: () => ({ ...info }),
  };
}

// A large layer drawn from /tiles/{id}/{z}/{x}/{y}.mvt on canvas. An
// event layer is styled as its GeoJSON twin would be, and setFilter hides
// the tile features the page's filters drop (the counts and the table of
// a large layer come from the API with the same filters). w: an event
// layer's words (profiles.js vocabulary).
function buildVectorTiles(map, id, title, cfg, eventLike, hooks, w, shape) {
  const s = S.generic;
  let keep = null;
  let colorMode = 'attribution';
  // VectorGrid 1.3 passes (properties, zoom) only, not the geometry
  // type: an event layer is points; any other gets one style that
  // serves points, lines and polygons.
  let mode = 'circles';
  const style = (p, zoom) => {
    if (eventLike) {
      // Under a heat map, and under clusters below CLUSTER_TOP, the API's
      // counts stand for the points.
      if (mode === 'heat' || (mode === 'clusters' && zoom < CLUSTER_TOP)) return [];
      if (keep && !keep(p)) return [];
      return {
        radius: markerRadius(prop(p, w.magnitude)), fill: true, fillColor: eventColor(p, colorMode, w),
        fillOpacity: S.marker.fillOpacity, color: '#fff', weight: 0.8, stroke: true, shape,
      };
    }
    return { radius: 4, color: s.color, weight: s.weight, fill: true, fillColor: s.color, fillOpacity: s.fillOpacity };
  };
  const layer = L.vectorGrid.protobuf(`tiles/${encodeURIComponent(id)}/{z}/{x}/{y}.mvt`, {
    pane: eventLike ? PANE.events : PANE.generic,
    rendererFactory: shapeTile,
    // Clicks are found by watchVectorClicks, not by VectorGrid.
    interactive: false,
    maxNativeZoom: cfg.tileMaxZoom || 14,
    maxZoom: map.getMaxZoom(),
    className: `vector-tiles vector-${id}`,
    vectorTileLayerStyles: { [id]: style },
    getFeatureId: (f) => (f.properties && f.properties.id) || f.id,
  });
  // A clicked feature's popup, the one its GeoJSON twin would open, from
  // the API's feature (the tile's when the API fails); current() says
  // whether it is still wanted.
  layer.openHit = (hit, current) => {
    const show = (f, ll) => {
      if (!current() || !map.hasLayer(layer)) return;
      const content = eventLike ? attackPopup(f, ll, 1, w) : genericPopup(f, title);
      const popup = L.popup(popupOptions(map)).setLatLng(ll).setContent(content);
      const fid = featureId(f);
      if (eventLike && fid) popup.eventId = fid;
      popup.openOn(map);
    };
    fetchJSON(new URL(`collections/${encodeURIComponent(id)}/items/${encodeURIComponent(hit.id)}`, API))
      .then((f) => {
        const g = f.geometry;
        show(f, g && g.type === 'Point' ? L.latLng(g.coordinates[1], g.coordinates[0]) : hit.latlng);
      })
      .catch((err) => {
        console.warn(`${title}: feature ${hit.id}:`, err);
        show({ id: hit.properties.id !== undefined ? hit.properties.id : hit.id, properties: hit.properties }, hit.latlng);
      });
  };
  watchVectorClicks(map, layer);
  layer.tilesLoaded = 0;
  layer.on('tileload', () => { layer.tilesLoaded++; });
  layer.vector = true;
  // GridLayer.redraw asks for tiles at the map's zoom unrounded (5.25
  // with zoomSnap 0.25), which the server refuses; set the view again
  // instead, which rounds it.
  function redrawTiles() {
    const m = layer._map;
    if (!m) return;
    layer._removeAllTiles();
    layer._tileZoom = undefined;
    layer._setView(m.getCenter(), m.getZoom());
  }
  if (eventLike) {
    layer.eventLayer = true;
    layer.title = title;
    layer.setFilter = (pred) => { keep = pred; redrawTiles(); };
    layer.setColor = (c) => { colorMode = c; redrawTiles(); };
    layer.shape = shape || 'circle';
    const agg = apiAggregates(map, layer, id, w, shape);
    layer.setQuery = (params) => agg.setQuery(params);
    layer.setMode = (m) => {
      if (!KS.MODES.includes(m) || m === mode) return;
      map.closePopup();
      mode = m;
      redrawTiles();
      agg.setMode(m);
    };
    layer.mode = () => mode;
    layer.aggregates = agg.info;
    // open a feature known from the API (a table row).
    layer.open = (fid, opts, feature) => {
      if (!feature || !feature.geometry || feature.geometry.type !== 'Point') return false;
      const [lon, lat] = feature.geometry.coordinates;
      const ll = L.latLng(lat, lon);
      if (!(opts && opts.noMove)) map.setView(ll, Math.max(map.getZoom(), 7), { animate: !(opts && opts.instant) });
      const popup = L.popup(popupOptions(map)).setLatLng(ll).setContent(attackPopup(feature, ll, 1, w));
      popup.eventId = fid;
      popup.openOn(map);
      if (hooks && hooks.onOpen) hooks.onOpen(fid);
      return true;
    };
  }
  return layer;
}

// The first view: the areas layer's bounds (the Khorasan outline), grown
// to take in the events near it (those within one region-size of it). Far
// events (e.g. Moscow, Istanbul) stay reachable with the "All attacks"
// button. Without areas or events, the reference layer's bounds.
function regionView(areas, events, reference) {
  let b = areas && areas.getBounds && areas.getBounds().isValid() ? L.latLngBounds(areas.getBounds().getSouthWest(), areas.getBounds().getNorthEast()) : null;
  if (events && events.items) {
    const near = b ? b.pad(1) : null;
    for (const m of events.items) {
      if (!near || near.contains(m.realLatLng)) b = b ? b.extend(m.realLatLng) : L.latLngBounds(m.realLatLng, m.realLatLng);
    }
  }
  if (!b && reference && reference.getBounds && reference.getBounds().isValid()) b = reference.getBounds();
  return b;
}

// ---- loading everything

// load fetches the style, the settings, every collection and its
// profile, and draws them on map, each by its kind (profiles.js). It
// returns what the pages need: the layers by id, their titles, sizes,
// kinds and profiles, the event layer, its id and words, and the load
// failures. opts.dataId picks the event layer (default the first events
// layer, else the first generic layer with a date property);
// opts.onOpen(id) is called when an event's popup opens; opts.lang is the
// offline basemap's label language (ctx.setLang changes it).
async function load(map, opts) {
  const o = opts || {};
  const [{ problem: styleProblem }, cfg, { collections }] = await Promise.all([
    loadStyle(), loadConfig(), fetchJSON(new URL('collections', API)),
  ]);
  if (!Array.isArray(collections)) throw new Error('/api/collections: no "collections" list');
  const container = map.getContainer();
  container.style.background = S.sea;
  const ids = collections.map((c) => c.id);
  const byId = Object.fromEntries(collections.map((c) => [c.id, c]));
  // Layers over the threshold come as vector tiles, the others as GeoJSON.
  const sizesPromise = Promise.all(ids.map((id) => layerCount(id).catch(() => null)));
  const profileList = await Promise.all(ids.map(fetchProfile));
  const profiles = Object.fromEntries(ids.map((id, i) => [id, profileList[i]]));
  const kinds = Object.fromEntries(ids.map((id) => [id, KP.kindOf(profiles[id])]));
  const order = KP.drawOrder(ids, kinds);
  const pageHasCities = KP.ofKind(ids, kinds, 'places').length > 0;
  const basemap = addBasemap(map, cfg, pageHasCities, o.lang);
  // setLang redraws the offline basemap's labels in another language.
  const setLang = (lang) => { if (cfg.basemap.offline) basemap.setUrl(basemapURL(cfg.basemap, pageHasCities, lang)); };
  const sizes = await sizesPromise;
  const sizeOf = Object.fromEntries(ids.map((id, i) => [id, sizes[i]]));
  const vectorIds = new Set(order.filter((id) => sizeOf[id] !== null && sizeOf[id] > cfg.vectorThreshold));
  const dataId = KP.dataLayer(order, kinds, o.dataId);
  let queryables = null;
  const wantQ = KP.queryablesLayer(order, kinds, dataId);
  // The event layer's properties: its queryables (every layer has them);
  // and every other events layer's, which its own filters are built from.
  const qIds = [...new Set([wantQ, ...KP.ofKind(order, kinds, 'events')])].filter(Boolean);
  const qAll = Promise.all(qIds.map((id) => fetchJSON(new URL(`collections/${encodeURIComponent(id)}/queryables`, API)).catch(() => null)));
  const qPromise = qAll.then((list) => (wantQ ? list[qIds.indexOf(wantQ)] : null));
  // A layer that fails to load is reported; the others are still drawn.
  const settled = await Promise.allSettled(order.map((id) => (vectorIds.has(id)
    ? Promise.resolve({ type: 'FeatureCollection', features: [], numberMatched: sizeOf[id], vector: true })
    : fetchAllItems(id))));
  queryables = await qPromise;
  const data = [];
  const failures = [];
  settled.forEach((r, i) => {
    if (r.status === 'fulfilled') data.push([order[i], r.value]);
    else failures.push(`${(byId[order[i]] || {}).title || order[i]}: ${r.reason && r.reason.message || r.reason}`);
  });
  let eventId = dataId;
  if (!eventId && wantQ && KP.hasDates(queryables)) eventId = wantQ;

  // The event layer's properties and words: its profile's, with the date
  // property it has.
  const eventProps = new Set(Object.keys((queryables && queryables.properties) || {}));
  const eventData = data.find(([id]) => id === eventId);
  if (eventData && !eventData[1].vector && eventProps.size === 0) {
    for (const f of eventData[1].features) for (const k of Object.keys(f.properties || {})) eventProps.add(k);
  }
  const words = KP.eventWords(KP.eventProfile(profiles, order, kinds, eventId));
  words.time = KP.dateProperty(words, eventProps, queryables);
  const wordsOf = (id) => (id === eventId ? words : KP.eventWords(KP.eventProfile(profiles, order, kinds, id)));
  // Each events layer's properties (a Set), from its queryables.
  const qList = await qAll;
  const propsOf = (id) => {
    if (id === eventId) return eventProps;
    const q = qList[qIds.indexOf(id)];
    return new Set(Object.keys((q && q.properties) || {}));
  };
  const shapeFor = (id) => KP.shapeOf(order, kinds, eventId, id);

  const layers = {};
  const titles = {};
  const counts = {};
  for (const [id, fc] of data) {
    const meta = byId[id] || {};
    const title = meta.title || id;
    titles[id] = title;
    counts[id] = fc.vector ? fc.numberMatched : fc.features.length;
    const isEvent = id === eventId;
    const drawn = KP.drawnAs(kinds[id], isEvent);
    let layer;
    if (fc.vector) layer = buildVectorTiles(map, id, title, cfg, isEvent || kinds[id] === 'events', o, wordsOf(id), shapeFor(id));
    else if (drawn === 'reference') layer = buildBorders(map, fc, true);
    else if (drawn === 'areas') layer = buildKhorasan(map, fc);
    else if (drawn === 'events') layer = buildEvents(map, fc, id, title, o, wordsOf(id), shapeFor(id));
    else if (drawn === 'places') layer = buildCities(map, fc);
    else layer = buildGeneric(map, fc, title);
    layers[id] = layer;
  }
  // Credits a collection carries (e.g. GeoNames for cities), beside the
  // fixed line that already covers the borders and the events.
  for (const [id] of data) {
    const a = (byId[id] || {}).attribution;
    if (typeof a === 'string' && a.trim() && !KP.creditedByMap(kinds[id])) {
      map.attributionControl.addAttribution(escapeHTML(a.trim()));
    }
  }
  const events = eventId && layers[eventId] && layers[eventId].eventLayer ? layers[eventId] : null;
  // The drawn layers of a kind, in order.
  const ofKind = (kind) => KP.ofKind(order, kinds, kind).filter((id) => layers[id]);
  const first = (kind) => layers[ofKind(kind)[0]] || null;
  const region = regionView(first('areas'), events && !events.vector ? events : null, first('reference'));
  return {
    map, cfg, basemap, setLang, layers, titles, counts, order, ids, vectorIds, failures, styleProblem,
    events, eventId: events ? eventId : null, eventProps, dateProp: words.time, words, region, collections: byId,
    kinds, profiles, ofKind, wordsOf, propsOf, shapeFor,
  };
}

// The layer control, top of the map first.
function layerControl(map, ctx, opts) {
  const { layers, titles, counts, kinds } = ctx;
  const controlOrder = KP.controlOrder(Object.keys(layers), kinds, ctx.eventId);
  const control = L.control.layers(null, null, { collapsed: !!(opts && opts.collapsed), position: 'topright' });
  for (const id of controlOrder) {
    const count = KP.counted(kinds[id]) ? ` <span class="count">(${Number(counts[id]).toLocaleString('en-GB')})</span>` : '';
    control.addOverlay(layers[id], escapeHTML(titles[id]) + count);
  }
  control.addTo(map);
  const container = control.getContainer();
  container.setAttribute('role', 'group');
  container.setAttribute('aria-label', 'Map layers');
  container.querySelector('.leaflet-control-layers-list').prepend(el('div', { class: 'control-heading' }, 'Layers'));
  const toggle = container.querySelector('.leaflet-control-layers-toggle');
  if (toggle) toggle.setAttribute('aria-label', 'Map layers');
  return control;
}

// City labels (places layers) favour places with many events.
function rankCities(ctx) {
  let byCity = null;
  if (ctx.events && ctx.events.items) {
    byCity = {};
    for (const m of ctx.events.items) {
      const c = String((m.feature.properties || {}).city || '').trim().toLowerCase();
      if (c) byCity[c] = (byCity[c] || 0) + 1;
    }
  }
  for (const id of ctx.ofKind('places')) {
    const places = ctx.layers[id];
    if (!places.rank) continue;
    if (byCity) places.rank(byCity);
    places.declutter();
  }
}

export {
  featureId, createMap, addScale, load, layerControl, rankCities, popupOptions, attackPopup,
};
