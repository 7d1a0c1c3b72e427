// Headless-browser test of the page's tiles: the offline basemap and a
// large layer drawn from vector tiles.
//
//   KHORASAN_URL=http://127.0.0.1:8080 BIG_LAYER=events BIG_LAYER_COUNT=100000 node --test tiles.test.mjs
//
// KHORASAN_URL     base URL of a running khorasan server (required)
// BIG_LAYER        a layer over the page's vector threshold (required)
// BIG_LAYER_COUNT  its number of features (required)
// CHROMIUM_PATH    browser to drive (default /usr/bin/chromium)
//
// Screenshots go to out/tiles.png.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const OUT = path.join(HERE, 'out');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

function config() {
  const problems = [];
  const base = process.env.KHORASAN_URL;
  const big = process.env.BIG_LAYER;
  const count = Number(process.env.BIG_LAYER_COUNT);
  if (!base) problems.push('KHORASAN_URL is not set');
  if (!big) problems.push('BIG_LAYER is not set: name a layer over the vector threshold');
  if (!Number.isInteger(count) || count <= 0) problems.push('BIG_LAYER_COUNT must be its number of features');
  if (!fs.existsSync(CHROMIUM)) problems.push(`no Chromium at ${CHROMIUM}: apt-get install chromium, or set CHROMIUM_PATH`);
  if (problems.length) throw new Error('tiles browser test cannot run:\n  - ' + problems.join('\n  - '));
  return { url: new URL(base.endsWith('/') ? base : base + '/'), big, count };
}

// ---- clicks on the vector tiles

// Sets the map's view and waits until the big layer has drawn its tiles.
async function viewBig(page, big, center, zoom) {
  await page.evaluate(([c, z]) => { window.khorasan.map.closePopup(); window.khorasan.map.setView(c, z, { animate: false }); }, [center, zoom]);
  await page.waitForFunction((b) => !window.khorasan.layers[b].isLoading(), big, { timeout: 30_000 });
  await page.waitForTimeout(300);
}

// The big layer's features in the map's view, from the API (every one,
// whatever the tiles draw), each with its map container pixel; and the map's
// size.
async function featuresInView(page, big, params) {
  return page.evaluate(async ([b, extra]) => {
    const map = window.khorasan.map;
    const bb = map.getBounds();
    const u = new URL(`api/collections/${encodeURIComponent(b)}/items`, document.baseURI);
    u.searchParams.set('bbox', [bb.getWest(), bb.getSouth(), bb.getEast(), bb.getNorth()].map((x) => x.toFixed(5)).join(','));
    u.searchParams.set('limit', '10000');
    for (const [k, v] of Object.entries(extra || {})) u.searchParams.set(k, v);
    const res = await fetch(u);
    if (!res.ok) throw new Error(`${u}: HTTP ${res.status}`);
    const fc = await res.json();
    const features = fc.features.map((f) => {
      const [lon, lat] = f.geometry.coordinates;
      const p = map.latLngToContainerPoint([lat, lon]);
      return { id: String(f.id), properties: f.properties, lon, lat, x: p.x, y: p.y };
    });
    const size = map.getSize();
    return { features, w: size.x, h: size.y };
  }, [big, params]);
}

// Whether a click at map pixel (x, y) reaches the map itself: inside the
// view and not on a control, a popup or a GeoJSON shape.
async function clearAt(page, x, y) {
  return page.evaluate(([px, py]) => {
    const c = window.khorasan.map.getContainer();
    const r = c.getBoundingClientRect();
    const e = document.elementFromPoint(r.left + px, r.top + py);
    return !!e && c.contains(e) && !e.closest('path, .leaflet-control, .leaflet-popup, .leaflet-marker-icon');
  }, [x, y]);
}

// Clicks map pixel (x, y).
async function clickMap(page, x, y) {
  const r = await page.evaluate(() => window.khorasan.map.getContainer().getBoundingClientRect().toJSON());
  await page.mouse.click(r.left + x, r.top + y);
}

const dist = (a, b) => Math.hypot(a.x - b.x, a.y - b.y);

