// The map page's summary bar: how many events the filters show (and how
// many killed), how current the data is, the empty-map note, and the
// GeoJSON and CSV download links of the filtered events.

import * as KS from './state.js';
import { API } from './api.js';
import { fmtInt } from './dom.js';
import { rangeText } from './dates.js';

// dataAsOf: how current the event layer is, from its collection: the date
// of its latest event and of its last edit (for the default data, the day
// its facts were compiled).
export function dataAsOf(c) {
  if (!c) return '';
  const day = (s) => (typeof s === 'string' && /^\d{4}-\d{2}-\d{2}/.test(s) ? s.slice(0, 10) : null);
  const interval = c.extent && c.extent.temporal && c.extent.temporal.interval && c.extent.temporal.interval[0];
  const latest = interval ? day(interval[1]) : null;
  const edited = day(c.updated);
  const parts = [];
  if (edited) parts.push(`Data as of ${edited}`);
  if (latest) parts.push(`latest event ${latest}`);
  return parts.join(' · ');
}

// createSummary: render(r) writes the summary of a source's result r;
// downloads(r) points the download links at the API with the filters
// (apiQuery(extra): the filters as API parameters).
export function createSummary(doc, store, ctx, source, map, apiQuery) {
  const $ = (id) => doc.getElementById(id);
  const events = ctx.events;

  function render(r) {
    const state = store.get();
    const parts = [];
    if (KS.hasFilters(state)) parts.push(`${fmtInt(r.count)} of ${fmtInt(source.total)} events`);
    else parts.push(`${fmtInt(r.count)} events`);
    if (r.killed !== null && ctx.eventProps.has(ctx.words.magnitude)) parts.push(`${fmtInt(r.killed)} killed`);
    if (state.time) parts.push(rangeText(state.time));
    $('summary').textContent = parts.join(' · ');
    $('range-count').textContent = `${fmtInt(r.count)} event${r.count === 1 ? '' : 's'}`;
    const empty = r.count === 0 && events && map.hasLayer(events);
    $('empty').hidden = !empty;
  }

  function downloads(r) {
    const state = store.get();
    const id = ctx.eventId;
    const sort = KS.sortParam(state.sort, ctx.words, ctx.eventProps);
    for (const [f, a, ext] of [['json', $('dl-geojson'), 'geojson'], ['csv', $('dl-csv'), 'csv']]) {
      const q = apiQuery({ f, limit: '10000', ...(sort ? { sortby: sort } : {}) });
      a.href = new URL(`collections/${encodeURIComponent(id)}/items?${q.toString().replace(/\+/g, '%20')}`, API).href;
      a.setAttribute('download', `khorasan-${id}${KS.hasFilters(state) ? '-filtered' : ''}.${ext}`);
      a.title = r && r.count > 10000
        ? `The first 10,000 of ${fmtInt(r.count)} events; the API's next links give the rest`
        : `The ${r ? fmtInt(r.count) : ''} events of the table, as ${ext === 'csv' ? 'CSV' : 'GeoJSON'}`;
    }
    $('downloads').hidden = false;
  }

  return { render, downloads };
}
