// The Khorasan map page. Plain browser JavaScript, no build step.
//
// Loads every collection from the server's OGC API - Features endpoint
// (following "next" links), draws them with Leaflet and exposes a small
// hook for tests: document.body.dataset.ready = "true" and window.khorasan.
// Everything comes from this server: no tiles, fonts or images from outside.
// The basemap is the server's own (tiles/basemap, drawn from Natural Earth)
// unless the server was started with --tile-url; layers with more features
// than the server's vectorThreshold (config.json) are drawn from its vector
// tiles with Leaflet.VectorGrid instead of GeoJSON.
//
// Data text is never put into HTML: popups, labels and the legend are built
// with DOM nodes and textContent. The one place Leaflet takes an HTML string
// (the layer control's names) gets escapeHTML().
(function () {
  'use strict';

  // ---- style: one place for every colour and size (the legend reads it too)

  const STYLE = {
    land: { fillColor: '#f3f0e8', fillOpacity: 1, color: '#a39d92', weight: 0.7, opacity: 1 },
    khorasan: {
      main: { color: '#7b4b22', weight: 2.4, opacity: 0.95, dashArray: null },
      broad: { color: '#7b4b22', weight: 1.6, opacity: 0.85, dashArray: '7 5' },
      fill: { fillColor: '#c98e55', fillOpacity: 0.10 },
    },
    attribution: {
      claimed: { color: '#c0392b', label: 'Claimed by ISIS-K / IS' },
      attributed: { color: '#e6891c', label: 'Attributed (no claim)' },
      disputed: { color: '#7b5ea7', label: 'Disputed' },
    },
    attributionUnknown: { color: '#7f7f7f', label: 'Other / unknown' },
    marker: {
      // Marker AREA is proportional to the number killed: radius = k * sqrt(killed),
      // never below minRadius so that an attack with no deaths stays visible.
      k: 1.6,
      minRadius: 4,
      referenceKilled: [10, 50, 150],
      stroke: '#ffffff',
      weight: 1,
      fillOpacity: 0.72,
    },
    // Co-located attacks are spread on a ring around their true point (pixels).
    spread: { minRing: 12, spacing: 10 },
    generic: { color: '#3b6e8f', weight: 1.5, fillOpacity: 0.15 },
  };

  const PRECISION = {
    site: 'the site itself',
    neighbourhood: 'the neighbourhood',
    city: 'city centre',
    district: 'a nearby town stands in for the site',
  };

  // z-order, bottom to top: borders < khorasan < other layers < attacks < labels.
  const PANES = { borders: 350, khorasan: 410, extra: 420, attacks: 430, labels: 450 };

  const KNOWN = ['borders', 'khorasan', 'attacks', 'cities'];

  // ---- small helpers

  function escapeHTML(s) {
    return String(s).replace(/[&<>"']/g, (c) => ({
      '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
    })[c]);
  }

  // el('p', {class: 'x'}, 'text', child, ...) builds DOM nodes; strings become
  // text nodes, so nothing passed in is ever parsed as HTML.
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') node.className = v;
      else node.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  const SVGNS = 'http://www.w3.org/2000/svg';
  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVGNS, tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v !== null && v !== undefined) node.setAttribute(k, String(v));
    }
    for (const c of children) node.append(c);
    return node;
  }

  function isBlank(v) {
    return v === null || v === undefined || (typeof v === 'string' && v.trim() === '');
  }

  function num(v) {
    if (isBlank(v)) return null;
    const n = Number(v);
    return Number.isFinite(n) ? n : null;
  }

  function fmtInt(n) {
    return n === null ? '' : n.toLocaleString('en-GB');
  }

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

  function shortPath(u) {
    const p = decodeURIComponentSafe(u.pathname).replace(/\/$/, '');
    if (!p) return '';
    return p.length > 26 ? p.slice(0, 24) + '…' : p;
  }

  function decodeURIComponentSafe(s) {
    try { return decodeURIComponent(s); } catch (_) { return s; }
  }

  function attributionStyle(a) {
    return STYLE.attribution[String(a || '').toLowerCase()] || STYLE.attributionUnknown;
  }

  function markerRadius(killed) {
    const k = Math.max(0, num(killed) || 0);
    return Math.max(STYLE.marker.minRadius, STYLE.marker.k * Math.sqrt(k));
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

  // ---- fetching

  const API = new URL('api/', document.baseURI);

  async function fetchJSON(url) {
    const res = await fetch(url, {
      headers: { Accept: 'application/geo+json, application/json;q=0.9' },
      credentials: 'same-origin',
    });
    if (!res.ok) {
      let detail = '';
      try {
        const body = await res.json();
        detail = body.detail || body.title || '';
      } catch (_) { /* not JSON */ }
      throw new Error(`${url.pathname}: HTTP ${res.status}${detail ? ' – ' + detail : ''}`);
    }
    return res.json();
  }

  // All features of one collection, following rel="next" links. Links must
  // stay on this server (the page never loads anything from elsewhere).
  async function fetchAllItems(id) {
    let url = new URL(`collections/${encodeURIComponent(id)}/items?limit=10000`, API);
    const features = [];
    const seen = new Set();
    let numberMatched = null;
    while (url) {
      if (seen.has(url.href)) throw new Error(`${id}: "next" link loops back to ${url.pathname}${url.search}`);
      if (seen.size > 1000) throw new Error(`${id}: more than 1000 pages`);
      seen.add(url.href);
      const page = await fetchJSON(url);
      if (!page || !Array.isArray(page.features)) throw new Error(`${id}: the answer is not a FeatureCollection`);
      features.push(...page.features);
      if (typeof page.numberMatched === 'number') numberMatched = page.numberMatched;
      const next = (page.links || []).find((l) => l && l.rel === 'next' && l.href);
      const current = url;
      url = null;
      if (next && page.features.length > 0) {
        const u = new URL(next.href, current);
        if (u.origin !== location.origin) throw new Error(`${id}: "next" link leaves this server (${u.origin})`);
        url = u;
      }
    }
    return { type: 'FeatureCollection', features, numberMatched };
  }

  // ---- map

  const status = document.getElementById('status');
  function setStatus(text, isError) {
    status.textContent = text;
    status.hidden = !text;
    status.classList.toggle('error', !!isError);
    status.setAttribute('role', isError ? 'alert' : 'status');
  }

  const map = L.map('map', {
    zoomSnap: 0.25,
    zoomDelta: 0.5,
    minZoom: 2,
    maxZoom: 14,
    worldCopyJump: false,
    keyboard: true,
  });
  map.attributionControl.addAttribution('Borders: Natural Earth (public domain); attacks: sources listed per event');
  L.control.scale({ imperial: false, maxWidth: 140 }).addTo(map);
  for (const [name, z] of Object.entries(PANES)) {
    const pane = map.createPane(name);
    pane.style.zIndex = String(z);
  }
  // A neutral first view until the data says where to look.
  map.setView([35.5, 63], 5);

  // ---- layer builders

  // Over a basemap the borders are outlines only: the basemap paints land.
  function buildBorders(fc, overBasemap) {
    return L.geoJSON(fc, {
      pane: 'borders',
      interactive: false,
      style: () => ({ ...STYLE.land, ...(overBasemap ? { fillOpacity: 0 } : {}), className: 'border-shape' }),
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

  function buildKhorasan(fc) {
    const group = L.featureGroup();
    // Broad first so the main outline is drawn on top of it.
    const features = [...fc.features].sort((a, b) => (featureId(a) === 'broad' ? -1 : 0) - (featureId(b) === 'broad' ? -1 : 0));
    for (const f of features) {
      const variant = featureId(f) === 'broad' ? 'broad' : 'main';
      const line = STYLE.khorasan[variant];
      // The fill is decoration and never catches clicks; only the outline does.
      if (variant === 'main') {
        group.addLayer(L.geoJSON(f, {
          pane: 'khorasan', interactive: false,
          style: () => ({ stroke: false, ...STYLE.khorasan.fill, className: 'khorasan-fill' }),
        }));
      }
      const outline = L.geoJSON(f, {
        pane: 'khorasan',
        style: () => ({ ...line, fill: false, className: `khorasan-outline khorasan-${variant}` }),
      });
      outline.bindPopup(() => khorasanPopup(f), popupOptions());
      outline.bindTooltip(
        `${escapeHTML((f.properties || {}).name || `Greater Khorasan (${variant === 'broad' ? 'broad variant' : 'main outline'})`)}<br>approximate; not ISIS-K\u2019s territory`,
        { sticky: true, className: 'khorasan-tooltip' });
      group.addLayer(outline);
    }
    return group;
  }

  // Popups narrow enough for a phone, roomy on a desktop.
  function popupOptions() {
    const { x: w, y: h } = map.getSize();
    return {
      maxHeight: Math.max(200, h - 90),
      maxWidth: Math.min(380, w - 70),
      minWidth: Math.min(300, w - 70),
      autoPanPaddingTopLeft: [w > 600 ? 60 : 10, 20],
      autoPanPaddingBottomRight: [10, 20],
    };
  }

  function attackPopup(f, latlng, groupSize) {
    const p = f.properties || {};
    const killed = num(p.killed);
    const low = num(p.killed_low);
    const high = num(p.killed_high);
    const wounded = num(p.wounded);
    const killedText = killed === null ? 'not reported'
      : fmtInt(killed) + ((low !== null && high !== null && low !== high) ? ` (sources: ${fmtInt(low)}\u2013${fmtInt(high)})` : '');
    const date = p.end_date && p.end_date !== p.date ? `${p.date} to ${p.end_date}` : p.date;
    const place = [p.city, p.admin1, p.country].filter((x) => !isBlank(x)).join(', ');
    const att = attributionStyle(p.attribution);
    const precision = isBlank(p.precision) ? null
      : `${p.precision}${PRECISION[p.precision] ? ' (' + PRECISION[p.precision] + ')' : ''}`;
    const where = `${latlng.lat.toFixed(5)}, ${latlng.lng.toFixed(5)}`;
    const shared = groupSize > 1
      ? el('span', { class: 'shared-note' }, `${groupSize - 1} other event${groupSize > 2 ? 's' : ''} at this point; markers are drawn slightly apart.`)
      : null;
    return el('div', { class: 'popup attack-popup' },
      el('h3', null, p.name || featureId(f)),
      el('dl', null,
        row('Date', date),
        row('Place', place),
        row('Killed', killedText),
        row('Wounded', wounded === null ? 'not reported' : fmtInt(wounded)),
        row('Target', p.target),
        row('Attack type', p.attack_type),
        row('Attribution', el('span', { class: 'swatch', style: `background:${att.color}` }), p.attribution),
        row('Precision', precision),
        row('Coordinates', where, shared),
        row('Sources', sourceLinks(p.source_url))),
      isBlank(p.notes) ? null : el('details', { class: 'notes' }, el('summary', null, 'Notes'), el('p', null, p.notes)),
      el('p', { class: 'fid' }, 'id: ', featureId(f)));
  }

  // Spread attacks that sit on the very same point on a small ring, in screen
  // pixels so the ring keeps its size at every zoom. The popup keeps the real
  // coordinate; a thin leg links each moved marker to it.
  function spreadOffsets(n) {
    if (n <= 1) return [L.point(0, 0)];
    const r = Math.max(STYLE.spread.minRing, (n * STYLE.spread.spacing) / (2 * Math.PI));
    const out = [];
    for (let i = 0; i < n; i++) {
      const a = -Math.PI / 2 + (2 * Math.PI * i) / n;
      out.push(L.point(r * Math.cos(a), r * Math.sin(a)));
    }
    return out;
  }

  function buildAttacks(fc) {
    const group = L.featureGroup();
    const legs = L.featureGroup();
    group.addLayer(legs);
    const byId = {};
    const counts = {};
    const spreadSets = [];
    const points = fc.features.filter((f) => f.geometry && f.geometry.type === 'Point');
    // Group by identical coordinates.
    const byPoint = new Map();
    for (const f of points) {
      const [lon, lat] = f.geometry.coordinates;
      const key = `${Number(lat).toFixed(6)},${Number(lon).toFixed(6)}`;
      if (!byPoint.has(key)) byPoint.set(key, []);
      byPoint.get(key).push(f);
    }
    const entries = [];
    for (const list of byPoint.values()) {
      list.sort((a, b) => String((a.properties || {}).date).localeCompare(String((b.properties || {}).date)));
      const offsets = spreadOffsets(list.length);
      const set = [];
      list.forEach((f, i) => entries.push({ f, offset: offsets[i], groupSize: list.length, set }));
      if (list.length > 1) spreadSets.push(set);
    }
    // Big circles first, so smaller ones lie on top and stay clickable.
    entries.sort((a, b) => markerRadius((b.f.properties || {}).killed) - markerRadius((a.f.properties || {}).killed));
    for (const e of entries) {
      const p = e.f.properties || {};
      const [lon, lat] = e.f.geometry.coordinates;
      const real = L.latLng(lat, lon);
      const att = attributionStyle(p.attribution);
      const key = STYLE.attribution[String(p.attribution || '').toLowerCase()] ? String(p.attribution).toLowerCase() : 'other';
      counts[key] = (counts[key] || 0) + 1;
      const id = featureId(e.f);
      const m = L.circleMarker(real, {
        pane: 'attacks',
        radius: markerRadius(p.killed),
        color: STYLE.marker.stroke,
        weight: STYLE.marker.weight,
        fillColor: att.color,
        fillOpacity: STYLE.marker.fillOpacity,
        className: 'attack-marker',
        bubblingMouseEvents: false,
      });
      m.feature = e.f;
      m.realLatLng = real;
      m.offset = e.offset;
      m.bindPopup(() => attackPopup(e.f, real, e.groupSize), popupOptions());
      const killed = num(p.killed);
      m.bindTooltip(`${escapeHTML(p.date || '')} \u2013 ${escapeHTML(p.name || id)}${killed === null ? '' : ' (' + escapeHTML(fmtInt(killed)) + ' killed)'}`,
        { direction: 'top', offset: [0, -4], className: 'attack-tooltip' });
      m.on('add', () => {
        const path = m.getElement();
        if (!path) return;
        path.dataset.id = id;
        path.setAttribute('tabindex', '0');
        path.setAttribute('role', 'button');
        path.setAttribute('aria-label', `${p.date || ''} ${p.name || id}${killed === null ? '' : ', ' + killed + ' killed'}`);
        path.addEventListener('keydown', (ev) => {
          if (ev.key === 'Enter' || ev.key === ' ') {
            ev.preventDefault();
            m.openPopup();
          }
        });
      });
      if (e.groupSize > 1) {
        const leg = L.polyline([real, real], {
          pane: 'attacks', interactive: false, color: '#555', weight: 0.8, opacity: 0.7, className: 'spread-leg',
        });
        legs.addLayer(leg);
        m.leg = leg;
        e.set.push(m);
      }
      group.addLayer(m);
      if (id) byId[id] = m;
    }

    function placeSpread() {
      const z = map.getZoom();
      for (const set of spreadSets) {
        for (const m of set) {
          const px = map.project(m.realLatLng, z).add(m.offset);
          const ll = map.unproject(px, z);
          m.setLatLng(ll);
          m.leg.setLatLngs([m.realLatLng, ll]);
        }
      }
    }
    map.on('zoomend viewreset', placeSpread);
    group.on('add', placeSpread);
    placeSpread();
    group.byId = byId;
    group.counts = counts;
    group.markerCount = entries.length;
    return group;
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
  function buildCities(fc) {
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
      const m = L.marker([lat, lon], { icon, pane: 'labels', interactive: false, keyboard: false });
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
      el('dl', null, rows));
  }

  function buildGeneric(fc, title) {
    const s = STYLE.generic;
    const layer = L.geoJSON(fc, {
      pane: 'extra',
      style: () => ({ color: s.color, weight: s.weight, fillOpacity: s.fillOpacity, className: 'generic-shape' }),
      pointToLayer: (f, ll) => L.circleMarker(ll, {
        pane: 'extra', radius: 5, color: '#fff', weight: 1, fillColor: s.color, fillOpacity: 0.8, className: 'generic-marker',
      }),
      onEachFeature: (f, l) => l.bindPopup(() => genericPopup(f, title), popupOptions()),
    });
    return layer;
  }

  // ---- basemap and vector tiles

  const CONFIG_DEFAULT = {
    basemap: { url: 'tiles/basemap/{z}/{x}/{y}{r}.png', offline: true, maxNativeZoom: 10, attribution: '' },
    vectorThreshold: 5000,
    tileMaxZoom: 14,
  };

  // The server's tile settings; the offline defaults when it has none.
  async function loadConfig() {
    try {
      const cfg = await fetchJSON(new URL('config.json', document.baseURI));
      return { ...CONFIG_DEFAULT, ...cfg, basemap: { ...CONFIG_DEFAULT.basemap, ...(cfg.basemap || {}) } };
    } catch (err) {
      console.warn('config.json:', err);
      return CONFIG_DEFAULT;
    }
  }

  // The offline basemap (@2x on high-density screens through {r}), or the
  // online one the server was told of. The page draws its own city labels,
  // so the offline basemap leaves them out.
  function addBasemap(cfg, pageHasCities) {
    const b = cfg.basemap;
    let url = b.url;
    if (b.offline && pageHasCities) url += (url.includes('?') ? '&' : '?') + 'cities=off';
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

  // How many features a layer has, from a one-feature page.
  async function layerCount(id) {
    const page = await fetchJSON(new URL(`collections/${encodeURIComponent(id)}/items?limit=1`, API));
    return typeof page.numberMatched === 'number' ? page.numberMatched : null;
  }

  // Leaflet 1.8 dropped L.DomEvent.fakeStop, which VectorGrid 1.3 calls on
  // clicks; this is what it did.
  if (L.DomEvent && !L.DomEvent.fakeStop) L.DomEvent.fakeStop = (e) => { e._stopped = true; };

  // A large layer drawn from /tiles/{id}/{z}/{x}/{y}.mvt on canvas, styled
  // as its GeoJSON twin would be (attacks by attribution and toll).
  function buildVectorTiles(id, title, cfg) {
    const attackLike = id === 'attacks';
    const s = STYLE.generic;
    const style = (p, zoom, dim) => {
      if (dim === 1) {
        const color = attackLike ? attributionStyle(p.attribution).color : s.color;
        return {
          radius: attackLike ? markerRadius(p.killed) : 4, fill: true, fillColor: color,
          fillOpacity: attackLike ? STYLE.marker.fillOpacity : 0.8, color: '#fff', weight: 0.8, stroke: true,
        };
      }
      return { color: s.color, weight: s.weight, fill: dim === 3, fillColor: s.color, fillOpacity: s.fillOpacity };
    };
    const layer = L.vectorGrid.protobuf(`tiles/${encodeURIComponent(id)}/{z}/{x}/{y}.mvt`, {
      pane: attackLike ? 'attacks' : 'extra',
      rendererFactory: L.canvas.tile,
      interactive: true,
      maxNativeZoom: cfg.tileMaxZoom || 14,
      maxZoom: map.getMaxZoom(),
      className: `vector-tiles vector-${id}`,
      vectorTileLayerStyles: { [id]: style },
      getFeatureId: (f) => (f.properties && f.properties.id) || f.id,
    });
    layer.on('click', (e) => {
      const props = (e.layer && e.layer.properties) || {};
      const f = { id: props.id, properties: props };
      const content = attackLike ? attackPopup(f, e.latlng, 1) : genericPopup(f, title);
      L.popup(popupOptions()).setLatLng(e.latlng).setContent(content).openOn(map);
    });
    layer.tilesLoaded = 0;
    layer.on('tileload', () => { layer.tilesLoaded++; });
    layer.vector = true;
    return layer;
  }

  // ---- legend and controls

  // Reference circles side by side, bottom-aligned, each labelled below.
  function legendCircles() {
    const refs = STYLE.marker.referenceKilled;
    const radii = refs.map(markerRadius);
    const gap = 10;
    const h = radii[radii.length - 1] * 2 + 18;
    const base = h - 15;
    let x = 2;
    const parts = [];
    refs.forEach((k, i) => {
      const r = radii[i];
      const cx = x + r;
      parts.push(svg('circle', { cx, cy: base - r, r, fill: STYLE.attribution.claimed.color, 'fill-opacity': 0.25, stroke: '#555', 'stroke-width': 1 }));
      const t = svg('text', { x: cx, y: h - 2, 'font-size': 11, fill: '#333', 'text-anchor': 'middle' });
      t.textContent = String(k);
      parts.push(t);
      x += 2 * r + gap;
    });
    const w = x;
    return svg('svg', { width: w, height: h, viewBox: `0 0 ${w} ${h}`, role: 'img', 'aria-label': `Marker area for ${refs.join(', ')} killed` }, ...parts);
  }

  function swatchLine(style) {
    const root = svg('svg', { width: 30, height: 12, 'aria-hidden': 'true' });
    root.append(svg('line', {
      x1: 1, y1: 6, x2: 29, y2: 6, stroke: style.color, 'stroke-width': style.weight,
      'stroke-dasharray': style.dashArray || null,
    }));
    return root;
  }

  function dot(color, r) {
    const d = (r + 1) * 2;
    const root = svg('svg', { width: d, height: d, 'aria-hidden': 'true', class: 'legend-dot' });
    root.append(svg('circle', { cx: d / 2, cy: d / 2, r, fill: color, 'fill-opacity': STYLE.marker.fillOpacity, stroke: '#fff', 'stroke-width': 1 }));
    return root;
  }

  function buildLegend(attacks, haveKhorasan, haveCities) {
    const items = [];
    if (attacks) {
      const counts = attacks.counts;
      const rows = Object.entries(STYLE.attribution).map(([key, s]) =>
        el('li', null, dot(s.color, 6), ` ${s.label}`, el('span', { class: 'count' }, ` (${counts[key] || 0})`)));
      if (counts.other) rows.push(el('li', null, dot(STYLE.attributionUnknown.color, 6), ` ${STYLE.attributionUnknown.label}`, el('span', { class: 'count' }, ` (${counts.other})`)));
      items.push(el('section', null,
        el('h3', null, 'Attacks, by attribution'),
        el('ul', { class: 'legend-list' }, rows),
        el('h3', null, 'Marker area: people killed'),
        el('div', { class: 'legend-sizes' }, legendCircles()),
        el('p', { class: 'legend-note' }, 'Smallest dot: no one killed or unknown. Events at the same point are spread on a small ring.')));
    }
    if (haveKhorasan) {
      items.push(el('section', null,
        el('h3', null, 'Greater Khorasan (approximate)'),
        el('ul', { class: 'legend-list' },
          el('li', null, swatchLine(STYLE.khorasan.main), ' Main outline'),
          el('li', null, swatchLine(STYLE.khorasan.broad), ' Broad variant, with Transoxiana')),
        el('p', { class: 'legend-note' }, 'Historical region, hand-drawn. Not ISIS-K\u2019s territory.')));
    }
    if (haveCities) {
      items.push(el('section', null,
        el('h3', null, 'Cities'),
        el('ul', { class: 'legend-list' },
          el('li', null, el('span', { class: 'legend-city city-anchor' }, 'Herat'), ' historical anchor'),
          el('li', null, el('span', { class: 'legend-city city-other' }, 'Peshawar'), ' other city'))));
    }
    const Legend = L.Control.extend({
      options: { position: 'bottomright' },
      onAdd() {
        const box = el('details', { class: 'legend leaflet-bar', open: true },
          el('summary', null, 'Legend'),
          el('div', { class: 'legend-body', role: 'group', 'aria-label': 'Legend' }, items));
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        return box;
      },
    });
    return new Legend();
  }

  function buildViewButtons(regionBounds, allBounds) {
    const Buttons = L.Control.extend({
      options: { position: 'topleft' },
      onAdd() {
        const box = el('div', { class: 'leaflet-bar view-buttons' });
        const region = el('button', { type: 'button', title: 'Zoom to the region' }, 'Region');
        const all = el('button', { type: 'button', title: 'Zoom to every attack, including those far from the region' }, 'All attacks');
        region.addEventListener('click', () => regionBounds && map.fitBounds(regionBounds, fitPadding()));
        all.addEventListener('click', () => allBounds && map.fitBounds(allBounds, fitPadding()));
        box.append(region, all);
        L.DomEvent.disableClickPropagation(box);
        return box;
      },
    });
    return new Buttons();
  }

  // The first view: the Khorasan outline's bounds, grown to take in the
  // attacks near it (those within one region-size of it). Far events (e.g.
  // Moscow, Istanbul) stay reachable with the "All attacks" button.
  function regionView(khorasan, attacks, borders) {
    let b = khorasan && khorasan.getBounds && khorasan.getBounds().isValid() ? L.latLngBounds(khorasan.getBounds().getSouthWest(), khorasan.getBounds().getNorthEast()) : null;
    if (attacks) {
      const near = b ? b.pad(1) : null;
      for (const m of Object.values(attacks.byId)) {
        if (!near || near.contains(m.realLatLng)) b = b ? b.extend(m.realLatLng) : L.latLngBounds(m.realLatLng, m.realLatLng);
      }
    }
    if (!b && borders && borders.getBounds && borders.getBounds().isValid()) b = borders.getBounds();
    return b;
  }

  // Keep the region clear of the controls: the legend on the right, the
  // buttons on the left (on narrow screens the legend may cover some).
  function fitPadding() {
    const size = map.getSize();
    const legend = document.querySelector('.legend');
    const right = legend && size.x > 900 ? legend.offsetWidth + 20 : 16;
    const left = size.x > 900 ? 70 : 16;
    return { paddingTopLeft: [left, 16], paddingBottomRight: [right, 16], animate: false };
  }

  // Controls sit above popups in Leaflet. While an open popup would be
  // hidden under the legend or the (expanded) layer control, fold them, and
  // unfold them when the popup closes.
  function foldControlsUnderPopups(legendDetails, layerControl) {
    const folded = new Set();
    const overlaps = (a, b) => a.left < b.right && a.right > b.left && a.top < b.bottom && a.bottom > b.top;
    const targets = [
      {
        node: legendDetails,
        isOpen: () => legendDetails.open,
        fold: () => { legendDetails.open = false; },
        unfold: () => { legendDetails.open = true; },
      },
      {
        node: layerControl.getContainer(),
        isOpen: () => layerControl.getContainer().classList.contains('leaflet-control-layers-expanded'),
        fold: () => layerControl.collapse(),
        unfold: () => layerControl.expand(),
      },
    ];
    const check = (popup) => {
      const c = popup.getElement();
      if (!c || !map.hasLayer(popup)) return;
      const r = c.getBoundingClientRect();
      for (const t of targets) {
        if (t.isOpen() && overlaps(r, t.node.getBoundingClientRect())) {
          t.fold();
          folded.add(t);
        }
      }
    };
    map.on('popupopen', (e) => {
      check(e.popup);
      map.once('moveend', () => check(e.popup));
    });
    map.on('popupclose', () => {
      for (const t of folded) t.unfold();
      folded.clear();
    });
  }

  // ---- main

  async function main() {
    const { collections } = await fetchJSON(new URL('collections', API));
    if (!Array.isArray(collections)) throw new Error('/api/collections: no "collections" list');
    const ids = collections.map((c) => c.id);
    const order = [...KNOWN.filter((k) => ids.includes(k)), ...ids.filter((id) => !KNOWN.includes(id))];
    const byId = Object.fromEntries(collections.map((c) => [c.id, c]));
    setStatus(`Loading ${order.length} layers…`);
    const cfg = await loadConfig();
    const basemap = addBasemap(cfg, ids.includes('cities'));
    // Layers over the threshold come as vector tiles, the others as GeoJSON.
    const sizes = await Promise.all(order.map((id) => layerCount(id).catch(() => null)));
    const vectorIds = new Set(order.filter((id, i) => sizes[i] !== null && sizes[i] > cfg.vectorThreshold));
    // A layer that fails to load is reported; the others are still drawn.
    const settled = await Promise.allSettled(order.map((id, i) => (vectorIds.has(id)
      ? Promise.resolve({ type: 'FeatureCollection', features: [], numberMatched: sizes[i], vector: true })
      : fetchAllItems(id))));
    const data = [];
    const failures = [];
    settled.forEach((r, i) => {
      if (r.status === 'fulfilled') data.push([order[i], r.value]);
      else failures.push(`${(byId[order[i]] || {}).title || order[i]}: ${r.reason && r.reason.message || r.reason}`);
    });

    const layers = {};
    const overlays = [];
    for (const [id, fc] of data) {
      const meta = byId[id] || {};
      const title = meta.title || id;
      let layer;
      if (fc.vector) layer = buildVectorTiles(id, title, cfg);
      else if (id === 'borders') layer = buildBorders(fc, true);
      else if (id === 'khorasan') layer = buildKhorasan(fc);
      else if (id === 'attacks') layer = buildAttacks(fc);
      else if (id === 'cities') layer = buildCities(fc);
      else layer = buildGeneric(fc, title);
      layer.addTo(map);
      layers[id] = layer;
      overlays.push([id, title, fc.vector ? fc.numberMatched : fc.features.length]);
    }

    // The control lists layers top of the map first.
    const controlOrder = ['cities', 'attacks', ...overlays.map((o) => o[0]).filter((id) => !KNOWN.includes(id)), 'khorasan', 'borders'];
    const narrow = map.getSize().x < 700;
    const control = L.control.layers(null, null, { collapsed: narrow, position: 'topright' });
    for (const id of controlOrder) {
      const o = overlays.find((x) => x[0] === id);
      if (!o) continue;
      const count = id === 'borders' || id === 'khorasan' ? '' : ` <span class="count">(${Number(o[2]).toLocaleString('en-GB')})</span>`;
      control.addOverlay(layers[id], escapeHTML(o[1]) + count);
    }
    control.addTo(map);
    const container = control.getContainer();
    container.setAttribute('role', 'group');
    container.setAttribute('aria-label', 'Map layers');
    const heading = el('div', { class: 'control-heading' }, 'Layers');
    container.querySelector('.leaflet-control-layers-list').prepend(heading);
    const toggle = container.querySelector('.leaflet-control-layers-toggle');
    if (toggle) toggle.setAttribute('aria-label', 'Map layers');

    // Credits a collection carries (e.g. GeoNames for cities), beside the
    // fixed line that already covers borders and attacks.
    for (const [id] of data) {
      const a = (byId[id] || {}).attribution;
      if (typeof a === 'string' && a.trim() && id !== 'borders' && id !== 'attacks') {
        map.attributionControl.addAttribution(escapeHTML(a.trim()));
      }
    }

    // The attack markers' extras (legend counts, first view) need GeoJSON.
    const attacks = layers.attacks && layers.attacks.byId ? layers.attacks : null;
    const region = regionView(layers.khorasan, attacks, layers.borders);
    const allAttacks = attacks && attacks.getBounds().isValid() ? attacks.getBounds() : region;
    buildViewButtons(region, allAttacks).addTo(map);
    const legend = buildLegend(attacks, !!layers.khorasan, !!layers.cities).addTo(map);
    if (narrow) legend.getContainer().open = false;
    if (!narrow) foldControlsUnderPopups(legend.getContainer(), control);
    if (region) map.fitBounds(region, fitPadding());
    if (layers.cities && layers.cities.rank) {
      if (attacks) {
        const byCity = {};
        for (const m of Object.values(attacks.byId)) {
          const c = String((m.feature.properties || {}).city || '').trim().toLowerCase();
          if (c) byCity[c] = (byCity[c] || 0) + 1;
        }
        layers.cities.rank(byCity);
      }
      layers.cities.declutter();
    }

    window.khorasan = {
      map,
      layers,
      attackMarkers: attacks ? attacks.markerCount : 0,
      attackMarker: (id) => (attacks ? attacks.byId[id] || null : null),
      style: STYLE,
      basemap,
      config: cfg,
      vectorLayers: [...vectorIds],
    };
    if (failures.length) {
      window.khorasan.error = `some layers could not be loaded: ${failures.join('; ')}`;
      setStatus(`Some layers could not be loaded: ${failures.join('; ')}`, true);
      document.body.dataset.ready = 'error';
      return;
    }
    setStatus('');
    document.body.dataset.ready = 'true';
  }

  main().catch((err) => {
    console.error(err);
    setStatus(`The map could not load its data: ${err.message}`, true);
    window.khorasan = { map, layers: {}, attackMarkers: 0, error: String(err && err.message || err) };
    document.body.dataset.ready = 'error';
  });
}());
