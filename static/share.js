// The map page's share dialog: a link to this map, an iframe snippet of
// the embed page, and PNG, SVG and PDF figures from /render, each with
// the current view, layers, time range and filters, and copy buttons.

import * as KS from './state.js';
import { typeStyle } from './style.js';
import { rangeText } from './dates.js';

// autoTitle: a figure's title from the event layer's title and the
// filters ("ISIS-K attacks: 2021; claimed; Afghanistan").
export function autoTitle(layerTitle, state) {
  const base = (layerTitle || 'Events').replace(/\s*\d{4}\s*[–-]\s*\d{4}\s*$/, '');
  const parts = [];
  if (state.time) parts.push(rangeText(state.time));
  if (state.attribution.length) parts.push(state.attribution.join(' or '));
  if (state.type.length) parts.push(state.type.map((k) => typeStyle(k).label.toLowerCase()).join(' or '));
  if (state.country.length) parts.push(state.country.join(', '));
  if (state.target) parts.push(`target: ${state.target}`);
  if (state.q) parts.push(`“${state.q}”`);
  if (state.minKilled) parts.push(`${state.minKilled}+ killed`);
  return parts.length ? `${base}: ${parts.join('; ')}` : base;
}

// createShare wires the dialog (#share). page: { map, ctx, store,
// currentView(), visibleLayers(), apiQuery() }.
export function createShare(doc, page) {
  const $ = (id) => doc.getElementById(id);
  const { map, ctx, store } = page;
  const dialog = $('share');
  let embedPath = null;

  async function findEmbedPath() {
    if (embedPath) return embedPath;
    // /embed once the server routes it; the file itself until then.
    try {
      const res = await fetch(new URL('embed', doc.baseURI), { method: 'HEAD' });
      embedPath = res.ok ? 'embed' : 'embed.html';
    } catch (_) {
      embedPath = 'embed.html';
    }
    return embedPath;
  }

  const title = () => autoTitle(ctx.titles[ctx.eventId], store.get());

  function links(figureTitle) {
    const here = new URL(location.href);
    const permalinkState = { ...store.get(), view: page.currentView() };
    const qs = KS.serialize(permalinkState);
    const permalink = new URL(here.pathname + (qs ? '?' + qs : ''), here.origin).href;
    const embedQS = KS.serialize(permalinkState, { noSort: true });
    const embed = new URL(`${embedPath || 'embed.html'}${embedQS ? '?' + embedQS : ''}`, doc.baseURI).href;
    const attr = (s) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
    const snippet = `<iframe src="${attr(embed)}" width="800" height="500" style="border:0" title="${attr(figureTitle || 'Khorasan map')}" loading="lazy" allowfullscreen></iframe>`;
    const b = map.getBounds();
    const clamp = (v, lo, hi) => Math.max(lo, Math.min(hi, v));
    const r4 = (v) => Math.round(v * 1e4) / 1e4;
    const bbox = [clamp(b.getWest(), -180, 180), clamp(b.getSouth(), -85, 85), clamp(b.getEast(), -180, 180), clamp(b.getNorth(), -85, 85)].map(r4).join(',');
    const images = {};
    for (const format of ['png', 'svg', 'pdf']) {
      const p = new URLSearchParams({ bbox, width: '1200', height: '800', layers: page.visibleLayers().join(','), format });
      for (const [k, v] of page.apiQuery()) p.set(k, v);
      if (figureTitle) p.set('title', figureTitle);
      // The figure's basemap labels in the page's language.
      if (permalinkState.lang && permalinkState.lang !== 'en') p.set('lang', permalinkState.lang);
      images[format] = new URL(`render?${p.toString().replace(/\+/g, '%20')}`, doc.baseURI).href;
    }
    return { permalink, embed, snippet, images };
  }

  function fill() {
    const l = links($('share-title-input').value.trim());
    $('share-link').value = l.permalink;
    $('share-embed').value = l.snippet;
    for (const f of ['png', 'svg', 'pdf']) {
      $(`share-${f}`).value = l.images[f];
      $(`open-${f}`).href = l.images[f];
    }
    return l;
  }

  $('share-open').addEventListener('click', async () => {
    await findEmbedPath();
    $('share-title-input').value = title();
    fill();
    $('share-status').textContent = '';
    dialog.showModal();
  });
  $('share-title-input').addEventListener('input', fill);
  dialog.addEventListener('click', async (ev) => {
    if (ev.target === dialog) { dialog.close(); return; } // a click on the backdrop
    const b = ev.target.closest('[data-copy]');
    if (!b) return;
    const field = $(b.dataset.copy);
    let ok = false;
    try {
      await navigator.clipboard.writeText(field.value);
      ok = true;
    } catch (_) {
      field.select();
      try { ok = doc.execCommand('copy'); } catch (__) { ok = false; }
    }
    const what = field.closest('.share-item').querySelector('label').textContent;
    $('share-status').textContent = ok ? `Copied: ${what}.` : 'Select the text and copy it with Ctrl+C (⌘C).';
  });

  return { links: () => links(title()), findEmbedPath };
}
