// The map page's own controls on the map: the display box (events as
// circles, clusters or heat; colour by attribution or type; the offline
// basemap's label language), the
// "Region" and "All attacks" buttons, and the folding of controls that an
// open popup would sit under.

import { el } from './dom.js';

// The label languages offered, in their own names (state.js LANGS).
const LANG_NAMES = [['en', 'English'], ['ru', 'Русский'], ['fa', 'فارسی'], ['ps', 'پښتو'], ['ur', 'اردو']];

// displayControl adds the display box; its choices go to the store, and
// sync() shows the state's. events: the event layer (ctx.events); the
// label languages are offered over the offline basemap only.
export function displayControl(map, ctx, store) {
  const events = ctx.events;
  let box = null;
  const Display = L.Control.extend({
    options: { position: map.getSize().x >= 640 ? 'bottomleft' : 'topleft' },
    onAdd() {
      const radios = (name, legendText, options) => el('fieldset', { class: 'display-group' },
        el('legend', null, legendText),
        options.map(([value, label, disabled]) => el('label', { class: disabled ? 'disabled' : null },
          el('input', { type: 'radio', name, value, disabled: !!disabled }), ` ${label}`)));
      box = el('details', { class: 'display-control leaflet-bar', open: map.getSize().x >= 640 },
        el('summary', null, 'Display'),
        events ? radios('mode', 'Show events as', [['circles', 'Circles'], ['clusters', 'Clusters'], ['heat', 'Heat map']]) : null,
        events ? radios('color', 'Colour by', [['attribution', 'Attribution'], ['type', 'Attack type', !ctx.eventProps.has('attack_type')]]) : null,
        ctx.cfg.basemap.offline ? radios('lang', 'Map labels', LANG_NAMES) : null);
      box.addEventListener('change', (ev) => {
        const t = ev.target;
        if (t.name === 'mode') store.change({ mode: t.value });
        if (t.name === 'color') store.change({ color: t.value });
        if (t.name === 'lang') store.change({ lang: t.value });
      });
      L.DomEvent.disableClickPropagation(box);
      return box;
    },
  });
  new Display().addTo(map);
  function sync() {
    const state = store.get();
    for (const i of box.querySelectorAll('input')) i.checked = state[i.name] === i.value;
  }
  sync();
  return { node: box, sync };
}

// Controls sit above popups in Leaflet. While an open popup would be
// hidden under the legend, the (expanded) layer control or the display
// box, fold them, and unfold them when the popup closes.
export function foldControlsUnderPopups(map, legendDetails, layerControl, displayBox) {
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
  if (displayBox) {
    targets.push({
      node: displayBox,
      isOpen: () => displayBox.open,
      fold: () => { displayBox.open = false; },
      unfold: () => { displayBox.open = true; },
    });
  }
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

// fitPadding: room for the legend and the controls when fitting bounds.
export function fitPadding(map) {
  const size = map.getSize();
  const legendNode = document.querySelector('.legend');
  const right = legendNode && size.x > 760 && legendNode.open ? legendNode.offsetWidth + 20 : 16;
  const left = size.x > 760 ? 60 : 12;
  return { paddingTopLeft: [left, 16], paddingBottomRight: [right, 16], animate: false };
}

// viewButtons: "Region" fits the region's bounds, "All attacks" all of
// the events'.
export function viewButtons(map, region, all) {
  const Buttons = L.Control.extend({
    options: { position: 'topleft' },
    onAdd() {
      const box = el('div', { class: 'leaflet-bar view-buttons' });
      const r = el('button', { type: 'button', title: 'Zoom to the region' }, 'Region');
      const a = el('button', { type: 'button', title: 'Zoom to every attack, including those far from the region' }, 'All attacks');
      r.addEventListener('click', () => region && map.fitBounds(region, fitPadding(map)));
      a.addEventListener('click', () => all && map.fitBounds(all, fitPadding(map)));
      box.append(r, a);
      L.DomEvent.disableClickPropagation(box);
      return box;
    },
  });
  return new Buttons();
}