// Points of set far from every other point of others, at least margin in
// from the map's edges, farthest first.
function loners(set, others, view, margin) {
  return set
    .filter((f) => f.x > margin && f.y > margin && f.x < view.w - margin && f.y < view.h - margin)
    .map((f) => ({ f, gap: Math.min(...others.filter((g) => g.id !== f.id).map((g) => dist(f, g))) }))
    .sort((a, b) => b.gap - a.gap);
}

// The text of the popup that opened last (a closed one fades out for a
// moment).
async function popupText(page) {
  const popup = page.locator('.leaflet-popup-content').last();
  await popup.waitFor({ state: 'visible', timeout: 8_000 });
  return popup.innerText();
}

// How many popups are open after a while (popups of vector features wait
// for the API).
async function popupOpenAfterAWhile(page) {
  await page.waitForTimeout(1_200);
  return page.locator('.leaflet-popup').count();
}

describe('the page on tiles', () => {
  let cfg;
  let context;
  let page;
  let userDataDir;
  const requests = [];
  const bad = [];
  const errors = [];

  before(async () => {
    cfg = config();
    fs.mkdirSync(OUT, { recursive: true });
    userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'khorasan-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      viewport: { width: 1280, height: 800 },
      deviceScaleFactor: 1,
      timeout: 60_000,
    });
    page = context.pages()[0] || await context.newPage();
    context.on('request', (req) => requests.push(req.url()));
    page.on('response', (res) => { if (res.status() >= 400) bad.push(`${res.status()} ${res.url()}`); });
    page.on('requestfailed', (req) => { if (!/ERR_ABORTED/.test(req.failure()?.errorText || '')) bad.push(`${req.url()}: ${req.failure()?.errorText}`); });
    page.on('pageerror', (err) => errors.push(String(err)));
    page.on('console', (msg) => { if (msg.type() === 'error') errors.push(msg.text()); });
    await page.goto(cfg.url.href, { waitUntil: 'load', timeout: 30_000 });
    await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 60_000 });
    const state = await page.evaluate(() => ({ ready: document.body.dataset.ready, error: window.khorasan?.error }));
    assert.equal(state.ready, 'true', `the page did not load: ${state.error}`);
  });

  after(async () => {
    await context?.close();
    if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
  });

  test('the offline basemap draws its tiles', async () => {
    await page.waitForFunction(() => document.querySelectorAll('.basemap-tiles img.leaflet-tile-loaded').length >= 6, null, { timeout: 30_000 });
    const tiles = await page.evaluate(() => [...document.querySelectorAll('.basemap-tiles img.leaflet-tile-loaded')].map((i) => ({ src: i.src, w: i.naturalWidth })));
    assert.ok(tiles.length >= 6, `only ${tiles.length} basemap tiles loaded`);
    for (const t of tiles) {
      assert.match(new URL(t.src).pathname, /\/tiles\/basemap\/\d+\/\d+\/\d+(@2x)?\.png$/);
      assert.equal(t.w, 256, `tile ${t.src} is ${t.w} px wide`);
    }
    const attribution = await page.textContent('.leaflet-control-attribution');
    assert.match(attribution, /Natural Earth/);
  });

  test('the label language: Russian basemap tiles, kept in the URL', async () => {
    // Every loaded basemap tile asks lang (null: none).
    const allAsk = (lang) => page.waitForFunction((want) => {
      const srcs = [...document.querySelectorAll('.basemap-tiles img.leaflet-tile-loaded')].map((i) => i.src);
      return srcs.length >= 6 && srcs.every((s) => new URL(s).searchParams.get('lang') === want);
    }, lang, { timeout: 30_000 });
    await page.evaluate(() => { document.querySelector('.display-control').open = true; });
    await page.click('.display-control input[name="lang"][value="ru"]');
    await allAsk('ru');
    await page.waitForFunction(() => new URLSearchParams(location.search).get('lang') === 'ru', null, { timeout: 5_000 });
    await page.click('.display-control input[name="lang"][value="en"]');
    await allAsk(null);
    await page.waitForFunction(() => !new URLSearchParams(location.search).has('lang'), null, { timeout: 5_000 });
  });

  test(`the ${100000} points come as vector tiles, not GeoJSON`, async () => {
    const info = await page.evaluate((big) => ({
      vector: window.khorasan.vectorLayers,
      loaded: window.khorasan.layers[big]?.tilesLoaded || 0,
      canvases: document.querySelectorAll(`.vector-${big} canvas`).length,
    }), cfg.big);
    assert.deepEqual(info.vector, [cfg.big], `layers drawn from vector tiles: ${JSON.stringify(info.vector)}`);
    // The table's first rows come from the API (limit=500), never the layer whole.
    const bigItems = requests.filter((u) => u.includes(`/collections/${cfg.big}/items`) && !/limit=(1|500)(&|$)/.test(u));
    assert.deepEqual(bigItems, [], 'the big layer was fetched as GeoJSON');
    const mvt = requests.filter((u) => new URL(u).pathname.startsWith(`/tiles/${cfg.big}/`) && u.endsWith('.mvt'));
    assert.ok(mvt.length >= 4 && info.canvases >= 4, `${mvt.length} vector tiles requested, ${info.canvases} canvases`);
    const label = await page.locator('.leaflet-control-layers label', { hasText: 'Synthetic events' }).innerText();
    assert.match(label, /100,000/, `layer control says ${label}`);
    // The small layers are still GeoJSON: one SVG path per attack.
    assert.ok(await page.locator('path.attack-marker').count() > 0);
  });

  test('the page stays responsive while panning and zooming over the big layer', async () => {
    // Record the longest gap between animation frames while the map pans
    // and zooms, loading and drawing new vector tiles each time.
    await page.evaluate(() => {
      window.__gaps = { max: 0, last: performance.now(), frames: 0, run: true };
      const tick = (now) => {
        const g = window.__gaps;
        g.max = Math.max(g.max, now - g.last);
        g.last = now;
        g.frames++;
        if (g.run) requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
    const moves = [[300, 0], [0, 250], [-300, 0], [0, -250]];
    for (const [dx, dy] of moves) {
      await page.evaluate(([x, y]) => { window.khorasan.map.panBy([x, y], { animate: true, duration: 0.3 }); }, [dx, dy]);
      await page.waitForTimeout(500);
    }
    await page.evaluate(() => { window.khorasan.map.zoomIn(1); });
    await page.waitForTimeout(1200);
    await page.evaluate(() => { window.khorasan.map.zoomOut(2); });
    await page.waitForTimeout(1200);
    const gaps = await page.evaluate(() => { window.__gaps.run = false; return window.__gaps; });
    assert.ok(gaps.frames > 30, `only ${gaps.frames} frames drawn in ~5 s`);
    assert.ok(gaps.max < 1500, `the page froze for ${Math.round(gaps.max)} ms`);
    const loaded = await page.evaluate((big) => window.khorasan.layers[big].tilesLoaded, cfg.big);
    assert.ok(loaded >= 8, `only ${loaded} vector tiles drawn after moving`);
    await page.screenshot({ path: path.join(OUT, 'tiles.png') });
  });

  // VectorGrid 1.3's own canvas clicks fail under Leaflet >= 1.8 (its
  // issue #274); map.js finds the clicked feature among those the tiles
  // drew. Here the big layer is not the page's event layer: its popup is
  // the generic one, a definition list of the properties.
  test('a click on a point drawn from vector tiles opens its popup, and a click on empty ground none', async () => {
    // Zoom 10: tiles keep every point, about 60 px apart.
    await viewBig(page, cfg.big, [34, 63], 10);
    const view = await featuresInView(page, cfg.big);
    assert.ok(view.features.length > 100, `${view.features.length} features in view`);
    let pick = null;
    for (const { f, gap } of loners(view.features, view.features, view, 80)) {
      if (gap < 30) break;
      if (await clearAt(page, f.x + 2, f.y + 1)) { pick = f; break; }
    }
    assert.ok(pick, 'no point in view lies 30 px from every other');
    await clickMap(page, pick.x + 2, pick.y + 1);
    const text = await popupText(page);
    const p = pick.properties;
    assert.match(text, new RegExp(`^${pick.id}$`, 'm'), `popup of ${pick.id}:\n${text}`);
    // An imported layer with a date is an events layer: its popup labels
    // the fields as its guessed profile titles them (Date, Killed, ...).
    assert.match(text, new RegExp(`^date\\s+${p.date}$`, 'mi'), `popup of ${pick.id}:\n${text}`);
    assert.match(text, new RegExp(`^killed\\s+${p.killed}$`, 'mi'), `popup of ${pick.id}:\n${text}`);
    assert.match(text, new RegExp(`^attribution\\s+${p.attribution}$`, 'mi'), `popup of ${pick.id}:\n${text}`);
    // Over a drawn point the pointer says it can be clicked.
    await page.waitForFunction(() => getComputedStyle(window.khorasan.map.getContainer()).cursor === 'pointer', null, { timeout: 3_000 });

    // Empty ground: 30 px from every point (where they are now: the popup
    // may have moved the map to fit). The click closes the popup and opens
    // none.
    const now = await featuresInView(page, cfg.big);
    let ground = null;
    for (let y = 100; y < now.h - 100 && !ground; y += 10) {
      for (let x = 100; x < now.w - 100 && !ground; x += 10) {
        if (now.features.every((f) => dist(f, { x, y }) >= 30) && await clearAt(page, x, y)) ground = { x, y };
      }
    }
    assert.ok(ground, 'no empty ground in view');
    const box = await page.evaluate(() => window.khorasan.map.getContainer().getBoundingClientRect().toJSON());
    await page.mouse.move(box.left + ground.x, box.top + ground.y);
    await page.waitForTimeout(200);
    assert.notEqual(await page.evaluate(() => getComputedStyle(window.khorasan.map.getContainer()).cursor), 'pointer', 'the pointer over empty ground');
    await clickMap(page, ground.x, ground.y);
    assert.equal(await popupOpenAfterAWhile(page), 0, `a click on empty ground at ${ground.x},${ground.y} left a popup open`);
  });

  test('at a low zoom, where tiles keep their most severe points, a click opens a drawn point', async () => {
    // Zoom 5: a tile holds some 14,000 points and keeps the most killed,
    // here 50 and more. A click inside a point with 59 killed (radius 12 px),
    // 6.7 px from its centre, must open a drawn point, not the nearest of
    // all, which is mostly one the tile left out (killed 0 to 59).
    const used = new Set();
    for (let i = 0; i < 3; i++) {
      // The same view each time: a popup may move the map to fit.
      await viewBig(page, cfg.big, [34, 62], 5);
      const view = await featuresInView(page, cfg.big, { killed: '59' });
      let f = null;
      for (const g of view.features) {
        if (used.has(g.id) || dist(g, { x: view.w / 2, y: view.h / 2 }) > 150) continue;
        if (await clearAt(page, g.x + 6, g.y + 3)) { f = g; break; }
      }
      assert.ok(f, `no point with 59 killed left to click near the centre (${i} clicked)`);
      used.add(f.id);
      await clickMap(page, f.x + 6, f.y + 3);
      const text = await popupText(page);
      const killed = Number((text.match(/^killed\s+(\d+)$/mi) || [])[1]);
      assert.ok(killed >= 50, `a click inside ${f.id} (59 killed) opened a point with ${killed} killed, not drawn at zoom 5:\n${text}`);
    }
    await page.evaluate(() => { window.khorasan.map.closePopup(); });
  });

  test('the timeline, filters and table of a large layer go through the API', async () => {
    const want = Number(process.env.BIG_LAYER_FILTERED);
    assert.ok(Number.isInteger(want) && want > 0, 'BIG_LAYER_FILTERED: the count of claimed, killed >= 50, 2018-2019');
    const before = requests.length;
    await page.goto(new URL(`?data=${cfg.big}&attribution=claimed&minkilled=50&datetime=2018-01-01/2019-12-31`, cfg.url).href);
    await page.waitForFunction(() => document.body.dataset.ready && document.body.dataset.shown, null, { timeout: 60_000 });
    const s = await page.evaluate(() => ({ shown: window.khorasan.shown(), rows: window.khorasan.tableIds().length, years: document.querySelectorAll('#histogram button.year').length, summary: document.getElementById('summary').textContent }));
    assert.equal(s.shown, want, 'the count the page shows');
    assert.equal(s.rows, Math.min(want, 500), 'table rows (at most 500 are drawn)');
    assert.ok(s.years >= 5, `${s.years} years on the timeline`);
    assert.match(s.summary, new RegExp(`^${want.toLocaleString('en-GB')} of ${cfg.count.toLocaleString('en-GB')} events`));
    const asked = requests.slice(before).filter((u) => u.includes(`/collections/${cfg.big}/items`));
    assert.ok(asked.some((u) => /filter=killed/.test(decodeURIComponent(u)) && /attribution=claimed/.test(u)), 'the filters went to the API');
    assert.ok(asked.every((u) => !/limit=10000/.test(u)), 'the large layer was not fetched whole');
    const tiles = await page.evaluate((big) => window.khorasan.layers[big].tilesLoaded, cfg.big);
    assert.ok(tiles >= 4, `${tiles} vector tiles drawn`);
    await page.screenshot({ path: path.join(OUT, 'tiles-filtered.png') });
  });

  // The page above is filtered (claimed, 50 killed or more, 2018-2019), with
  // the big layer as its event layer: a click opens the attack popup and
  // selects the event, as a GeoJSON marker's would; a point the filters
  // hide opens nothing.
  test('on the filtered event layer, a click opens the attack popup and selects the event; a hidden point opens nothing', async () => {
    await viewBig(page, cfg.big, [34, 62], 8);
    const view = await featuresInView(page, cfg.big);
    const kept = (f) => f.properties.attribution === 'claimed' && f.properties.killed >= 50 && f.properties.date >= '2018-01-01' && f.properties.date <= '2019-12-31';
    const shown = view.features.filter(kept);
    assert.ok(shown.length > 10, `${shown.length} events shown in view`);
    const rows = new Set(await page.evaluate(() => window.khorasan.tableIds()));
    let pick = null;
    for (const { f, gap } of loners(shown, shown, view, 80)) {
      if (gap < 30) break;
      if (rows.has(f.id) && await clearAt(page, f.x + 2, f.y + 1)) { pick = f; break; }
    }
    assert.ok(pick, 'no event shown in view, and in the table, lies 30 px from every other');
    await clickMap(page, pick.x + 2, pick.y + 1);
    const text = await popupText(page);
    assert.match(text, new RegExp(`id: ${pick.id}$`, 'm'), `attack popup of ${pick.id}:\n${text}`);
    assert.match(text, new RegExp(`^Date\\s+${pick.properties.date}$`, 'm'), text);
    assert.match(text, new RegExp(`^Killed\\s+${pick.properties.killed}$`, 'm'), text);
    assert.match(text, /^Attribution\s+claimed$/m, text);
    // The event's own coordinates, not the click's nor the tile's.
    assert.match(text, new RegExp(`^Coordinates\\s+${pick.lat.toFixed(5)}, ${pick.lon.toFixed(5)}$`, 'm'), text);
    await page.waitForFunction((id) => new URL(location.href).searchParams.get('sel') === id, pick.id, { timeout: 5_000 });
    await page.waitForFunction((id) => document.querySelector('tr.selected')?.dataset.id === id, pick.id, { timeout: 5_000 });

    // A point the filters hide, 30 px from every shown one (where they are
    // now: the popup may have moved the map to fit).
    await page.evaluate(() => { window.khorasan.map.closePopup(); });
    const now = await featuresInView(page, cfg.big);
    let hidden = null;
    for (const { f, gap } of loners(now.features.filter((f) => !kept(f)), now.features.filter(kept), now, 80)) {
      if (gap < 30) break;
      if (await clearAt(page, f.x, f.y)) { hidden = f; break; }
    }
    assert.ok(hidden, 'no hidden point in view lies 30 px from every shown one');
    await clickMap(page, hidden.x, hidden.y);
    assert.equal(await popupOpenAfterAWhile(page), 0, `a click on ${hidden.id}, which the filters hide, opened a popup`);
  });

  test('nothing left the machine, and nothing failed', async () => {
    const outside = requests.filter((u) => {
      const url = new URL(u);
      return !['data:', 'blob:', 'about:'].includes(url.protocol) && !LOCAL_HOSTS.has(url.hostname);
    });
    assert.deepEqual(outside, []);
    assert.deepEqual(bad, []);
    assert.deepEqual(errors, []);
  });
});
