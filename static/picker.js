// The events layers picker of the map page: a chip per events layer,
// coloured as its markers, that draws it on the map beside the data
// layer (which the timeline, filters and table work on) or takes it
// off; the choice is the state's events (the link's events=).

import * as KP from './profiles.js';
import { el } from './dom.js';
import { monthIndex } from './dates.js';

// createPicker fills #group-events when the map has more than one events
// layer, and keeps the map's events layers as the state picks them.
// sync() applies the state; isPicked(id) tells whether an events layer
// is picked (every other layer is).
export function createPicker(doc, store, ctx, map) {
  const ids = [...new Set([ctx.eventId, ...ctx.ofKind('events')])].filter((id) => id && ctx.layers[id]);
  const group = doc.getElementById('group-events');
  const picked = () => KP.pickedEvents(ctx.order, ctx.kinds, ctx.eventId, store.get().events);
  // normal: a list of events layers as the link writes it: in the
  // server's order, null for every one.
  const normal = (list) => KP.pickEvents(ctx.order, ctx.kinds, ctx.eventId, list, null, false);
  const isPicked = (id) => !ids.includes(id) || picked().includes(id);
  // colorOf: a layer's colour in the picker and the timeline: its
  // colouring category's first.
  const colorOf = (id) => {
    const styles = id === ctx.eventId ? ctx.words.categoryStyles : KP.eventWords(ctx.profiles[id]).categoryStyles;
    const first = styles && Object.values(styles)[0];
    return first ? first.color : null;
  };
  if (group) group.hidden = ids.length < 2;
  if (group && ids.length > 1) {
    group.querySelector('.chip-list').replaceChildren(...ids.map((id) => {
      const color = colorOf(id);
      const input = el('input', { type: 'checkbox', id: `f-events-${id}`, name: 'events', value: id });
      if (id === ctx.eventId) input.disabled = true;
      input.addEventListener('change', () => {
        store.change({ events: KP.pickEvents(ctx.order, ctx.kinds, ctx.eventId, picked(), id, input.checked) });
      });
      return el('label', { class: 'chip', for: input.id, 'data-layer': id },
        input,
        color ? el('span', { class: 'chip-dot', style: `background:${color}`, 'aria-hidden': 'true' }) : null,
        el('span', { class: 'chip-label' }, ctx.titles[id] || id));
    }));
  }

  // sync: the chips as the state picks, and (unless only the chips are
  // asked for, when the page starts and layers= has had its say) the
  // map's events layers.
  function sync(chipsOnly) {
    const on = picked();
    for (const id of ids) {
      const input = group && group.querySelector(`input[value="${id}"]`);
      if (input) input.checked = on.includes(id);
      if (chipsOnly) continue;
      const layer = ctx.layers[id];
      const shown = map.hasLayer(layer);
      if (on.includes(id) && !shown) layer.addTo(map);
      else if (!on.includes(id) && shown) map.removeLayer(layer);
    }
  }

  // pickedOf: whether layer id is drawn under the link's events= list
  // (every layer that is not an events layer is).
  const pickedOf = (list) => {
    const on = KP.pickedEvents(ctx.order, ctx.kinds, ctx.eventId, list);
    return (id) => !ids.includes(id) || on.includes(id);
  };

  // series: the picked events layers other than the data layer drawn
  // from GeoJSON, each with its events per bin of the timeline's domain
  // (months from first), by its own profile's date, and its colour.
  function series(domain) {
    if (!domain || domain.unit !== 'month') return [];
    return picked().filter((id) => id !== ctx.eventId && ctx.layers[id] && ctx.layers[id].features).map((id) => {
      const words = KP.eventWords(ctx.profiles[id]);
      const n = domain.last - domain.first + 1;
      const bins = new Array(n).fill(0);
      for (const f of ctx.layers[id].features()) {
        const d = words.time ? (f.properties || {})[words.time] : null;
        if (typeof d !== 'string' || !/^\d{4}-\d{2}/.test(d)) continue;
        const i = monthIndex(d) - domain.first;
        if (i >= 0 && i < n) bins[i]++;
      }
      return { id, title: ctx.titles[id] || id, color: colorOf(id) || '#555', bins };
    });
  }

  // rows: the picked events layers other than the data layer drawn from
  // GeoJSON, each with its events in the state's time range (by its own
  // profile's date), latest first, for the table.
  function rows(state) {
    const t = state.time;
    return picked().filter((id) => id !== ctx.eventId && ctx.layers[id] && ctx.layers[id].features).map((id) => {
      const words = KP.eventWords(ctx.profiles[id]);
      const day = (f) => {
        const d = words.time ? (f.properties || {})[words.time] : null;
        return typeof d === 'string' ? d.slice(0, 10) : '';
      };
      const features = ctx.layers[id].features()
        .filter((f) => !t || ((!t.start || day(f) >= t.start) && (!t.end || (day(f) && day(f) <= t.end))))
        .sort((a, b) => (day(a) < day(b) ? 1 : day(a) > day(b) ? -1 : 0));
      return { id, title: ctx.titles[id] || id, words, features };
    });
  }

  // legends: the picked events layers other than the data layer, each
  // with its colouring, for the legend.
  const legends = () => picked().filter((id) => id !== ctx.eventId).map((id) => {
    const c = KP.colouring(ctx.profiles[id]);
    return { id, title: ctx.titles[id] || id, by: c.categoryTitle, styles: c.categoryStyles };
  });

  return { sync, isPicked, normal, pickedOf, series, rows, legends, ids };
}
