// The map page's table of the events that pass the filters: sortable
// columns (the order is the state's sort), one row per event (at most
// TABLE_ROWS), the selected event's row lit, and keyboard moves between
// rows. A row's click asks onOpen to show its event on the map.

import * as KS from './state.js';
import { featureId } from './map.js';
import { attributionStyle } from './style.js';
import { el, fmtInt } from './dom.js';
import { TABLE_ROWS } from './sources.js';
import { fetchJSON } from './api.js';

export function createTable(doc, store, ctx, onOpen) {
  const $ = (id) => doc.getElementById(id);
  const tbody = doc.querySelector('#events-table tbody');

  // The columns by sort key (state.js SORT_KEYS): date, killed and
  // attribution show the event layer's time, magnitude and colouring
  // category (ctx.words).
  const COLUMNS = [
    { key: 'date', label: 'Date', prop: () => KS.sortProperty('date', ctx.words) },
    { key: 'name', label: 'Event', prop: () => 'name' },
    { key: 'killed', label: 'Killed', prop: () => KS.sortProperty('killed', ctx.words), cls: 'num' },
    { key: 'attribution', label: 'Attribution', prop: () => KS.sortProperty('attribution', ctx.words), cls: 'col-attribution' },
  ];
  const columns = () => COLUMNS.filter((c) => c.prop() && ctx.eventProps.has(c.prop()));

  // withLayer: whether the table has a Layer column (other events layers
  // are picked beside the data layer).
  let withLayer = false;
  function buildHead() {
    const tr = doc.querySelector('#events-table thead tr');
    const layerHead = withLayer ? [el('th', { scope: 'col', class: 'col-layer' }, 'Layer')] : [];
    tr.replaceChildren(...layerHead, ...columns().map((c) => {
      const b = el('button', { type: 'button', class: 'sort', 'data-sort': c.key }, c.label, el('span', { class: 'sort-mark', 'aria-hidden': 'true' }));
      b.addEventListener('click', () => {
        const { sort } = store.get();
        const desc = sort.key === c.key ? !sort.desc : (c.key === 'killed' || c.key === 'date');
        store.change({ sort: { key: c.key, desc } });
      });
      return el('th', { scope: 'col', class: c.cls || null }, b);
    }));
  }

  // syncHead: the sort marks as the state has them.
  function syncHead() {
    const { sort } = store.get();
    for (const th of doc.querySelectorAll('#events-table th')) {
      const b = th.querySelector('button');
      if (!b) continue;
      const on = b.dataset.sort === sort.key;
      if (on) th.setAttribute('aria-sort', sort.desc ? 'descending' : 'ascending');
      else th.removeAttribute('aria-sort');
      b.querySelector('.sort-mark').textContent = on ? (sort.desc ? ' ▼' : ' ▲') : '';
      b.title = `Sort by ${b.textContent.replace(/[▲▼]/g, '').trim().toLowerCase()}`;
    }
  }

  let rowsById = new Map();
  let extraById = new Map(); // the other layers' rows' features, by layer and id
  // render draws rows (sorted already); count is how many events match
  // in all, for the note under a table cut at TABLE_ROWS.
  // extra: the other picked events layers' rows, each {id, title, words,
  // features, count, next}, drawn after the data layer's with their layer
  // named. next (the data layer's, and each other layer's): the API's
  // link to the following page of rows, for a layer drawn from vector
  // tiles; a "more" button under the table fetches it and adds its rows.
  let last = null;
  function render(rows, count, extra, next) {
    last = { rows, count, extra, next };
    const state = store.get();
    const cols = columns();
    const others = (extra || []).filter((x) => x.features.length);
    if (withLayer !== (extra || []).length > 0) {
      withLayer = (extra || []).length > 0;
      buildHead();
      syncHead();
    }
    rowsById = new Map();
    // The API's rows come a page at a time: every page asked for is drawn.
    const shown = next !== undefined ? rows : rows.slice(0, TABLE_ROWS);
    const trs = shown.map((f, i) => {
      const p = f.properties || {};
      const id = featureId(f);
      rowsById.set(id, f);
      const layerCell = withLayer ? [el('td', { class: 'col-layer' }, ctx.titles[ctx.eventId] || ctx.eventId)] : [];
      const cells = layerCell.concat(cols.map((c) => {
        if (c.key === 'name') {
          const b = el('button', { type: 'button', class: 'row-link', tabindex: i === 0 ? 0 : -1, 'data-id': id },
            p.name || id);
          const where = [p.city, p.country].filter((x) => x).join(', ');
          return el('td', { class: 'col-name' }, b, where ? el('span', { class: 'city' }, where) : null);
        }
        if (c.key === 'date') {
          const d = p[c.prop()];
          const cell = el('td', { class: 'col-date' }, d ? String(d).slice(0, 10) : '');
          if (!cols.some((x) => x.key === 'name')) {
            cell.replaceChildren(el('button', { type: 'button', class: 'row-link', tabindex: i === 0 ? 0 : -1, 'data-id': id }, d ? String(d).slice(0, 10) : id));
          }
          return cell;
        }
        const v = p[c.prop()];
        if (c.key === 'killed') return el('td', { class: 'num' }, v === null || v === undefined ? '–' : fmtInt(v));
        if (c.key === 'attribution') {
          return el('td', { class: 'col-attribution' },
            v ? el('span', { class: 'swatch', style: `background:${attributionStyle(v, ctx.words).color}`, 'aria-hidden': 'true' }) : null,
            v || '');
        }
        return el('td', { class: c.cls || null }, p[c.key] === null || p[c.key] === undefined ? '' : String(p[c.key]));
      }));
      return el('tr', { 'data-id': id, class: id === state.sel ? 'selected' : null, 'aria-current': id === state.sel ? 'true' : null }, cells);
    });
    // The other layers' rows: the same columns, read with each layer's
    // own words.
    extraById = new Map();
    for (const x of others) {
      let room = x.next !== undefined ? Infinity : TABLE_ROWS; // per layer, as the data layer's
      for (const f of x.features) {
        if (room-- <= 0) break;
        const p = f.properties || {};
        const id = featureId(f);
        const w = x.words;
        const val = (name) => (name ? p[name] : undefined);
        const cells = [el('td', { class: 'col-layer' }, x.title)].concat(cols.map((c) => {
          if (c.key === 'name') {
            return el('td', { class: 'col-name' },
              el('button', { type: 'button', class: 'row-link', tabindex: -1, 'data-id': id }, String(val(w.label) || p.name || id)),
              [p.location || p.city, p.country].filter((v) => v).length ? el('span', { class: 'city' }, [p.location || p.city, p.country].filter((v) => v).join(', ')) : null);
          }
          if (c.key === 'date') return el('td', { class: 'col-date' }, val(w.time) ? String(val(w.time)).slice(0, 10) : '');
          if (c.key === 'killed') {
            const v = val(w.magnitude);
            return el('td', { class: 'num' }, v === null || v === undefined ? '–' : fmtInt(v));
          }
          if (c.key === 'attribution') {
            const v = val(w.category);
            return el('td', { class: 'col-attribution' },
              v ? el('span', { class: 'swatch', style: `background:${attributionStyle(v, w).color}`, 'aria-hidden': 'true' }) : null, v || '');
          }
          return el('td', null, '');
        }));
        extraById.set(`${x.id}\u0000${id}`, f);
        trs.push(el('tr', { 'data-id': id, 'data-layer': x.id }, cells));
      }
    }
    tbody.replaceChildren(...trs);
    const note = $('table-note');
    if (!rows.length) {
      note.textContent = KS.hasFilters(state) ? 'No events match these filters.' : 'This layer has no events.';
      note.hidden = false;
    } else if (count > shown.length) {
      note.replaceChildren(`The table shows the first ${fmtInt(shown.length)} of ${fmtInt(count)} events; narrow the filters to see the others here, or download them all.`,
        ...(next ? [' ', more(null, next)] : []));
      note.hidden = false;
    } else note.hidden = true;
    // Each other layer's count: all its events that match (the API's
    // numberMatched for a layer drawn from vector tiles), and how many
    // rows of them the table has.
    const counts = (extra || []).map((x) => {
      const drawn = tbody.querySelectorAll(`tr[data-layer="${CSS.escape(x.id)}"]`).length;
      return el('span', { class: 'layer-count', 'data-layer': x.id, 'data-count': String(x.count), 'data-rows': String(drawn) },
        `${x.title}: ${fmtInt(x.count)} event${x.count === 1 ? '' : 's'}${drawn < x.count ? ` (the first ${fmtInt(drawn)} here)` : ''}`,
        x.next && drawn < x.count ? [' ', more(x, x.next)] : []);
    });
    let layerNote = $('table-layers-note');
    if (!layerNote) {
      layerNote = el('p', { id: 'table-layers-note', class: 'table-note' });
      note.after(layerNote);
    }
    layerNote.replaceChildren(...counts.flatMap((c, i) => (i ? ['; ', c] : [c])));
    layerNote.hidden = counts.length === 0;
  }

  // more: a button that fetches the next page of a layer's rows from the
  // API (x: the other layer's entry, null for the data layer) and draws
  // the table again with them. The link must stay on this server.
  function more(x, href) {
    const b = el('button', { type: 'button', class: 'table-more', 'data-layer': x ? x.id : ctx.eventId }, `Show ${fmtInt(TABLE_ROWS)} more`);
    b.addEventListener('click', async () => {
      const url = new URL(href, doc.baseURI);
      if (url.origin !== location.origin) return;
      b.disabled = true;
      const mine = last;
      let page;
      try {
        page = await fetchJSON(url);
      } catch (err) {
        b.disabled = false;
        b.textContent = `Could not load more rows: ${err.message}`;
        return;
      }
      if (last !== mine) return; // the filters changed meanwhile
      const nextOf = (p) => ((p.features || []).length && ((p.links || []).find((l) => l && l.rel === 'next') || {}).href) || null;
      if (x) {
        x.features = x.features.concat(page.features || []);
        x.next = nextOf(page);
        render(last.rows, last.count, last.extra, last.next);
      } else {
        render(last.rows.concat(page.features || []), last.count, last.extra, nextOf(page));
      }
    });
    return b;
  }

  // Rows: a click (or Enter) shows the event on the map; the up and down
  // arrows move between rows, and only one row is in the Tab order.
  tbody.addEventListener('click', (ev) => {
    const tr = ev.target.closest('tr[data-id]');
    if (!tr || ev.target.closest('a')) return;
    if (tr.dataset.layer) {
      // A layer drawn from vector tiles opens the row's feature.
      const layer = ctx.layers[tr.dataset.layer];
      if (layer && layer.open) layer.open(tr.dataset.id, null, extraById.get(`${tr.dataset.layer}\u0000${tr.dataset.id}`));
      return;
    }
    onOpen(tr.dataset.id);
  });
  tbody.addEventListener('keydown', (ev) => {
    const b = ev.target.closest('.row-link');
    if (!b) return;
    const all = [...tbody.querySelectorAll('.row-link')];
    const i = all.indexOf(b);
    const j = { ArrowDown: i + 1, ArrowUp: i - 1, Home: 0, End: all.length - 1, PageDown: i + 10, PageUp: i - 10 }[ev.key];
    if (j === undefined) return;
    ev.preventDefault();
    const k = Math.max(0, Math.min(all.length - 1, j));
    b.tabIndex = -1;
    all[k].tabIndex = 0;
    all[k].focus();
  });

  // highlight lights the row of event id (none for null), scrolling it
  // into view when asked.
  function highlight(id, scroll) {
    for (const tr of tbody.querySelectorAll('tr.selected')) {
      tr.classList.remove('selected');
      tr.removeAttribute('aria-current');
    }
    if (!id) return;
    const tr = tbody.querySelector(`tr[data-id="${CSS.escape(id)}"]`);
    if (!tr) return;
    tr.classList.add('selected');
    tr.setAttribute('aria-current', 'true');
    const b = tr.querySelector('.row-link');
    if (b) {
      for (const x of tbody.querySelectorAll('.row-link[tabindex="0"]')) x.tabIndex = -1;
      b.tabIndex = 0;
    }
    if (scroll) {
      const wrap = $('table-wrap');
      const r = tr.getBoundingClientRect();
      const w = wrap.getBoundingClientRect();
      const head = wrap.querySelector('thead').getBoundingClientRect().height;
      if (r.top < w.top + head || r.bottom > w.bottom) wrap.scrollTop += r.top - w.top - head - w.height / 3;
    }
  }

  return {
    buildHead,
    syncHead,
    render,
    highlight,
    feature: (id) => rowsById.get(id),
    ids: () => [...tbody.querySelectorAll('tr[data-id]:not([data-layer])')].map((tr) => tr.dataset.id),
  };
}
