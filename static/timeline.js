// The map page's timeline: a histogram of the events per month or year,
// a range brush over it (drag, click, keyboard), year buttons, and a
// player that moves the range through the years. onChange gets the
// brushed range as a state time ({start, end}, or null for all time).

import { el, svg } from './dom.js';
import { MONTHS, dateOfStart, dateOfEnd, indexOf } from './dates.js';

export function createTimeline(root, domain, onChange) {
  const { unit, first, last } = domain;
  const n = last - first + 1;
  const H = 60;
  root.replaceChildren();
  const bars = svg('svg', { class: 'bars', height: H, 'aria-hidden': 'true', preserveAspectRatio: 'none' });
  const layer = el('div', { class: 'brush-layer' });
  const sel = el('div', { class: 'brush-sel' });
  const hStart = el('div', { class: 'handle handle-start', role: 'slider', tabindex: 0, 'aria-label': 'Start of the time range' });
  const hEnd = el('div', { class: 'handle handle-end', role: 'slider', tabindex: 0, 'aria-label': 'End of the time range' });
  sel.append(hStart, hEnd);
  layer.append(sel);
  const years = el('div', { class: 'years' });
  const plot = el('div', { class: 'plot' }, bars, layer);
  root.append(plot, years);
  let bins = new Array(n).fill(0);
  // series: the other events layers picked, each {id, title, color,
  // bins} drawn as a bar beside the data layer's in every bin.
  let series = [];
  let range = null; // {a, b} bin indexes relative to first, or null = all
  let width = 0;

  const x = (i) => (i / n) * width;
  const binAt = (px) => Math.max(0, Math.min(n - 1, Math.floor((px / width) * n)));

  function label(i) {
    const abs = first + i;
    return unit === 'year' ? String(abs) : `${MONTHS[abs % 12]} ${Math.floor(abs / 12)}`;
  }

  function drawBars() {
    width = plot.clientWidth || 600;
    bars.setAttribute('width', width);
    bars.setAttribute('viewBox', `0 0 ${width} ${H}`);
    const max = Math.max(1, ...bins, ...series.flatMap((s) => s.bins));
    const slots = series.length + 1;
    const bw = width / n;
    const gap = bw > 4 ? 1 : 0;
    const sw = Math.max(1, (bw - gap) / slots);
    const parts = [];
    series.forEach((s, k) => {
      for (let i = 0; i < n; i++) {
        if (!s.bins[i]) continue;
        const h = Math.max(2, (s.bins[i] / max) * (H - 6));
        const r = svg('rect', { x: x(i) + gap / 2 + sw * (k + 1), y: H - h, width: sw, height: h, class: 'bar-series', fill: s.color, 'data-layer': s.id });
        const t = svg('title');
        t.textContent = `${s.title}, ${label(i)}: ${s.bins[i]} event${s.bins[i] === 1 ? '' : 's'}`;
        r.append(t);
        parts.push(r);
      }
    });
    for (let i = 0; i < n; i++) {
      if (!bins[i]) continue;
      const h = Math.max(2, (bins[i] / max) * (H - 6));
      const inRange = !range || (i >= range.a && i <= range.b);
      const r = svg('rect', { x: x(i) + gap / 2, y: H - h, width: slots > 1 ? sw : Math.max(1, bw - gap), height: h, class: inRange ? 'bar in' : 'bar out' });
      const t = svg('title');
      t.textContent = `${label(i)}: ${bins[i]} event${bins[i] === 1 ? '' : 's'}`;
      r.append(t);
      parts.push(r);
    }
    parts.push(svg('line', { x1: 0, x2: width, y1: H - 0.5, y2: H - 0.5, class: 'axis' }));
    bars.replaceChildren(...parts);
    drawBrush();
    drawYears();
  }

  function drawBrush() {
    const r = range || { a: 0, b: n - 1 };
    sel.style.left = `${x(r.a)}px`;
    sel.style.width = `${Math.max(2, x(r.b + 1) - x(r.a))}px`;
    sel.classList.toggle('all', !range);
    for (const [h, i] of [[hStart, r.a], [hEnd, r.b]]) {
      h.setAttribute('aria-valuemin', String(first));
      h.setAttribute('aria-valuemax', String(last));
      h.setAttribute('aria-valuenow', String(first + i));
      h.setAttribute('aria-valuetext', label(i));
    }
    for (const rect of bars.querySelectorAll('rect.bar')) {
      const i = Math.round((Number(rect.getAttribute('x')) / width) * n);
      const inRange = !range || (i >= range.a && i <= range.b);
      rect.setAttribute('class', inRange ? 'bar in' : 'bar out');
    }
  }

  function drawYears() {
    const per = unit === 'year' ? 1 : 12;
    const y0 = unit === 'year' ? first : Math.floor(first / 12);
    const y1 = unit === 'year' ? last : Math.floor(last / 12);
    const span = (width / n) * per;
    const step = span >= 34 ? 1 : span >= 17 ? 2 : 5;
    const buttons = [];
    for (let y = y0; y <= y1; y++) {
      const i = (unit === 'year' ? y : y * 12) - first;
      const b = el('button', {
        type: 'button', class: 'year', 'data-year': y,
        style: `left:${x(i)}px;width:${span}px`,
        'aria-label': `Show ${y}; with Shift, extend the range to ${y}`,
      }, (y - y0) % step === 0 ? String(y) : '');
      b.addEventListener('click', (ev) => selectYear(y, ev.shiftKey));
      buttons.push(b);
    }
    years.replaceChildren(...buttons);
  }

  function selectYear(y, extend) {
    const a = (unit === 'year' ? y : y * 12) - first;
    const b = (unit === 'year' ? y : y * 12 + 11) - first;
    if (extend && range) set({ a: Math.min(a, range.a), b: Math.max(b, range.b) }, true);
    else set({ a: Math.max(0, a), b: Math.min(n - 1, b) }, true);
  }

  function toTime(r) {
    if (!r || (r.a <= 0 && r.b >= n - 1)) return null;
    return { start: dateOfStart(unit, first + r.a), end: dateOfEnd(unit, first + r.b) };
  }

  function set(r, fire) {
    const full = !r || (r.a <= 0 && r.b >= n - 1);
    range = full ? null : { a: Math.max(0, r.a), b: Math.min(n - 1, r.b) };
    drawBrush();
    if (fire) onChange(toTime(range));
  }

  // Dragging: a handle moves its end, the selection moves whole, the
  // background draws a new range. A click without a drag picks one bin.
  let drag = null;
  layer.addEventListener('pointerdown', (ev) => {
    if (ev.button !== 0) return;
    const rect = layer.getBoundingClientRect();
    const i = binAt(ev.clientX - rect.left);
    const r = range || { a: 0, b: n - 1 };
    let kind = 'new';
    if (ev.target === hStart) kind = 'start';
    else if (ev.target === hEnd) kind = 'end';
    else if (range && ev.target === sel) kind = 'move';
    drag = { kind, from: i, r0: { ...r }, moved: false, left: rect.left };
    layer.setPointerCapture(ev.pointerId);
    ev.preventDefault();
  });
  layer.addEventListener('pointermove', (ev) => {
    if (!drag) return;
    const i = binAt(ev.clientX - drag.left);
    if (i !== drag.from) drag.moved = true;
    if (!drag.moved) return;
    const { r0 } = drag;
    let r;
    if (drag.kind === 'start') r = { a: Math.min(i, r0.b), b: r0.b };
    else if (drag.kind === 'end') r = { a: r0.a, b: Math.max(i, r0.a) };
    else if (drag.kind === 'move') {
      const d = Math.max(-r0.a, Math.min(n - 1 - r0.b, i - drag.from));
      r = { a: r0.a + d, b: r0.b + d };
    } else r = { a: Math.min(i, drag.from), b: Math.max(i, drag.from) };
    set(r, true);
  });
  const end = (ev) => {
    if (!drag) return;
    if (!drag.moved && drag.kind === 'new') set({ a: drag.from, b: drag.from }, true);
    drag = null;
    try { layer.releasePointerCapture(ev.pointerId); } catch (_) { /* already released */ }
  };
  layer.addEventListener('pointerup', end);
  layer.addEventListener('pointercancel', end);

  // Keyboard: arrows move a handle by one bin, Page Up/Down by a year.
  for (const [h, which] of [[hStart, 'a'], [hEnd, 'b']]) {
    h.addEventListener('keydown', (ev) => {
      const r = { ...(range || { a: 0, b: n - 1 }) };
      const big = unit === 'month' ? 12 : 5;
      const d = { ArrowLeft: -1, ArrowDown: -1, ArrowRight: 1, ArrowUp: 1, PageDown: -big, PageUp: big }[ev.key];
      if (ev.key === 'Home') r[which] = 0;
      else if (ev.key === 'End') r[which] = n - 1;
      else if (d) r[which] += d;
      else return;
      ev.preventDefault();
      r[which] = Math.max(0, Math.min(n - 1, r[which]));
      if (r.a > r.b) {
        if (which === 'a') r.b = r.a;
        else r.a = r.b;
      }
      set(r, true);
    });
  }

  new ResizeObserver(() => { if (plot.clientWidth !== width) drawBars(); }).observe(plot);

  return {
    unit, first, last, n,
    setBins(b) {
      bins = b || new Array(n).fill(0);
      drawBars();
    },
    // setSeries: the other picked events layers' bars ([] for none).
    setSeries(list) {
      series = list || [];
      drawBars();
    },
    setTime(t) {
      if (!t) { set(null, false); return; }
      const a = t.start ? indexOf(unit, t.start) - first : 0;
      const b = t.end ? indexOf(unit, t.end) - first : n - 1;
      range = (a <= 0 && b >= n - 1) ? null : { a: Math.max(0, a), b: Math.min(n - 1, b) };
      drawBrush();
    },
    range: () => range,
    // One play step: the range moves one bin later; false at the end.
    step() {
      const r = range && (range.b - range.a) < n - 1 ? range : { a: -1, b: (unit === 'month' ? 11 : 0) - 1 };
      if (r.b + 1 > n - 1) return false;
      set({ a: r.a + 1, b: r.b + 1 }, true);
      return true;
    },
    atEnd: () => !!range && range.b >= n - 1,
    restart() {
      const w = range ? range.b - range.a : (unit === 'month' ? 11 : 0);
      set({ a: 0, b: Math.min(n - 1, w) }, true);
    },
  };
}

// createPlayer: the Play button moves the timeline's range one bin at a
// time until its end. stop() is for anything else that sets the range.
export function createPlayer(button, timeline, map) {
  let timer = 0;
  function stop() {
    if (!timer) return;
    clearInterval(timer);
    timer = 0;
    button.setAttribute('aria-pressed', 'false');
    button.querySelector('.play-icon').textContent = '▶';
    button.querySelector('.play-label').textContent = 'Play';
  }
  function start() {
    map.closePopup();
    if (timeline.atEnd() || !timeline.range()) timeline.restart();
    button.setAttribute('aria-pressed', 'true');
    button.querySelector('.play-icon').textContent = '❚❚';
    button.querySelector('.play-label').textContent = 'Pause';
    timer = setInterval(() => {
      if (!timeline.step()) stop();
    }, timeline.unit === 'month' ? 260 : 900);
  }
  button.addEventListener('click', () => (timer ? stop() : start()));
  return { stop };
}
