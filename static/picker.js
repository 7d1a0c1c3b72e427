// The events layers picker of the map page: a chip per events layer,
// coloured as its markers, that draws it on the map beside the data
// layer (which the timeline, filters and table work on) or takes it
// off; the choice is the state's events (the link's events=).

import * as KP from './profiles.js';
import { el } from './dom.js';

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
  if (group) group.hidden = ids.length < 2;
  if (group && ids.length > 1) {
    group.querySelector('.chip-list').replaceChildren(...ids.map((id) => {
      const styles = KP.eventWords(ctx.profiles[id] || (id === ctx.eventId ? null : {})).categoryStyles;
      const color = id === ctx.eventId && ctx.words.categoryStyles ? Object.values(ctx.words.categoryStyles)[0].color
        : styles && Object.values(styles)[0] ? Object.values(styles)[0].color : null;
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

  return { sync, isPicked, normal, pickedOf, ids };
}
