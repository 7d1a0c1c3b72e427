// The map page's choropleth: a box on the map to shade it by the events
// of one picked events layer per country (the borders layer's polygons)
// or per hexagon cell of a chosen size, counting events or the layer's
// magnitude (its profile's: killed, fatalities...), with its legend and
// a tooltip per group. The numbers are the API's
// /api/collections/{id}/aggregate under the filters the page applies to
// the layer's items (aggregate.js layerTerms), drawn as the answer gives
// them: the groups' own geometries, their own count and magnitude_sum.
// The settings are the state's choropleth, hexSize, shade and
// choroLayer (state.js), so the link carries them.

import * as KA from './aggregate.js';
import * as KP from './profiles.js';
import * as KY from './style.js';
import { API, fetchJSON } from './api.js';
import { el, fmtInt } from './dom.js';

// Below the borders' outlines (pane 350), above the basemap (200).
const PANE = 'choropleth';
const PANE_Z = 345;

// createLooks: how each events layer is read: its properties, its words
// and whether it is the data layer, the other layers' from their
// queryables (fetched once). look(id) is a promise of {props, words,
// isData}.
export function createLooks(ctx) {
  const cache = new Map();
  return (id) => {
    if (id === ctx.eventId) return Promise.resolve({ props: ctx.eventProps, words: ctx.words, isData: true });
    if (!cache.has(id)) {
      cache.set(id, fetchJSON(new URL(`collections/${encodeURIComponent(id)}/queryables`, API)).catch(() => null).then((q) => {
        const props = new Set(Object.keys((q && q.properties) || {}));
        const profile = KP.eventProfile(ctx.profiles, ctx.order, ctx.kinds, id);
        return { props, words: KA.layerWords(profile, props, q), isData: false };
      }));
    }
    return cache.get(id);
  };
}

// termsFor: the filter terms of layer id under state s (aggregate.js
// layerTerms), as a promise.
export async function termsFor(look, ctx, id, s) {
  const l = await look(id);
  return KA.layerTerms(s, id, l.props, l.words, l.isData);
}

// pickedLayers: the events layers picked (the state's events), the data
// layer first.
export function pickedLayers(ctx, s) {
  const list = KP.pickedEvents(ctx.order, ctx.kinds, ctx.eventId, s.events);
  return [ctx.eventId, ...list.filter((id) => id !== ctx.eventId)].filter((id) => id && ctx.layers[id]);
}

