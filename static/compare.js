// The map page's month-by-month comparison (#compare, opened by
// #compare-open): for each picked events layer, its events and its
// magnitude (its profile's: killed, fatalities...) per month, side by
// side in a bar chart and a table. The numbers are the API's
// /api/collections/{id}/aggregate?by=month under the filters the page
// applies to each layer's items (aggregate.js layerTerms), shown as the
// answers give them. Open or closed is the state's compare (state.js).

import * as KA from './aggregate.js';
import * as KP from './profiles.js';
import { API, fetchJSON } from './api.js';
import { el, svg, fmtInt } from './dom.js';
import { pickedLayers, termsFor } from './choropleth.js';

const CHART = { height: 120, top: 14, bottom: 20, left: 40, right: 8 };

// createCompare wires the button and the panel; refresh() applies the
// state; last() is what is shown ({layers: [{id, url, doc}], table}) for
// the browser tests.
export function createCompare(doc, store, ctx, look, onResize) {
  const panel = doc.getElementById('compare');
  const button = doc.getElementById('compare-open');
  const chart = doc.getElementById('compare-chart');
  const table = doc.getElementById('compare-table');
  const note = doc.getElementById('compare-note');
  let measure = 'count';
  let last = null;
  let seq = 0;
  button.disabled = !ctx.eventId;
  button.addEventListener('click', () => store.change({ compare: !store.get().compare }));
  doc.getElementById('compare-close').addEventListener('click', () => store.change({ compare: false }));
  panel.addEventListener('change', (ev) => {
    if (ev.target.name !== 'compare-measure') return;
    measure = ev.target.value;
    if (last) drawChart(last);
  });

  function drawChart(shown) {
    const { layers, table: t } = shown;
    const span = KA.monthSpan(t.months[0], t.months[t.months.length - 1]);
    const width = Math.max(320, chart.clientWidth || 800);
    const n = Math.max(1, span.length);
    const plotW = width - CHART.left - CHART.right;
    const plotH = CHART.height - CHART.top - CHART.bottom;
    const step = plotW / n;
    const barW = Math.max(1, (step * 0.85) / layers.length);
    const value = (c) => (c ? (measure === 'sum' ? c.sum || 0 : c.count) : 0);
    const byMonth = new Map(t.rows.map((r) => [r.month, r.cells]));
    // Year labels about 32 px apart at least: every year, or every few.
    const every = Math.max(1, Math.ceil(32 / (12 * step)));
    const max = Math.max(1, ...t.rows.flatMap((r) => r.cells.map(value)));
    const parts = [
      svg('line', { x1: CHART.left, x2: width - CHART.right, y1: CHART.top + plotH, y2: CHART.top + plotH, stroke: '#999' }),
    ];
    const label = (x, y, text, anchor) => {
      const node = svg('text', { x, y, 'font-size': 10, fill: '#555', 'text-anchor': anchor || 'start' });
      node.textContent = text;
      return node;
    };
    parts.push(label(CHART.left - 4, CHART.top + 4, fmtInt(max), 'end'), label(CHART.left - 4, CHART.top + plotH, '0', 'end'));
    span.forEach((month, i) => {
      const x0 = CHART.left + i * step;
      if ((month.endsWith('-01') || (i === 0 && Number(month.slice(5)) <= 9)) && Number(month.slice(0, 4)) % every === 0) {
        parts.push(svg('line', { x1: x0, x2: x0, y1: CHART.top + plotH, y2: CHART.top + plotH + 4, stroke: '#999' }));
        // The last year's label ends at the edge rather than past it.
        const room = x0 + 28 <= width;
        parts.push(label(room ? x0 + 1 : width - 1, CHART.height - 4, month.slice(0, 4), room ? 'start' : 'end'));
      }
      const cells = byMonth.get(month);
      if (!cells) return;
      cells.forEach((c, j) => {
        const v = value(c);
        if (!v) return;
        const h = (v / max) * plotH;
        const r = svg('rect', {
          x: x0 + j * barW, y: CHART.top + plotH - h, width: Math.max(1, barW - 0.3), height: h,
          fill: layers[j].color, class: 'compare-bar', 'data-layer': layers[j].id, 'data-month': month,
        });
        const title = svg('title');
        title.textContent = `${month} · ${layers[j].title}: ${fmtInt(c.count)} events${layers[j].magnitude ? `, ${c.sum === null ? 'no figure' : fmtInt(c.sum)} ${layers[j].magnitude}` : ''}`;
        r.append(title);
        parts.push(r);
      });
    });
    chart.replaceChildren(svg('svg', { width, height: CHART.height, viewBox: `0 0 ${width} ${CHART.height}`, role: 'img',
      'aria-label': `${measure === 'sum' ? 'Killed' : 'Events'} per month, one bar per layer` }, ...parts));
  }

  function drawTable(shown) {
    const { layers, table: t } = shown;
    const num = (v, attrs) => el('td', { class: 'num', ...attrs }, v === null || v === undefined ? '–' : fmtInt(v));
    const head1 = el('tr', null, el('th', { rowspan: 2, scope: 'col' }, 'Month'),
      layers.map((l) => el('th', { colspan: l.magnitude ? 2 : 1, scope: 'colgroup', 'data-layer': l.id },
        el('span', { class: 'chip-dot', style: `background:${l.color}`, 'aria-hidden': 'true' }), ` ${l.title}`)));
    const head2 = el('tr', null, layers.flatMap((l) => [el('th', { scope: 'col', class: 'num' }, 'events'),
      l.magnitude ? el('th', { scope: 'col', class: 'num' }, l.magnitude) : null]));
    const cellsOf = (cells, month) => cells.flatMap((c, j) => {
      const l = layers[j];
      const at = (m) => ({ 'data-layer': l.id, 'data-month': month, 'data-measure': m });
      return [num(c ? c.count : 0, at('count')), l.magnitude ? num(c ? c.sum : null, at('sum')) : null];
    });
    const body = t.rows.map((r) => el('tr', { 'data-month': r.month }, el('th', { scope: 'row' }, r.month), cellsOf(r.cells, r.month)));
    const foot = [];
    if (t.undated.some(Boolean)) {
      foot.push(el('tr', { class: 'undated' }, el('th', { scope: 'row' }, 'no date'),
        layers.flatMap((l, j) => [num(t.undated[j], { 'data-layer': l.id, 'data-month': '', 'data-measure': 'count' }), l.magnitude ? el('td') : null])));
    }
    foot.push(el('tr', { class: 'total' }, el('th', { scope: 'row' }, 'Total'),
      t.totals.flatMap((c, j) => {
        const at = (m) => ({ 'data-layer': layers[j].id, 'data-month': 'total', 'data-measure': m });
        return [num(c.count, at('count')), layers[j].magnitude ? num(c.sum, at('sum')) : null];
      })));
    table.replaceChildren(...table.querySelectorAll('caption'), el('thead', null, head1, head2), el('tbody', null, body), el('tfoot', null, foot));
  }

  async function refresh() {
    const mine = ++seq;
    const s = store.get();
    const open = !!s.compare && !!ctx.eventId;
    const wasOpen = !panel.hidden;
    panel.hidden = !open;
    button.setAttribute('aria-expanded', String(open));
    if (open !== wasOpen && onResize) onResize();
    if (!open) { last = null; delete doc.body.dataset.compare; return; }
    doc.body.dataset.compare = 'loading';
    const ids = pickedLayers(ctx, s);
    const looks = await Promise.all(ids.map(look));
    const timed = ids.filter((id, i) => looks[i].words.time);
    const skipped = ids.filter((id, i) => !looks[i].words.time);
    let answers;
    try {
      answers = await Promise.all(timed.map(async (id) => {
        const url = new URL(`collections/${encodeURIComponent(id)}/aggregate?${KA.aggregateParams(await termsFor(look, ctx, id, s), 'month')}`, API);
        return { id, url: url.pathname + url.search, doc: await fetchJSON(url) };
      }));
    } catch (err) {
      if (mine !== seq) return;
      note.textContent = `The comparison could not be had: ${err.message}`;
      doc.body.dataset.compare = 'error';
      return;
    }
    if (mine !== seq) return;
    const layers = answers.map((a, i) => ({
      id: a.id, title: ctx.titles[a.id] || a.id, color: KP.layerColor(ctx, a.id) || KP.PALETTE[i % KP.PALETTE.length], magnitude: a.doc.magnitude || null,
    }));
    const t = KA.monthTable(answers);
    const names = [...new Set(layers.map((l) => l.magnitude).filter(Boolean))];
    const sumLabel = panel.querySelector('input[name="compare-measure"][value="sum"]');
    sumLabel.disabled = !names.length;
    sumLabel.nextSibling.textContent = ` ${names.join(' / ') || 'magnitude'}`;
    last = { layers: answers, table: t };
    drawTable({ layers, table: t });
    drawChart({ layers, table: t });
    if (onResize) onResize();
    last.draw = { layers, table: t };
    note.textContent = [
      `Each layer under the page's filters on the fields it has (the attribution chips on the data layer only); ${t.months.length} months with events.`,
      skipped.length ? ` Not compared, without dates: ${skipped.map((id) => ctx.titles[id] || id).join(', ')}.` : '',
    ].join('');
    doc.body.dataset.compare = 'ready';
  }

  // The chart fits the panel's width.
  window.addEventListener('resize', () => { if (last && last.draw) drawChart(last.draw); });

  return { refresh, last: () => last };
}
