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

  test(`the ${100000} points come as vector tiles, not GeoJSON`, async () => {
    const info = await page.evaluate((big) => ({
      vector: window.khorasan.vectorLayers,
      loaded: window.khorasan.layers[big]?.tilesLoaded || 0,
      canvases: document.querySelectorAll(`.vector-${big} canvas`).length,
    }), cfg.big);
    assert.deepEqual(info.vector, [cfg.big], `layers drawn from vector tiles: ${JSON.stringify(info.vector)}`);
    const bigItems = requests.filter((u) => u.includes(`/collections/${cfg.big}/items`) && !u.includes('limit=1'));
    assert.deepEqual(bigItems, [], 'the big layer was fetched as GeoJSON');
    const mvt = requests.filter((u) => new URL(u).pathname.startsWith(`/tiles/${cfg.big}/`) && u.endsWith('.mvt'));
    assert.ok(mvt.length >= 4 && info.canvases >= 4, `${mvt.length} vector tiles requested, ${info.canvases} canvases`);
    const label = await page.locator('.leaflet-control-layers label', { hasText: 'Generated events' }).innerText();
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
