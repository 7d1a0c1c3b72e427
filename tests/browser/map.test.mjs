// Headless-browser test of the khorasan map page.
//
//   cd tests/browser && npm ci
//   KHORASAN_URL=http://127.0.0.1:8080 EXPECTED_ATTACKS=96 node --test map.test.mjs
//
// KHORASAN_URL     base URL of a running khorasan server (required)
// EXPECTED_ATTACKS number of attacks in the server's database (required)
// CHROMIUM_PATH    browser to drive (default /usr/bin/chromium, Debian's
//                  package; playwright's own browser download is never used)
//
// It writes a screenshot to out/map.png.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { mapControls, watchCSP } from './harness.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const OUT = path.join(HERE, 'out');
const SHOT = path.join(OUT, 'map.png');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const KNOWN_ATTACK = '2015-04-18-jalalabad-bank';
const VIEWPORT = { width: 1280, height: 800 };
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

function config() {
  const problems = [];
  const base = process.env.KHORASAN_URL;
  let url = null;
  if (!base) problems.push('KHORASAN_URL is not set: give the base URL of a running server, e.g. KHORASAN_URL=http://127.0.0.1:8080');
  else {
    try { url = new URL(base.endsWith('/') ? base : base + '/'); } catch { problems.push(`KHORASAN_URL is not a URL: ${base}`); }
  }
  const expected = Number(process.env.EXPECTED_ATTACKS);
  if (!process.env.EXPECTED_ATTACKS || !Number.isInteger(expected) || expected < 0) {
    problems.push(`EXPECTED_ATTACKS must be the number of attacks in the database (got ${JSON.stringify(process.env.EXPECTED_ATTACKS)})`);
  }
  if (!fs.existsSync(CHROMIUM)) {
    problems.push(`no Chromium at ${CHROMIUM}: install Debian's package (apt-get install chromium) or set CHROMIUM_PATH; ` +
      'this test never downloads a browser (npx playwright install does not work here)');
  }
  if (problems.length) throw new Error('browser test cannot run:\n  - ' + problems.join('\n  - '));
  return { url, expected };
}

// All features of a collection straight from the API, following next links.
async function apiFeatures(base, id) {
  let url = new URL(`api/collections/${id}/items?limit=10000`, base);
  const out = [];
  for (let i = 0; url && i < 1000; i++) {
    const res = await fetch(url, { headers: { Accept: 'application/geo+json' } });
    assert.equal(res.status, 200, `GET ${url} answered ${res.status}`);
    const page = await res.json();
    out.push(...page.features);
    const next = (page.links || []).find((l) => l.rel === 'next');
    url = next && page.features.length ? new URL(next.href, url) : null;
  }
  return out;
}

// In the page: a point (viewport pixels) where a click lands on the given
// element itself, not on something drawn over it; null if there is none.
function reachablePointScript(selector) {
  const target = document.querySelector(selector);
  if (!target) return { error: `no element ${selector}` };
  const r = target.getBoundingClientRect();
  const cx = r.left + r.width / 2;
  const cy = r.top + r.height / 2;
  const steps = 9;
  const candidates = [[cx, cy]];
  for (let i = 0; i < steps; i++) {
    for (let j = 0; j < steps; j++) {
      candidates.push([r.left + (r.width * (i + 0.5)) / steps, r.top + (r.height * (j + 0.5)) / steps]);
    }
  }
  for (const [x, y] of candidates) {
    if (x < 0 || y < 0 || x >= innerWidth || y >= innerHeight) continue;
    if (document.elementFromPoint(x, y) === target) return { x, y };
  }
  return null;
}

