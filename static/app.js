// The Khorasan map page: the map (map.js), a timeline with a histogram
// and a range brush, filters, a sortable table of the events, downloads
// and a share panel, all kept in the page's URL (the format is described
// in state.js). Plain browser JavaScript, no build step.
//
// Filters run in the page when the event layer is small (its features are
// all loaded, as GeoJSON) and through the API's parameters when it is
// large (more than the server's vectorThreshold, drawn from vector tiles):
// then the counts, the histogram (per year) and the table come from the
// API, with the very filter the page would apply (state.js).
//
// When the page is ready it sets body[data-ready=true] and exposes
// window.khorasan, which the browser tests use.
(function () {
  'use strict';

  const KS = window.Khorasan.state;
  const KM = window.Khorasan.map;
  const { el, fmtInt } = KM;
  const $ = (id) => document.getElementById(id);

  const TABLE_ROWS = 500; // rows drawn at most; the counts cover them all
  const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

  // ---- status and notice

  const statusEl = $('status');
  function setStatus(text, isError) {
    statusEl.textContent = text;
    statusEl.hidden = !text;
    statusEl.classList.toggle('error', !!isError);
    statusEl.setAttribute('role', isError ? 'alert' : 'status');
  }

  function showNotice(problems) {
    if (!problems.length) return;
    const text = problems.length === 1
      ? `Part of this link could not be used, so the default is shown for it: ${problems[0]}.`
      : `Parts of this link could not be used, so the defaults are shown for them: ${problems.join('; ')}.`;
    $('notice-text').textContent = text;
    $('notice').hidden = false;
  }
  $('notice-close').addEventListener('click', () => { $('notice').hidden = true; });

  // ---- state

  const parsed = KS.parse(location.search);
  let state = parsed.state;
  const problems = parsed.problems.slice();

  const map = KM.createMap('map');
  L.control.scale({ imperial: false, maxWidth: 140 }).addTo(map);

  let ctx = null; // what map.js loaded
  let events = null; // the event layer
  let source = null; // page or API filtering
  let timeline = null;
  let legend = null;
  let viewTracked = false; // record the view once the first one is set
  let lastResult = null;

  let urlTimer = 0;
  function writeURL() {
    clearTimeout(urlTimer);
    urlTimer = setTimeout(() => {
      const qs = KS.serialize(state);
      const next = location.pathname + (qs ? '?' + qs : '') + location.hash;
      if (next !== location.pathname + location.search + location.hash) history.replaceState(null, '', next);
    }, 120);
  }

  function currentView() {
    const c = map.getCenter();
    return { lat: c.lat, lon: L.Util.wrapNum(c.lng, [-180, 180], true), zoom: map.getZoom() };
  }

  function visibleLayers() {
    if (!ctx) return [];
    return ctx.order.filter((id) => ctx.layers[id] && map.hasLayer(ctx.layers[id]));
  }

  // ---- the filters as expressions

  function terms(s, opts) {
    if (!ctx || !ctx.eventId) return [];
    return KS.filterTerms(s || state, ctx.eventProps, ctx.dateProp, opts);
  }

  function hasFilters(s) {
    const x = s || state;
    return !!(x.time || x.country.length || x.attribution.length || x.type.length || x.target || x.q || x.minKilled);
  }

  // The API query of the current filters, for downloads and /render.
  function apiQuery(extra) {
    const p = KS.apiParams(terms());
    for (const [k, v] of Object.entries(extra || {})) p.set(k, v);
    return p;
  }

  function sortBy(s) {
    const key = s.sort.key;
    const prop = key === 'date' ? (ctx.dateProp || 'date') : key;
    if (!ctx.eventProps.has(prop)) return '';
    return (s.sort.desc ? '-' : '') + prop;
  }

  // ---- sources: where counts, rows and the histogram come from

  function monthIndex(d) {
    return Number(d.slice(0, 4)) * 12 + Number(d.slice(5, 7)) - 1;
  }

  function compareRows(key, desc) {
    const get = (f) => {
      const p = f.properties || {};
      if (key === 'date') return p[ctx.dateProp || 'date'];
      return p[key];
    };
    return (a, b) => {
      const x = get(a);
      const y = get(b);
      const xn = x === null || x === undefined || x === '';
      const yn = y === null || y === undefined || y === '';
      let c;
      // Nulls first going up, last going down, as in SQLite.
      if (xn || yn) c = xn && yn ? 0 : xn ? -1 : 1;
      else if (typeof x === 'number' && typeof y === 'number') c = x - y;
      else c = String(x).localeCompare(String(y), 'en');
      return desc ? -c : c;
    };
  }

  // Small layers: every feature is in the page.
  function pageSource(layer) {
    const features = layer.features();
    const dateProp = ctx.dateProp;
    const dates = dateProp ? features.map((f) => (f.properties || {})[dateProp]).filter((d) => typeof d === 'string' && KS.validDate(d.slice(0, 10))).map((d) => d.slice(0, 10)).sort() : [];
    const domain = dates.length ? { unit: 'month', first: Number(dates[0].slice(0, 4)) * 12, last: Number(dates[dates.length - 1].slice(0, 4)) * 12 + 11 } : null;

    function facets(s) {
      const out = {};
      for (const facet of ['country', 'attribution', 'type']) {
        const pred = KS.predicate(terms({ ...s, [facet]: [] }));
        const counts = {};
        for (const f of features) {
          const p = f.properties || {};
          if (!pred(p)) continue;
          const key = facet === 'type' ? KS.typeOf(p.attack_type) : facet === 'attribution' ? KM.attributionKey(p.attribution) : p.country;
          if (key === null || key === undefined || key === '') continue;
          counts[key] = (counts[key] || 0) + 1;
        }
        out[facet] = counts;
      }
      return out;
    }

    return {
      kind: 'page',
      domain,
      total: features.length,
      countries: [...new Set(features.map((f) => (f.properties || {}).country).filter((c) => typeof c === 'string' && c))].sort(),
      targets: features.map((f) => String((f.properties || {}).target || '')),
      async apply(s) {
        const pred = KS.predicate(terms(s));
        layer.setFilter(pred);
        const rows = features.filter((f) => pred(f.properties));
        const killed = rows.reduce((a, f) => a + (Number((f.properties || {}).killed) || 0), 0);
        rows.sort(compareRows(s.sort.key, s.sort.desc));
        let bins = null;
        if (domain) {
          const noTime = KS.predicate(terms(s, { noTime: true }));
          bins = new Array(domain.last - domain.first + 1).fill(0);
          for (const f of features) {
            const p = f.properties || {};
            if (!noTime(p)) continue;
            const d = p[dateProp];
            if (typeof d !== 'string' || !KS.validDate(d.slice(0, 10))) continue;
            const i = monthIndex(d) - domain.first;
            if (i >= 0 && i < bins.length) bins[i]++;
          }
        }
        return { count: rows.length, killed, rows, bins, facets: facets(s) };
      },
    };
  }

  // Large layers: the API does the filtering; the map's vector tiles hide
  // what the same predicate drops.
  async function apiSource(layer, id) {
    const base = new URL(`collections/${encodeURIComponent(id)}/items`, KM.API);
    const dateProp = ctx.dateProp;
    async function get(params) {
      const u = new URL(base);
      for (const [k, v] of params) u.searchParams.set(k, v);
      return KM.fetchJSON(u);
    }
    let domain = null;
    if (dateProp) {
      const [lo, hi] = await Promise.all([
        get([['limit', '1'], ['sortby', dateProp], ['properties', dateProp], ['filter', `${dateProp} IS NOT NULL`]]),
        get([['limit', '1'], ['sortby', '-' + dateProp], ['properties', dateProp]]),
      ]);
      const a = lo.features[0] && lo.features[0].properties[dateProp];
      const b = hi.features[0] && hi.features[0].properties[dateProp];
      if (a && b) domain = { unit: 'year', first: Number(String(a).slice(0, 4)), last: Number(String(b).slice(0, 4)) };
    }
    const withParams = (p, more) => [...p.entries(), ...more];
    return {
      kind: 'api',
      domain,
      total: ctx.counts[id],
      countries: [],
      targets: [],
      async apply(s) {
        const t = terms(s);
        layer.setFilter(KS.predicate(t));
        const params = KS.apiParams(t);
        const sort = sortBy(s);
        const page = await get(withParams(params, [['limit', String(TABLE_ROWS)], ...(sort ? [['sortby', sort]] : [])]));
        let bins = null;
        if (domain) {
          const noTime = terms(s, { noTime: true });
          const years = [];
          for (let y = domain.first; y <= domain.last; y++) years.push(y);
          bins = await Promise.all(years.map(async (y) => {
            const p = KS.apiParams([{ during: [dateProp, `${y}-01-01`, `${y}-12-31`] }, ...noTime]);
            p.set('limit', '1');
            p.set('properties', '');
            const r = await get(p.entries());
            return r.numberMatched || 0;
          }));
        }
        return { count: page.numberMatched, killed: null, rows: page.features, bins, facets: null };
      },
    };
  }

  // ---- timeline: histogram, brush, years, play

  function dateOfStart(unit, i) {
    if (unit === 'year') return `${i}-01-01`;
    const y = Math.floor(i / 12);
    const m = (i % 12) + 1;
    return `${y}-${String(m).padStart(2, '0')}-01`;
  }

  function dateOfEnd(unit, i) {
    if (unit === 'year') return `${i}-12-31`;
    const y = Math.floor(i / 12);
    const m = i % 12;
    const last = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
    return `${y}-${String(m + 1).padStart(2, '0')}-${String(last).padStart(2, '0')}`;
  }

  function indexOf(unit, d) {
    return unit === 'year' ? Number(d.slice(0, 4)) : monthIndex(d);
  }

  function fmtDay(d) {
    const [y, m, day] = d.split('-').map(Number);
    return `${day} ${MONTHS[m - 1]} ${y}`;
  }

  // "2021", "Jan – Jun 2021", "Mar 2021 – Feb 2022", "26 Aug 2021 – 31 Dec 2021".
  function rangeText(t) {
    if (!t) return 'All time';
    const { start, end } = t;
    if (!start) return `Until ${fmtDay(end)}`;
    if (!end) return `From ${fmtDay(start)}`;
    const monthAligned = start.endsWith('-01') && end === dateOfEnd('month', monthIndex(end));
    if (!monthAligned) return start === end ? fmtDay(start) : `${fmtDay(start)} – ${fmtDay(end)}`;
    const [ys, ms] = [Number(start.slice(0, 4)), Number(start.slice(5, 7))];
    const [ye, me] = [Number(end.slice(0, 4)), Number(end.slice(5, 7))];
    if (ms === 1 && me === 12) return ys === ye ? String(ys) : `${ys}–${ye}`;
    if (ys === ye) return ms === me ? `${MONTHS[ms - 1]} ${ys}` : `${MONTHS[ms - 1]} – ${MONTHS[me - 1]} ${ys}`;
    return `${MONTHS[ms - 1]} ${ys} – ${MONTHS[me - 1]} ${ye}`;
  }

  function createTimeline(root, domain, onChange) {
    const { unit, first, last } = domain;
    const n = last - first + 1;
    const H = 60;
    root.replaceChildren();
    const bars = KM.svg('svg', { class: 'bars', height: H, 'aria-hidden': 'true', preserveAspectRatio: 'none' });
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
      const max = Math.max(1, ...bins);
      const bw = width / n;
      const gap = bw > 4 ? 1 : 0;
      const parts = [];
      for (let i = 0; i < n; i++) {
        if (!bins[i]) continue;
        const h = Math.max(2, (bins[i] / max) * (H - 6));
        const inRange = !range || (i >= range.a && i <= range.b);
        const r = KM.svg('rect', { x: x(i) + gap / 2, y: H - h, width: Math.max(1, bw - gap), height: h, class: inRange ? 'bar in' : 'bar out' });
        const t = KM.svg('title');
        t.textContent = `${label(i)}: ${bins[i]} event${bins[i] === 1 ? '' : 's'}`;
        r.append(t);
        parts.push(r);
      }
      parts.push(KM.svg('line', { x1: 0, x2: width, y1: H - 0.5, y2: H - 0.5, class: 'axis' }));
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

  let playTimer = 0;
  function stopPlay() {
    if (!playTimer) return;
    clearInterval(playTimer);
    playTimer = 0;
    const b = $('play');
    b.setAttribute('aria-pressed', 'false');
    b.querySelector('.play-icon').textContent = '▶';
    b.querySelector('.play-label').textContent = 'Play';
  }
  function startPlay() {
    if (!timeline) return;
    map.closePopup();
    if (timeline.atEnd() || !timeline.range()) timeline.restart();
    const b = $('play');
    b.setAttribute('aria-pressed', 'true');
    b.querySelector('.play-icon').textContent = '❚❚';
    b.querySelector('.play-label').textContent = 'Pause';
    playTimer = setInterval(() => {
      if (!timeline.step()) stopPlay();
    }, timeline.unit === 'month' ? 260 : 900);
  }
  $('play').addEventListener('click', () => (playTimer ? stopPlay() : startPlay()));

  // ---- filter form

  const form = $('filters');

  function chip(group, value, label, color) {
    const id = `f-${group}-${String(value).replace(/[^A-Za-z0-9]+/g, '-')}`;
    const input = el('input', { type: 'checkbox', id, name: group, value });
    input.addEventListener('change', () => {
      const list = state[group].filter((v) => v !== value);
      if (input.checked) list.push(value);
      changeState({ [group]: list });
    });
    return el('label', { class: 'chip', for: id },
      input,
      color ? el('span', { class: 'chip-dot', style: `background:${color}`, 'aria-hidden': 'true' }) : null,
      el('span', { class: 'chip-label' }, label),
      el('span', { class: 'chip-count', 'data-count': `${group}:${value}` }));
  }

  function buildForm() {
    const props = ctx.eventProps;
    const S = KM.style();
    const show = (node, yes) => { node.hidden = !yes; };
    show($('group-attribution'), props.has('attribution'));
    $('group-attribution').querySelector('.chip-list').replaceChildren(
      ...KS.ATTRIBUTIONS.map((a) => {
        const c = chip('attribution', a, a.charAt(0).toUpperCase() + a.slice(1), KM.attributionStyle(a).color);
        c.title = (S.attribution[a] && S.attribution[a].label) || a;
        return c;
      }));
    show($('group-type'), props.has('attack_type'));
    $('group-type').querySelector('.chip-list').replaceChildren(
      ...KS.TYPES.map((t) => chip('type', t.key, KM.typeStyle(t.key).label, state.color === 'type' ? KM.typeStyle(t.key).color : null)));
    const countries = source.countries;
    show($('group-country'), props.has('country') && countries.length > 0);
    $('group-country').querySelector('.chip-list').replaceChildren(...countries.map((c) => chip('country', c, c)));
    show($('field-target'), props.has('target'));
    show($('field-min'), props.has('killed'));
    show($('f-q').closest('.field'), props.has('name') || props.has('city'));
    // Suggestions: words people look for, where the data has them.
    const words = ['Shia mosque', 'Shia', 'Hazara', 'Sikh', 'Sufi shrine', 'church', 'school', 'education', 'hospital',
      'Taliban', 'military', 'police', 'bank', 'political rally', 'embassy', 'journalists', 'foreigners'];
    const targets = source.targets;
    $('target-suggestions').replaceChildren(...words
      .filter((w) => !targets.length || targets.some((t) => KS.caseVariants(w).some((v) => t.includes(v))))
      .map((w) => el('option', { value: w })));
    form.hidden = false;

    const text = (input, key) => {
      let t = 0;
      input.addEventListener('input', () => {
        clearTimeout(t);
        t = setTimeout(() => changeState({ [key]: input.value.trim() }), 180);
      });
      input.addEventListener('keydown', (ev) => {
        if (ev.key === 'Enter') {
          ev.preventDefault();
          clearTimeout(t);
          changeState({ [key]: input.value.trim() });
        }
      });
    };
    text($('f-q'), 'q');
    text($('f-target'), 'target');
    let mt = 0;
    $('f-min').addEventListener('input', () => {
      clearTimeout(mt);
      mt = setTimeout(() => {
        const v = $('f-min').value.trim();
        const n = /^\d+$/.test(v) ? Number(v) : null;
        changeState({ minKilled: n && n > 0 ? n : null });
      }, 180);
    });
    form.addEventListener('submit', (ev) => ev.preventDefault());
  }

  function syncForm() {
    for (const group of ['country', 'attribution', 'type']) {
      for (const input of form.querySelectorAll(`input[name="${group}"]`)) input.checked = state[group].includes(input.value);
    }
    if (document.activeElement !== $('f-q')) $('f-q').value = state.q;
    if (document.activeElement !== $('f-target')) $('f-target').value = state.target;
    if (document.activeElement !== $('f-min')) $('f-min').value = state.minKilled ? String(state.minKilled) : '';
    // The type chips show colours when markers are coloured by type.
    for (const t of KS.TYPES) {
      const label = form.querySelector(`label[for="f-type-${t.key}"]`);
      if (!label) continue;
      let d = label.querySelector('.chip-dot');
      if (state.color === 'type' && !d) label.insertBefore(el('span', { class: 'chip-dot', 'aria-hidden': 'true', style: `background:${KM.typeStyle(t.key).color}` }), label.querySelector('.chip-label'));
      if (state.color !== 'type' && d) d.remove();
    }
  }

  function showFacets(facets) {
    for (const node of form.querySelectorAll('.chip-count')) {
      if (!facets) { node.textContent = ''; continue; }
      const [group, value] = node.dataset.count.split(/:(.*)/s);
      const n = (facets[group] || {})[value] || 0;
      node.textContent = String(n);
      node.closest('.chip').classList.toggle('chip-empty', n === 0);
    }
  }

  for (const b of document.querySelectorAll('[data-action="reset"]')) {
    b.addEventListener('click', () => {
      stopPlay();
      changeState({ time: null, country: [], attribution: [], type: [], target: '', q: '', minKilled: null });
    });
  }

  // ---- table

  const COLUMNS = [
    { key: 'date', label: 'Date', prop: () => ctx.dateProp },
    { key: 'name', label: 'Event', prop: () => 'name' },
    { key: 'killed', label: 'Killed', prop: () => 'killed', cls: 'num' },
    { key: 'attribution', label: 'Attribution', prop: () => 'attribution', cls: 'col-attribution' },
  ];

  function tableColumns() {
    return COLUMNS.filter((c) => c.prop() && ctx.eventProps.has(c.prop()));
  }

  function buildTableHead() {
    const tr = document.querySelector('#events-table thead tr');
    tr.replaceChildren(...tableColumns().map((c) => {
      const b = el('button', { type: 'button', class: 'sort', 'data-sort': c.key }, c.label, el('span', { class: 'sort-mark', 'aria-hidden': 'true' }));
      b.addEventListener('click', () => {
        const desc = state.sort.key === c.key ? !state.sort.desc : (c.key === 'killed' || c.key === 'date');
        changeState({ sort: { key: c.key, desc } });
      });
      return el('th', { scope: 'col', class: c.cls || null }, b);
    }));
  }

  function syncTableHead() {
    for (const th of document.querySelectorAll('#events-table th')) {
      const b = th.querySelector('button');
      const on = b.dataset.sort === state.sort.key;
      if (on) th.setAttribute('aria-sort', state.sort.desc ? 'descending' : 'ascending');
      else th.removeAttribute('aria-sort');
      b.querySelector('.sort-mark').textContent = on ? (state.sort.desc ? ' ▼' : ' ▲') : '';
      b.title = `Sort by ${b.textContent.replace(/[▲▼]/g, '').trim().toLowerCase()}`;
    }
  }

  let rowsById = new Map();
  function renderTable(rows) {
    const tbody = document.querySelector('#events-table tbody');
    const cols = tableColumns();
    rowsById = new Map();
    const shown = rows.slice(0, TABLE_ROWS);
    const trs = shown.map((f, i) => {
      const p = f.properties || {};
      const id = KM.featureId(f);
      rowsById.set(id, f);
      const cells = cols.map((c) => {
        if (c.key === 'name') {
          const b = el('button', { type: 'button', class: 'row-link', tabindex: i === 0 ? 0 : -1, 'data-id': id },
            p.name || id);
          const where = [p.city, p.country].filter((x) => x).join(', ');
          return el('td', { class: 'col-name' }, b, where ? el('span', { class: 'city' }, where) : null);
        }
        if (c.key === 'date') {
          const d = p[ctx.dateProp];
          const cell = el('td', { class: 'col-date' }, d ? String(d).slice(0, 10) : '');
          if (!cols.some((x) => x.key === 'name')) {
            cell.replaceChildren(el('button', { type: 'button', class: 'row-link', tabindex: i === 0 ? 0 : -1, 'data-id': id }, d ? String(d).slice(0, 10) : id));
          }
          return cell;
        }
        if (c.key === 'killed') return el('td', { class: 'num' }, p.killed === null || p.killed === undefined ? '–' : fmtInt(p.killed));
        if (c.key === 'attribution') {
          return el('td', { class: 'col-attribution' },
            p.attribution ? el('span', { class: 'swatch', style: `background:${KM.attributionStyle(p.attribution).color}`, 'aria-hidden': 'true' }) : null,
            p.attribution || '');
        }
        return el('td', { class: c.cls || null }, p[c.key] === null || p[c.key] === undefined ? '' : String(p[c.key]));
      });
      return el('tr', { 'data-id': id, class: id === state.sel ? 'selected' : null, 'aria-current': id === state.sel ? 'true' : null }, cells);
    });
    tbody.replaceChildren(...trs);
    const note = $('table-note');
    if (!rows.length) {
      note.textContent = hasFilters() ? 'No events match these filters.' : 'This layer has no events.';
      note.hidden = false;
    } else if (lastResult && lastResult.count > shown.length) {
      note.textContent = `The table shows the first ${fmtInt(shown.length)} of ${fmtInt(lastResult.count)} events; narrow the filters to see the others here, or download them all.`;
      note.hidden = false;
    } else note.hidden = true;
  }

  // Rows: a click (or Enter) shows the event on the map; the up and down
  // arrows move between rows, and only one row is in the Tab order.
  const tbodyEl = document.querySelector('#events-table tbody');
  tbodyEl.addEventListener('click', (ev) => {
    const tr = ev.target.closest('tr[data-id]');
    if (!tr || ev.target.closest('a')) return;
    openEvent(tr.dataset.id);
  });
  tbodyEl.addEventListener('keydown', (ev) => {
    const b = ev.target.closest('.row-link');
    if (!b) return;
    const all = [...tbodyEl.querySelectorAll('.row-link')];
    const i = all.indexOf(b);
    const j = { ArrowDown: i + 1, ArrowUp: i - 1, Home: 0, End: all.length - 1, PageDown: i + 10, PageUp: i - 10 }[ev.key];
    if (j === undefined) return;
    ev.preventDefault();
    const k = Math.max(0, Math.min(all.length - 1, j));
    b.tabIndex = -1;
    all[k].tabIndex = 0;
    all[k].focus();
  });

  function highlightRow(id, scroll) {
    for (const tr of tbodyEl.querySelectorAll('tr.selected')) {
      tr.classList.remove('selected');
      tr.removeAttribute('aria-current');
    }
    if (!id) return;
    const tr = tbodyEl.querySelector(`tr[data-id="${CSS.escape(id)}"]`);
    if (!tr) return;
    tr.classList.add('selected');
    tr.setAttribute('aria-current', 'true');
    const b = tr.querySelector('.row-link');
    if (b) {
      for (const x of tbodyEl.querySelectorAll('.row-link[tabindex="0"]')) x.tabIndex = -1;
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

  function openEvent(id, opts) {
    if (!events) return false;
    if (events.vector) {
      const f = rowsById.get(id);
      if (f) return events.open(id, opts, f);
      // Not in the table (a link's sel): ask the API.
      KM.fetchJSON(new URL(`collections/${encodeURIComponent(ctx.eventId)}/items/${encodeURIComponent(id)}`, KM.API))
        .then((feature) => events.open(id, opts, feature)).catch(() => {});
      return true;
    }
    return events.open(id, opts);
  }

  // ---- summary, downloads, empty state

  // How current the event layer is, from its collection: the date of its
  // latest event and of its last edit (for the default data, the day its
  // facts were compiled).
  function dataAsOf(c) {
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

  function timeSummary() {
    return state.time ? rangeText(state.time) : null;
  }

  function renderSummary(r) {
    const total = source.total;
    const parts = [];
    if (hasFilters()) parts.push(`${fmtInt(r.count)} of ${fmtInt(total)} events`);
    else parts.push(`${fmtInt(r.count)} events`);
    if (r.killed !== null && ctx.eventProps.has('killed')) parts.push(`${fmtInt(r.killed)} killed`);
    const t = timeSummary();
    if (t) parts.push(t);
    $('summary').textContent = parts.join(' · ');
    $('range-count').textContent = `${fmtInt(r.count)} event${r.count === 1 ? '' : 's'}`;
    const empty = r.count === 0 && events && map.hasLayer(events);
    $('empty').hidden = !empty;
  }

  function updateDownloads() {
    const id = ctx.eventId;
    const sort = sortBy(state);
    for (const [f, a, ext] of [['json', $('dl-geojson'), 'geojson'], ['csv', $('dl-csv'), 'csv']]) {
      const q = apiQuery({ f, limit: '10000', ...(sort ? { sortby: sort } : {}) });
      a.href = new URL(`collections/${encodeURIComponent(id)}/items?${q.toString().replace(/\+/g, '%20')}`, KM.API).href;
      a.setAttribute('download', `khorasan-${id}${hasFilters() ? '-filtered' : ''}.${ext}`);
      a.title = lastResult && lastResult.count > 10000
        ? `The first 10,000 of ${fmtInt(lastResult.count)} events; the API's next links give the rest`
        : `The ${lastResult ? fmtInt(lastResult.count) : ''} events of the table, as ${ext === 'csv' ? 'CSV' : 'GeoJSON'}`;
    }
    $('downloads').hidden = false;
  }

  // ---- applying state

  let seq = 0;
  async function refresh() {
    if (!source) return;
    const mine = ++seq;
    let r;
    try {
      r = await source.apply(state);
    } catch (err) {
      console.error(err);
      if (mine === seq) setStatus(`The events could not be filtered: ${err.message}`, true);
      return;
    }
    if (mine !== seq) return; // a later change has overtaken this one
    lastResult = r;
    if (statusEl.classList.contains('error') && /filtered/.test(statusEl.textContent)) setStatus('');
    renderTable(r.rows);
    renderSummary(r);
    showFacets(r.facets);
    if (timeline) {
      timeline.setBins(r.bins);
      timeline.setTime(state.time);
    }
    $('range-text').textContent = rangeText(state.time);
    $('range-clear').hidden = !state.time;
    $('clear-filters').hidden = !hasFilters();
    updateDownloads();
    if (legend) legend.refresh();
    // The selected event stays selected only while it is shown.
    if (state.sel && events && !events.vector && !r.rows.some((f) => KM.featureId(f) === state.sel)) {
      state.sel = null;
      map.closePopup();
    }
    highlightRow(state.sel, false);
    document.body.dataset.shown = String(r.count);
  }

  function changeState(patch) {
    const before = state;
    state = { ...state, ...patch };
    if ('color' in patch && events) {
      events.setColor(state.color);
      if (legend) legend.refresh();
    }
    if ('mode' in patch && events) {
      events.setMode(state.mode);
      if (legend) legend.refresh();
    }
    syncForm();
    syncTableHead();
    syncDisplay();
    writeURL();
    const filtersChanged = ['time', 'country', 'attribution', 'type', 'target', 'q', 'minKilled', 'sort'].some((k) => k in patch && patch[k] !== before[k]);
    if (filtersChanged || 'color' in patch) refresh();
  }

  // ---- display control: marker mode and colour

  let displayBox = null;
  function buildDisplayControl() {
    const Display = L.Control.extend({
      options: { position: map.getSize().x >= 640 ? 'bottomleft' : 'topleft' },
      onAdd() {
        const vector = events && events.vector;
        const radios = (name, legendText, options) => el('fieldset', { class: 'display-group' },
          el('legend', null, legendText),
          options.map(([value, label, disabled]) => el('label', { class: disabled ? 'disabled' : null },
            el('input', { type: 'radio', name, value, disabled: !!disabled }), ` ${label}`)));
        displayBox = el('details', { class: 'display-control leaflet-bar', open: map.getSize().x >= 640 },
          el('summary', null, 'Display'),
          radios('mode', 'Show events as', [['circles', 'Circles'], ['clusters', 'Clusters', vector], ['heat', 'Heat map', vector]]),
          radios('color', 'Colour by', [['attribution', 'Attribution'], ['type', 'Attack type', !ctx.eventProps.has('attack_type')]]));
        displayBox.addEventListener('change', (ev) => {
          const t = ev.target;
          if (t.name === 'mode') changeState({ mode: t.value });
          if (t.name === 'color') changeState({ color: t.value });
        });
        L.DomEvent.disableClickPropagation(displayBox);
        return displayBox;
      },
    });
    new Display().addTo(map);
    syncDisplay();
  }

  function syncDisplay() {
    if (!displayBox) return;
    for (const i of displayBox.querySelectorAll('input')) i.checked = state[i.name] === i.value;
  }

  // ---- share panel

  const shareDialog = $('share');
  let embedPath = null;

  async function findEmbedPath() {
    if (embedPath) return embedPath;
    // /embed once the server routes it; the file itself until then.
    try {
      const res = await fetch(new URL('embed', document.baseURI), { method: 'HEAD' });
      embedPath = res.ok ? 'embed' : 'embed.html';
    } catch (_) {
      embedPath = 'embed.html';
    }
    return embedPath;
  }

  function autoTitle() {
    const base = (ctx.titles[ctx.eventId] || 'Events').replace(/\s*\d{4}\s*[–-]\s*\d{4}\s*$/, '');
    const parts = [];
    if (state.time) parts.push(rangeText(state.time));
    if (state.attribution.length) parts.push(state.attribution.join(' or '));
    if (state.type.length) parts.push(state.type.map((k) => KM.typeStyle(k).label.toLowerCase()).join(' or '));
    if (state.country.length) parts.push(state.country.join(', '));
    if (state.target) parts.push(`target: ${state.target}`);
    if (state.q) parts.push(`“${state.q}”`);
    if (state.minKilled) parts.push(`${state.minKilled}+ killed`);
    return parts.length ? `${base}: ${parts.join('; ')}` : base;
  }

  function permalinkState() {
    return { ...state, view: currentView() };
  }

  function shareLinks(title) {
    const here = new URL(location.href);
    const qs = KS.serialize(permalinkState());
    const permalink = new URL(here.pathname + (qs ? '?' + qs : ''), here.origin).href;
    const embedQS = KS.serialize(permalinkState(), { noSort: true });
    const embed = new URL(`${embedPath || 'embed.html'}${embedQS ? '?' + embedQS : ''}`, document.baseURI).href;
    const attr = (s) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
    const snippet = `<iframe src="${attr(embed)}" width="800" height="500" style="border:0" title="${attr(title || 'Khorasan map')}" loading="lazy" allowfullscreen></iframe>`;
    const b = map.getBounds();
    const clamp = (v, lo, hi) => Math.max(lo, Math.min(hi, v));
    const r4 = (v) => Math.round(v * 1e4) / 1e4;
    const bbox = [clamp(b.getWest(), -180, 180), clamp(b.getSouth(), -85, 85), clamp(b.getEast(), -180, 180), clamp(b.getNorth(), -85, 85)].map(r4).join(',');
    const images = {};
    for (const format of ['png', 'svg', 'pdf']) {
      const p = new URLSearchParams({ bbox, width: '1200', height: '800', layers: visibleLayers().join(','), format });
      for (const [k, v] of apiQuery()) p.set(k, v);
      if (title) p.set('title', title);
      images[format] = new URL(`render?${p.toString().replace(/\+/g, '%20')}`, document.baseURI).href;
    }
    return { permalink, embed, snippet, images };
  }

  function fillShare() {
    const titleInput = $('share-title-input');
    const links = shareLinks(titleInput.value.trim());
    $('share-link').value = links.permalink;
    $('share-embed').value = links.snippet;
    for (const f of ['png', 'svg', 'pdf']) {
      $(`share-${f}`).value = links.images[f];
      $(`open-${f}`).href = links.images[f];
    }
    return links;
  }

  $('share-open').addEventListener('click', async () => {
    await findEmbedPath();
    $('share-title-input').value = autoTitle();
    fillShare();
    $('share-status').textContent = '';
    shareDialog.showModal();
  });
  $('share-title-input').addEventListener('input', fillShare);
  shareDialog.addEventListener('click', async (ev) => {
    if (ev.target === shareDialog) { shareDialog.close(); return; } // a click on the backdrop
    const b = ev.target.closest('[data-copy]');
    if (!b) return;
    const field = $(b.dataset.copy);
    let ok = false;
    try {
      await navigator.clipboard.writeText(field.value);
      ok = true;
    } catch (_) {
      field.select();
      try { ok = document.execCommand('copy'); } catch (__) { ok = false; }
    }
    const what = field.closest('.share-item').querySelector('label').textContent;
    $('share-status').textContent = ok ? `Copied: ${what}.` : 'Select the text and copy it with Ctrl+C (⌘C).';
  });

  // ---- controls under popups

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

  function fitPadding() {
    const size = map.getSize();
    const legendNode = document.querySelector('.legend');
    const right = legendNode && size.x > 760 && legendNode.open ? legendNode.offsetWidth + 20 : 16;
    const left = size.x > 760 ? 60 : 12;
    return { paddingTopLeft: [left, 16], paddingBottomRight: [right, 16], animate: false };
  }

  function buildViewButtons(region, all) {
    const Buttons = L.Control.extend({
      options: { position: 'topleft' },
      onAdd() {
        const box = el('div', { class: 'leaflet-bar view-buttons' });
        const r = el('button', { type: 'button', title: 'Zoom to the region' }, 'Region');
        const a = el('button', { type: 'button', title: 'Zoom to every attack, including those far from the region' }, 'All attacks');
        r.addEventListener('click', () => region && map.fitBounds(region, fitPadding()));
        a.addEventListener('click', () => all && map.fitBounds(all, fitPadding()));
        box.append(r, a);
        L.DomEvent.disableClickPropagation(box);
        return box;
      },
    });
    return new Buttons();
  }

  // ---- main

  async function main() {
    ctx = await KM.load(map, { dataId: state.data });
    KS.checkLayers(state, ctx.ids, problems);
    if (state.data && state.data !== ctx.eventId) {
      problems.push(`layer "${state.data}" has no dates to put on a timeline`);
      state.data = null;
    }
    if (ctx.styleProblem) problems.push(ctx.styleProblem);
    events = ctx.events;
    const asOf = dataAsOf(ctx.collections && ctx.collections[ctx.eventId]);
    $('data-asof').textContent = asOf;
    $('data-asof').hidden = !asOf;
    if (events && events.vector && state.mode !== 'circles') {
      problems.push(`${state.mode === 'heat' ? 'a heat map' : 'clusters'} cannot be drawn from a layer this large; it is shown as circles`);
      state.mode = 'circles';
    }

    for (const id of ctx.order) {
      const layer = ctx.layers[id];
      if (layer && (!state.layers || state.layers.includes(id))) layer.addTo(map);
    }
    const narrow = map.getSize().x < 640;
    const control = KM.layerControl(map, ctx, { collapsed: narrow });
    const onLayers = () => {
      const vis = visibleLayers();
      const all = ctx.order.filter((id) => ctx.layers[id]);
      state.layers = vis.length === all.length ? null : vis;
      writeURL();
      if (lastResult) renderSummary(lastResult);
    };
    map.on('overlayadd overlayremove', onLayers);

    const region = ctx.region;
    const allBounds = events && events.bounds ? events.bounds() : region;
    buildViewButtons(region, allBounds && allBounds.isValid() ? allBounds : region).addTo(map);
    if (events) {
      events.setColor(state.color);
      if (events.setMode) events.setMode(state.mode);
      buildDisplayControl();
    }
    legend = KM.buildLegend(() => KM.legendItems(events, {
      color: state.color, haveKhorasan: !!ctx.layers.khorasan, haveCities: !!ctx.layers.cities,
    }), !narrow);
    legend.addTo(map);
    if (!narrow) foldControlsUnderPopups(legend.getContainer(), control);
    // The legend scrolls rather than run under the layer control.
    const sizeLegend = () => {
      const top = control.getContainer().getBoundingClientRect();
      const bottom = legend.getContainer().getBoundingClientRect().bottom;
      const free = bottom - (control.getContainer().classList.contains('leaflet-control-layers-expanded') ? top.bottom : top.top + 44) - 12;
      legend.getContainer().style.maxHeight = `${Math.max(120, free)}px`;
    };
    sizeLegend();
    map.on('resize', sizeLegend);

    if (state.view) map.setView([state.view.lat, state.view.lon], state.view.zoom, { animate: false });
    else if (region) map.fitBounds(region, fitPadding());
    KM.rankCities(ctx);

    if (events) {
      source = events.vector ? await apiSource(events, ctx.eventId) : pageSource(events);
      buildForm();
      buildTableHead();
      if (source.domain) {
        $('timeline').hidden = false;
        map.invalidateSize();
        timeline = createTimeline($('histogram'), source.domain, (t) => changeState({ time: t }));
      }
      syncForm();
      syncTableHead();
      await refresh();
      $('range-clear').addEventListener('click', () => { stopPlay(); changeState({ time: null }); });
    } else {
      document.body.classList.add('no-events');
      map.invalidateSize();
    }

    map.on('popupopen', (e) => {
      const src = e.popup._source;
      const id = (src && src.eventId) || e.popup.eventId;
      if (!id) return;
      state.sel = id;
      highlightRow(id, true);
      writeURL();
    });
    map.on('popupclose', (e) => {
      const src = e.popup._source;
      const id = (src && src.eventId) || e.popup.eventId;
      // Another popup opening closes this one first; only a real close
      // clears the selection.
      setTimeout(() => {
        if (id && state.sel === id && !(map._popup && map.hasLayer(map._popup))) {
          state.sel = null;
          highlightRow(null);
          writeURL();
        }
      }, 0);
    });

    if (state.sel) {
      const id = state.sel;
      const ok = openEvent(id, { noMove: !!state.view, instant: true });
      if (!ok) {
        problems.push(`event "${id}" is not among the events shown`);
        state.sel = null;
      }
    }

    map.on('moveend', () => {
      if (!viewTracked) return;
      state.view = currentView();
      writeURL();
    });
    // Start recording the view once the first one has settled.
    setTimeout(() => { viewTracked = true; }, 0);

    showNotice(problems);
    writeURL();
    $('share-open').disabled = false;

    window.khorasan = {
      map,
      layers: ctx.layers,
      attackMarkers: events && events.markerCount ? events.markerCount : 0,
      attackMarker: (id) => (events && events.byId ? events.byId[id] || null : null),
      style: KM.style(),
      basemap: ctx.basemap,
      config: ctx.cfg,
      vectorLayers: [...ctx.vectorIds],
      eventLayer: ctx.eventId,
      state: () => JSON.parse(JSON.stringify(state)),
      problems,
      shown: () => (lastResult ? lastResult.count : null),
      shownMarkers: () => (events && events.shownIds ? events.shownIds() : null),
      tableIds: () => [...tbodyEl.querySelectorAll('tr[data-id]')].map((tr) => tr.dataset.id),
      share: () => shareLinks(autoTitle()),
      findEmbedPath,
      cql: () => KS.toCQL(terms()),
    };
    if (ctx.failures.length) {
      window.khorasan.error = `some layers could not be loaded: ${ctx.failures.join('; ')}`;
      setStatus(`Some layers could not be loaded: ${ctx.failures.join('; ')}`, true);
      document.body.dataset.ready = 'error';
      return;
    }
    setStatus('');
    document.body.dataset.ready = 'true';
  }

  main().catch((err) => {
    console.error(err);
    setStatus(`The map could not load its data: ${err.message}`, true);
    showNotice(problems);
    window.khorasan = { map, layers: {}, attackMarkers: 0, error: String(err && err.message || err) };
    document.body.dataset.ready = 'error';
  });
}());
