// The legend of the map, shared by both pages: the event colours (by
// attribution or by attack type) with the counts shown, what a marker's
// area means, the Khorasan outline and the cities. A Leaflet control.

import * as KS from './state.js';
import { el, svg } from './dom.js';
import { S, typeStyle, markerRadius } from './style.js';
import { shapePath } from './shapes.js';

// Reference circles side by side, bottom-aligned, each labelled below.
function legendCircles(color) {
  const refs = S.marker.referenceKilled;
  const radii = refs.map(markerRadius);
  const gap = 10;
  const h = radii[radii.length - 1] * 2 + 18;
  const base = h - 15;
  let x = 2;
  const parts = [];
  refs.forEach((k, i) => {
    const r = radii[i];
    const cx = x + r;
    parts.push(svg('circle', { cx, cy: base - r, r, fill: color, 'fill-opacity': 0.25, stroke: '#555', 'stroke-width': 1 }));
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

// A marker of the legend: its layer's shape (shapes.js) in color.
function dot(color, r, shape) {
  const d = Math.ceil((r + 1) * 2 * (shape && shape !== 'circle' ? 1.3 : 1));
  const root = svg('svg', { width: d, height: d, 'aria-hidden': 'true', class: 'legend-dot', 'data-shape': shape || 'circle' });
  root.append(svg('path', { d: shapePath(shape, { x: d / 2, y: d / 2 }, r), fill: color, 'fill-opacity': S.marker.fillOpacity, stroke: '#fff', 'stroke-width': 1 }));
  return root;
}

// The legend's content for the current display: colour classes with
// the counts shown, what size means, and the other layers.
export function legendItems(events, opts) {
  const items = [];
  if (events) {
    const shape = events.shape || 'circle';
    const counts = events.classCounts ? events.classCounts() : null;
    const c = (k) => (counts ? el('span', { class: 'count' }, ` (${counts[k] || 0})`) : null);
    let rows;
    let heading;
    if (opts.color === 'type') {
      heading = `${events.title || 'Events'}, by attack type`;
      rows = KS.TYPES.map((t) => el('li', null, dot(typeStyle(t.key).color, 6, shape), ` ${typeStyle(t.key).label}`, c(t.key)));
    } else {
      // The colouring category's values, labels and colours: the
      // event layer's profile's (opts.words, profiles.js eventWords).
      const w = opts.words || {};
      const styles = w.categoryStyles || S.attribution;
      const by = (w.categoryTitle || 'attribution').toLowerCase();
      heading = `${events.title && events.title.length < 28 ? events.title : 'Attacks'}, by ${by}`;
      rows = Object.entries(styles).map(([key, s]) => el('li', null, dot(s.color, 6, shape), ` ${s.label}`, c(key)));
      if (counts && counts.other) rows.push(el('li', null, dot(S.attributionUnknown.color, 6, shape), ` ${S.attributionUnknown.label}`, c('other')));
    }
    // Beside other layers, the heading names the shape that tells them apart.
    if ((opts.others || []).some((o) => o.styles)) heading += ` (${shape}s)`;
    const mode = events.mode ? events.mode() : 'circles';
    if (mode === 'heat') {
      items.push(el('section', null,
        el('h3', null, `${events.title && events.title.length < 28 ? events.title : 'Events'}: heat map`),
        el('div', { class: 'heat-ramp', 'aria-hidden': 'true' }),
        el('p', { class: 'legend-note' }, 'Where events gather, weighted by the number killed. Switch to circles or clusters to see each event.')));
    } else {
      items.push(el('section', null, el('h3', null, heading), el('ul', { class: 'legend-list' }, rows)));
      const firstStyle = Object.values((opts.words && opts.words.categoryStyles) || S.attribution)[0];
      const refColor = opts.color === 'type' ? typeStyle('suicide').color : (firstStyle || S.attributionUnknown).color;
      items.push(el('section', null,
        el('h3', null, 'Marker area: people killed'),
        el('div', { class: 'legend-sizes' }, legendCircles(refColor)),
        el('p', { class: 'legend-note' }, mode === 'clusters'
          ? 'A cluster shows the total killed in it, ringed by its events\u2019 colours; click it to zoom in or spread it.'
          : 'Smallest dot: none killed or unknown. Events at one point are spread on a ring.')));
    }
  }
  // The other events layers picked: each its colouring category's
  // values, as its markers are drawn.
  // Each is drawn in its own shape (o.shape), named in the heading.
  for (const o of opts.others || []) {
    if (!o.styles) continue;
    const note = o.mode === 'heat' ? 'heat map' : o.mode === 'clusters' ? `${o.shape || 'circle'}s, in clusters` : `${o.shape || 'circle'}s`;
    items.push(el('section', { 'data-layer': o.id, 'data-shape': o.shape || 'circle' },
      el('h3', null, `${o.title}${o.by ? `, by ${o.by.toLowerCase()}` : ''} (${note})`),
      el('ul', { class: 'legend-list' }, Object.values(o.styles).map((s) => el('li', null, dot(s.color, 6, o.shape), ` ${s.label}`)))));
  }
  if (opts.haveKhorasan) {
    items.push(el('section', null,
      el('h3', null, 'Greater Khorasan (approximate)'),
      el('ul', { class: 'legend-list' },
        el('li', null, swatchLine(S.khorasan.main), ` ${S.khorasan.main.label || 'Main outline'}`),
        el('li', null, swatchLine(S.khorasan.broad), ` ${S.khorasan.broad.label || 'Broad variant'}`)),
      el('p', { class: 'legend-note' }, 'Historical region, hand-drawn. Not ISIS-K\u2019s territory.')));
  }
  if (opts.haveCities) {
    items.push(el('section', null,
      el('h3', null, 'Cities'),
      el('p', { class: 'legend-cities' },
        el('span', { class: 'legend-city city-anchor' }, 'Herat'), ' historical anchor, ',
        el('span', { class: 'legend-city city-other' }, 'Peshawar'), ' other')));
  }
  return items;
}

export function buildLegend(getItems, open) {
  let body = null;
  const Legend = L.Control.extend({
    options: { position: 'bottomright' },
    onAdd() {
      body = el('div', { class: 'legend-body', role: 'group', 'aria-label': 'Legend' }, getItems());
      const box = el('details', { class: 'legend leaflet-bar', open: open !== false },
        el('summary', null, 'Legend'), body);
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      return box;
    },
  });
  const legend = new Legend();
  legend.refresh = () => {
    if (body) body.replaceChildren(...getItems());
  };
  return legend;
}