// createChoropleth adds the box to map and keeps the shading as the
// state says. refresh() applies the state; last() is what is drawn
// ({layer, url, doc, classes}) for the browser tests.
export function createChoropleth(doc, store, ctx, map, look) {
  if (!map.getPane(PANE)) map.createPane(PANE).style.zIndex = String(PANE_Z);
  const bordersId = ctx.ofKind('reference')[0] || null;
  const bordersLabel = bordersId && ctx.profiles[bordersId] ? ctx.profiles[bordersId].label : null;
  let box = null;
  let legendNode = null;
  const Box = L.Control.extend({
    options: { position: 'topleft' },
    onAdd() {
      const radio = (name, value, label) => el('label', null, el('input', { type: 'radio', name, value }), ` ${label}`);
      legendNode = el('div', { class: 'choropleth-legend', id: 'choropleth-legend', 'aria-live': 'polite' });
      box = el('details', { class: 'display-control choropleth-control leaflet-bar', id: 'choropleth-control', open: !!store.get().choropleth },
        el('summary', null, 'Choropleth'),
        el('fieldset', { class: 'display-group' }, el('legend', null, 'Shade the map'),
          radio('choropleth', '', 'None'),
          bordersId ? radio('choropleth', 'country', 'Per country') : null,
          radio('choropleth', 'hex', 'Per hexagon')),
        el('label', { class: 'choropleth-size' }, 'Cell size ',
          el('input', { type: 'number', name: 'hexsize', id: 'choropleth-size', min: 5, max: 1000, step: 5, inputmode: 'numeric' }), ' km'),
        el('fieldset', { class: 'display-group' }, el('legend', null, 'Counting'),
          radio('shade', 'events', 'Events'),
          el('label', { class: 'shade-magnitude' }, el('input', { type: 'radio', name: 'shade', value: 'killed' }), el('span', null, ' killed'))),
        el('label', { class: 'choropleth-layer' }, 'Layer ', el('select', { name: 'chorolayer', id: 'choropleth-layer' })),
        legendNode);
      box.addEventListener('change', (ev) => {
        const t = ev.target;
        if (t.name === 'choropleth') store.change({ choropleth: t.value || null });
        if (t.name === 'shade') store.change({ shade: t.value });
        if (t.name === 'chorolayer') store.change({ choroLayer: t.value === ctx.eventId ? null : t.value });
        if (t.name === 'hexsize') {
          const km = Number(t.value);
          if (t.checkValidity() && km >= 5 && km <= 1000) store.change({ hexSize: km });
          else t.value = String(store.get().hexSize);
        }
      });
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      return box;
    },
  });
  new Box().addTo(map);

  // The box scrolls rather than run under the bottom-left corner's
  // controls (the display box, the scale) on a short map.
  const fit = () => {
    const container = map.getContainer();
    const corner = container.querySelector('.leaflet-bottom.leaflet-left');
    const top = box.getBoundingClientRect().top - container.getBoundingClientRect().top;
    const below = corner && corner.getBoundingClientRect().height;
    box.style.maxHeight = `${Math.max(90, map.getSize().y - top - (below || 0) - 12)}px`;
  };
  map.on('resize', fit);
  box.addEventListener('toggle', fit);

  // The layer counted: the state's, when it is picked, else the data layer.
  const layerOf = (s) => {
    const picked = pickedLayers(ctx, s);
    return s.choroLayer && picked.includes(s.choroLayer) ? s.choroLayer : ctx.eventId;
  };

  async function sync() {
    const s = store.get();
    const id = layerOf(s);
    const l = await look(id);
    for (const i of box.querySelectorAll('input[type="radio"]')) i.checked = i.name === 'choropleth' ? (s.choropleth || '') === i.value : s[i.name] === i.value;
    const size = box.querySelector('#choropleth-size');
    if (doc.activeElement !== size) size.value = String(s.hexSize);
    box.querySelector('.choropleth-size').hidden = s.choropleth !== 'hex';
    const mag = box.querySelector('.shade-magnitude');
    mag.querySelector('span').textContent = ` ${l.words.magnitude || 'magnitude'}`;
    mag.querySelector('input').disabled = !l.words.magnitude;
    mag.classList.toggle('disabled', !l.words.magnitude);
    const picked = pickedLayers(ctx, s);
    const select = box.querySelector('#choropleth-layer');
    select.replaceChildren(...picked.map((p) => el('option', { value: p, selected: p === id }, ctx.titles[p] || p)));
    box.querySelector('.choropleth-layer').hidden = picked.length < 2;
  }

  let drawn = null;
  let last = null;
  let seq = 0;
  const clear = () => {
    if (drawn) map.removeLayer(drawn);
    drawn = null;
    last = null;
    legendNode.replaceChildren();
    delete doc.body.dataset.choropleth;
  };

  // The group's name in the tooltip and the tests: the country's label
  // (the borders profile's label property), or the cell's id and area.
  const nameOf = (f, by) => {
    const p = f.properties || {};
    if (by === 'hex') return `Cell ${f.id}${typeof p.area_km2 === 'number' ? ` (${fmtInt(Math.round(p.area_km2))} km²)` : ''}`;
    const v = bordersLabel ? p[bordersLabel] : null;
    return v === null || v === undefined || v === '' ? `Country ${f.id}` : String(v);
  };

  async function refresh() {
    const mine = ++seq;
    const s = store.get();
    await sync();
    if (!s.choropleth || (s.choropleth === 'country' && !bordersId) || !ctx.eventId) {
      if (mine === seq) clear();
      fit();
      return;
    }
    const id = layerOf(s);
    const l = await look(id);
    const shade = s.shade === 'killed' && l.words.magnitude ? 'killed' : 'events';
    const params = KA.aggregateParams(await termsFor(look, ctx, id, s), s.choropleth, s.hexSize);
    const url = new URL(`collections/${encodeURIComponent(id)}/aggregate?${params}`, API);
    doc.body.dataset.choropleth = 'loading';
    let answer;
    try {
      answer = await fetchJSON(url);
    } catch (err) {
      if (mine !== seq) return;
      clear();
      legendNode.replaceChildren(el('p', { class: 'legend-note error' }, `The choropleth could not be had: ${err.message}`));
      doc.body.dataset.choropleth = 'error';
      return;
    }
    if (mine !== seq) return;
    const groups = KA.groups(answer);
    const classes = KA.classBreaks(groups.map((f) => KA.shadeValue(f, shade)));
    const paint = KY.style().choropleth || {};
    const colors = KA.ramp(classes.length, paint.colors);
    const noFigureFill = paint.noFigure || KA.NO_FIGURE;
    const magnitude = answer.magnitude || l.words.magnitude || 'magnitude';
    const unit = s.choropleth === 'hex' ? ['cell', 'cells'] : ['country', 'countries'];
    const tip = (f) => {
      const p = f.properties;
      const parts = [`${fmtInt(p.count)} ${p.count === 1 ? 'event' : 'events'}`];
      if (answer.magnitude) parts.push(p.magnitude_sum === null ? `no ${magnitude} figure` : `${fmtInt(p.magnitude_sum)} ${magnitude}`);
      return `${nameOf(f, s.choropleth)}: ${parts.join(' · ')}`;
    };
    if (drawn) map.removeLayer(drawn);
    drawn = L.geoJSON({ type: 'FeatureCollection', features: groups }, {
      pane: PANE,
      style: (f) => {
        const i = KA.classOf(classes, KA.shadeValue(f, shade));
        return { fillColor: i < 0 ? noFigureFill : colors[i], fillOpacity: paint.opacity || 0.72, color: '#6b5a4a', weight: 0.6, opacity: 0.8, className: 'choropleth-cell' };
      },
      onEachFeature: (f, layer) => layer.bindTooltip(tip(f), { sticky: true, className: 'choropleth-tip' }),
    }).addTo(map);
    drawn.eachLayer((layer) => {
      const node = layer.getElement && layer.getElement();
      if (!node) return;
      const f = layer.feature;
      node.setAttribute('data-id', String(f.id));
      node.setAttribute('data-class', String(KA.classOf(classes, KA.shadeValue(f, shade))));
    });

    const what = shade === 'killed' ? magnitude : 'events';
    const per = s.choropleth === 'hex' ? `per ${s.hexSize} km hexagon` : 'per country';
    const noFigure = groups.filter((f) => KA.shadeValue(f, shade) === null).length;
    const off = KA.outside(answer);
    legendNode.replaceChildren(
      el('h3', null, `${ctx.titles[id] || id}: ${what} ${per}`),
      el('ul', { class: 'legend-list choropleth-classes' },
        classes.map((c, i) => el('li', { 'data-lo': c.lo, 'data-hi': c.hi, 'data-n': c.n },
          el('span', { class: 'choropleth-swatch', style: `background:${colors[i]}`, 'aria-hidden': 'true' }),
          el('span', { class: 'class-range' }, KA.classLabel(c, fmtInt)),
          el('span', { class: 'count' }, ` (${c.n} ${c.n === 1 ? unit[0] : unit[1]})`))),
        noFigure ? el('li', { class: 'no-figure', 'data-n': noFigure },
          el('span', { class: 'choropleth-swatch', style: `background:${noFigureFill}`, 'aria-hidden': 'true' }),
          el('span', { class: 'class-range' }, `no ${magnitude} figure`),
          el('span', { class: 'count' }, ` (${noFigure})`)) : null),
      el('p', { class: 'legend-note choropleth-total' },
        `${fmtInt(answer.count)} events`,
        answer.magnitude && typeof answer.magnitude_sum === 'number' ? `, ${fmtInt(answer.magnitude_sum)} ${magnitude}` : '',
        ` in ${fmtInt(groups.length)} ${groups.length === 1 ? unit[0] : unit[1]}`,
        off ? `; ${fmtInt(off)} in none` : '', '.'),
      el('p', { class: 'legend-note' }, `Quantile classes: the ${unit[1]} sorted by ${what}, about as many in each class, equal values never split.`));
    last = { layer: id, url: url.pathname + url.search, doc: answer, classes, shade };
    fit();
    doc.body.dataset.choropleth = 'ready';
  }

  return { refresh, last: () => last, node: () => box };
}