describe('khorasan map page', () => {
  let cfg;
  let context;
  let page;
  let userDataDir;
  const requests = [];
  const badResponses = [];
  const failedRequests = [];
  const pageErrors = [];
  const consoleErrors = [];
  const cspViolations = [];
  let pageHeaders = {};

  before(async () => {
    cfg = config();
    fs.mkdirSync(OUT, { recursive: true });
    userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'khorasan-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--no-first-run',
      ],
      viewport: VIEWPORT,
      deviceScaleFactor: 1,
      timeout: 60_000,
    });
    page = context.pages()[0] || await context.newPage();
    await watchCSP(context, cspViolations);
    context.on('request', (req) => requests.push(req.url()));
    page.on('response', (res) => { if (res.status() >= 400) badResponses.push(`${res.status()} ${res.url()}`); });
    page.on('requestfailed', (req) => {
      // Leaflet cancels the loads of map tiles that move out of view.
      if (new URL(req.url()).pathname.startsWith('/tiles/') && /ERR_ABORTED/.test(req.failure()?.errorText || '')) return;
      failedRequests.push(`${req.url()}: ${req.failure()?.errorText}`);
    });
    page.on('pageerror', (err) => pageErrors.push(String(err)));
    page.on('console', (msg) => { if (msg.type() === 'error') consoleErrors.push(msg.text()); });

    try {
      const res = await page.goto(cfg.url.href, { waitUntil: 'load', timeout: 30_000 });
      pageHeaders = await res.allHeaders();
    } catch (err) {
      throw new Error(`could not open ${cfg.url.href} (is the khorasan server running there?): ${err.message}`);
    }
    await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 30_000 });
    const state = await page.evaluate(() => ({ ready: document.body.dataset.ready, error: window.khorasan?.error }));
    assert.equal(state.ready, 'true', `the page did not load its data: ${state.error || 'unknown error'}`);
    // Let Leaflet finish any frame it has queued before measuring.
    await page.waitForTimeout(300);
  });

  after(async () => {
    await context?.close();
    if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
  });

  test('has a title, a header and an attribution line', async () => {
    assert.match(await page.title(), /Khorasan/i);
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    assert.match(await page.textContent('header h1'), /Khorasan/i);
    const attribution = await page.textContent('.leaflet-control-attribution');
    assert.match(attribution, /Borders: Natural Earth \(public domain\); attacks: sources listed per event/);
  });

  test('has a metric scale bar that the attribution does not cover', async () => {
    const c = await mapControls(page);
    assert.ok(c.scale, 'no scale bar on the map');
    assert.match(c.scale.text, /^\d+ k?m$/);
    assert.deepEqual(c.covered, [], 'the attribution covers controls');
  });

  test('draws one marker per attack in the database', async () => {
    const count = await page.locator('path.attack-marker').count();
    assert.equal(count, cfg.expected, `expected ${cfg.expected} .attack-marker paths, found ${count}`);
    assert.equal(await page.evaluate(() => window.khorasan.attackMarkers), cfg.expected);
  });

  test('spreads attacks that share a point so each can be clicked', async () => {
    const features = await apiFeatures(cfg.url, 'attacks');
    const groups = new Map();
    for (const f of features) {
      const key = f.geometry.coordinates.join(',');
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(String(f.id));
    }
    const shared = [...groups.values()].filter((g) => g.length > 1);
    for (const ids of shared) {
      // Zoom to the shared point, then every marker of the group must have a
      // spot where a click reaches it and nothing else.
      await page.evaluate((id) => {
        const m = window.khorasan.attackMarker(id);
        window.khorasan.map.setView(m.realLatLng, 12, { animate: false });
      }, ids[0]);
      await page.waitForTimeout(50);
      const centres = new Set();
      for (const id of ids) {
        const sel = `path.attack-marker[data-id="${id}"]`;
        const pt = await page.evaluate(reachablePointScript, sel);
        assert.ok(pt && !pt.error, `attack ${id} (shares its point with ${ids.length - 1} others) cannot be clicked: ${pt?.error || 'covered by other markers'}`);
        const box = await page.locator(sel).boundingBox();
        centres.add(`${Math.round(box.x + box.width / 2)},${Math.round(box.y + box.height / 2)}`);
      }
      assert.equal(centres.size, ids.length, `markers of ${ids.join(', ')} sit on top of each other`);
    }
    await page.evaluate(() => document.querySelector('.view-buttons button').click());
    await page.waitForTimeout(300);
  });

  test(`clicking ${KNOWN_ATTACK} opens its popup with date, place, killed and sources`, async () => {
    const features = await apiFeatures(cfg.url, 'attacks');
    const f = features.find((x) => String(x.id) === KNOWN_ATTACK);
    assert.ok(f, `the API has no attack ${KNOWN_ATTACK}`);
    const p = f.properties;
    const sel = `path.attack-marker[data-id="${KNOWN_ATTACK}"]`;
    let pt = await page.evaluate(reachablePointScript, sel);
    if (!pt) {
      // Covered at this zoom by a neighbour: zoom in on it, as a person would.
      await page.evaluate((id) => { window.khorasan.map.setView(window.khorasan.attackMarker(id).realLatLng, 9, { animate: false }); }, KNOWN_ATTACK);
      await page.waitForTimeout(100);
      pt = await page.evaluate(reachablePointScript, sel);
    }
    assert.ok(pt && !pt.error, `no clickable spot on the marker of ${KNOWN_ATTACK}: ${pt?.error || 'covered'}`);
    await page.mouse.click(pt.x, pt.y);
    const popup = page.locator('.leaflet-popup-content');
    await popup.waitFor({ state: 'visible', timeout: 5_000 });
    const text = (await popup.innerText()).replace(/\s+/g, ' ');
    for (const want of [p.date, p.name, p.city, p.admin1, p.country, String(p.killed), p.target, p.attribution]) {
      assert.ok(text.includes(String(want)), `popup lacks ${JSON.stringify(want)}: ${text}`);
    }
    const urls = p.source_url.split('|').map((s) => s.trim()).filter(Boolean);
    const links = await popup.locator('a').evaluateAll((as) => as.map((a) => ({ href: a.href, rel: a.rel, target: a.target })));
    for (const u of urls) {
      const link = links.find((l) => l.href === new URL(u).href);
      assert.ok(link, `popup has no link to ${u}: ${JSON.stringify(links)}`);
      assert.match(link.rel, /\bnoopener\b/);
      assert.equal(link.target, '_blank');
    }
    await page.waitForTimeout(400); // the popup fades in and the map pans to it
    await page.screenshot({ path: path.join(OUT, 'popup.png') });
    await page.keyboard.press('Escape');
    await page.evaluate(() => { window.khorasan.map.closePopup(); document.querySelector('.view-buttons button').click(); });
    await page.waitForTimeout(300);
  });

  test('the popup of a weak attribution says so and shows its note', async () => {
    const features = await apiFeatures(cfg.url, 'attacks');
    const weak = features.filter((f) => /ATTRIBUTION WEAK/.test(f.properties.notes || ''));
    assert.ok(weak.length > 0, 'the database has no attack whose notes say ATTRIBUTION WEAK (the default data has some)');
    for (const f of weak) {
      assert.equal(f.properties.attribution, 'attributed', `${f.id}: a weak attribution must stay attributed`);
      await page.evaluate((id) => { window.khorasan.attackMarker(id).openPopup(); }, String(f.id));
      // The popup closing fades out beside the new one: take the event's.
      const popup = page.locator('.leaflet-popup-content', { hasText: `id: ${f.id}` });
      await popup.waitFor({ state: 'visible', timeout: 5_000 });
      const text = (await popup.innerText()).replace(/\s+/g, ' ');
      assert.ok(text.includes('weak attribution'), `${f.id}: popup does not flag the weak attribution: ${text}`);
      const note = f.properties.notes.replace(/\s+/g, ' ').slice(0, 60);
      assert.ok(text.includes(note), `${f.id}: popup does not show the note ${JSON.stringify(note)}: ${text}`);
    }
    await page.evaluate(() => { window.khorasan.map.closePopup(); document.querySelector('.view-buttons button').click(); });
    await page.waitForTimeout(300);
  });

  test('says how current the data is: its last edit and latest event, from the API', async () => {
    const res = await fetch(new URL('api/collections/attacks', cfg.url), { headers: { Accept: 'application/json' } });
    assert.equal(res.status, 200);
    const c = await res.json();
    const latest = c.extent.temporal.interval[0][1].slice(0, 10);
    const edited = c.updated.slice(0, 10);
    const text = await page.textContent('#data-asof');
    assert.equal(text, `Data as of ${edited} · latest event ${latest}`);
  });

  test('has a legend and a layer control that toggles the attacks', async () => {
    const legend = page.locator('.legend');
    assert.ok(await legend.isVisible(), 'no visible legend');
    const legendText = await legend.innerText();
    for (const want of ['Claimed', 'Attributed', 'Disputed', 'killed', 'Main outline', 'Broad variant']) {
      assert.ok(legendText.includes(want), `legend lacks ${JSON.stringify(want)}: ${legendText}`);
    }
    const control = page.locator('.leaflet-control-layers');
    assert.ok(await control.isVisible(), 'no visible layer control');
    const labels = await control.locator('label').allInnerTexts();
    assert.ok(labels.length >= 4, `layer control lists ${labels.length} layers: ${labels}`);
    const box = control.locator('label', { hasText: /attack/i }).locator('input[type=checkbox]');
    assert.equal(await box.count(), 1, `no checkbox for the attacks layer among ${labels}`);
    await box.focus();
    await page.keyboard.press('Space');
    assert.equal(await page.locator('path.attack-marker').count(), 0, 'attacks still drawn after unticking them');
    await page.keyboard.press('Space');
    assert.equal(await page.locator('path.attack-marker').count(), cfg.expected, 'attacks not back after ticking them');
  });

  test('the map shows borders and the Khorasan outline, and the screenshot is not blank', async () => {
    // Back to the first view, with no tooltip or popup in the way.
    await page.mouse.move(5, 5);
    await page.evaluate(() => { window.khorasan.map.closePopup(); document.querySelector('.view-buttons button').click(); document.activeElement?.blur(); });
    await page.waitForTimeout(400);
    const shape = await page.evaluate(() => {
      const borders = document.querySelectorAll('.leaflet-borders-pane svg path').length;
      const main = document.querySelector('path.khorasan-main');
      const r = main ? main.getBoundingClientRect() : null;
      const m = document.getElementById('map').getBoundingClientRect();
      return { borders, main: r && { left: r.left, top: r.top, right: r.right, bottom: r.bottom }, map: { left: m.left, top: m.top, right: m.right, bottom: m.bottom } };
    });
    assert.ok(shape.borders > 0, 'the borders layer drew no paths');
    assert.ok(shape.main, 'no path for the main Khorasan outline');
    const { main, map } = shape;
    assert.ok(main.right - main.left > 100 && main.bottom - main.top > 50, `the Khorasan outline is tiny: ${JSON.stringify(main)}`);
    assert.ok(main.left >= map.left && main.top >= map.top && main.right <= map.right && main.bottom <= map.bottom,
      `the Khorasan outline ${JSON.stringify(main)} is not inside the map ${JSON.stringify(map)}`);

    const png = await page.screenshot({ path: SHOT });
    assert.ok(fs.statSync(SHOT).size > 20_000, `screenshot ${SHOT} is suspiciously small`);
    // Decode the screenshot in a blank page and look at its pixels: the map
    // must show land, sea and coloured markers, not one flat colour.
    const blank = await context.newPage();
    try {
      const stats = await blank.evaluate(async (b64) => {
        const img = new Image();
        img.src = 'data:image/png;base64,' + b64;
        await img.decode();
        const c = document.createElement('canvas');
        c.width = img.width;
        c.height = img.height;
        const g = c.getContext('2d');
        g.drawImage(img, 0, 0);
        const d = g.getImageData(0, 0, c.width, c.height).data;
        const counts = new Map();
        let reddish = 0;
        for (let i = 0; i < d.length; i += 4 * 7) {
          const key = (d[i] >> 3) << 10 | (d[i + 1] >> 3) << 5 | (d[i + 2] >> 3);
          counts.set(key, (counts.get(key) || 0) + 1);
          if (d[i] > 150 && d[i + 1] < 110 && d[i + 2] < 110) reddish++;
        }
        const total = d.length / (4 * 7);
        const top = Math.max(...counts.values());
        return { colours: counts.size, dominant: top / total, reddish };
      }, png.toString('base64'));
      assert.ok(stats.colours > 50, `screenshot has only ${stats.colours} colours`);
      assert.ok(stats.dominant < 0.8, `one colour fills ${(stats.dominant * 100).toFixed(0)}% of the screenshot`);
      assert.ok(stats.reddish > 50, 'no red attack markers visible in the screenshot');
    } finally {
      await blank.close();
    }
  });

  // The page and the API's HTML pages run under a policy with no inline
  // script or style; nothing on them may need one.
  test('the Content-Security-Policy is strict and refuses nothing on the page or the API pages', async () => {
    const csp = pageHeaders['content-security-policy'] || '';
    assert.match(csp, /(^|; )script-src 'self'(;|$)/, `the page's policy: ${csp}`);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, `the page's policy: ${csp}`);
    assert.match(csp, /frame-ancestors 'self'/, `the page's policy: ${csp}`);
    assert.equal(pageHeaders['x-frame-options'], 'SAMEORIGIN');
    assert.equal(pageHeaders['x-content-type-options'], 'nosniff');
    const api = await context.newPage();
    try {
      const items = new URL(`api/collections/attacks/items?limit=5&f=html`, cfg.url).href;
      for (const rel of ['api/?f=html', 'api/collections?f=html', `api/collections/attacks/items?limit=5&f=html`, `api/collections/attacks/items/${KNOWN_ATTACK}?f=html`, 'api/collections/khorasan/items?f=html']) {
        const url = new URL(rel, cfg.url).href;
        const res = await api.goto(url, { waitUntil: 'load', timeout: 30_000 });
        const h = await res.allHeaders();
        assert.match(h['content-security-policy'] || '', /script-src 'self';/, `${rel}: policy`);
        assert.equal(h['x-content-type-options'], 'nosniff', `${rel}: nosniff`);
        // The style sheet applies (from /ogc.css, not an inline block).
        const bg = await api.evaluate(() => getComputedStyle(document.body).backgroundColor);
        assert.equal(bg, 'rgb(251, 250, 247)', `${rel}: the API pages' style sheet did not apply`);
        // The small maps are drawn by /ogc.js.
        const maps = await api.evaluate(() => [...document.querySelectorAll('.map[data-source]')].map((m) => m.querySelectorAll('path').length));
        for (const paths of maps) assert.ok(paths > 0, `${rel}: a map drew no shapes`);
        if (url === items) assert.equal(maps.length, 1, 'the items page has its map');
      }
    } finally {
      await api.close();
    }
    assert.deepEqual(cspViolations, [], 'the Content-Security-Policy refused something');
  });

  test('nothing was requested from outside this machine, and nothing failed', async () => {
    assert.ok(requests.length > 5, `only ${requests.length} requests recorded`);
    const outside = requests.filter((u) => {
      const url = new URL(u);
      if (url.protocol === 'data:' || url.protocol === 'blob:' || url.protocol === 'about:') return false;
      return !LOCAL_HOSTS.has(url.hostname);
    });
    assert.deepEqual(outside, [], 'requests left the machine');
    assert.deepEqual(badResponses, [], 'some requests got an error status');
    assert.deepEqual(failedRequests, [], 'some requests failed');
    assert.deepEqual(pageErrors, [], 'the page threw');
    assert.deepEqual(consoleErrors, [], 'the page logged errors');
    assert.deepEqual(cspViolations, [], 'the Content-Security-Policy refused something');
  });
});
