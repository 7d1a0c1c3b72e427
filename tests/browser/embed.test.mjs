// Headless-browser test of the embed page (issue 5): embed.html (or
// /embed, once the server routes it) in an iframe of a page served from
// another origin (OTHER_ORIGIN, a test server on another port), and the
// share panel's snippet pasted into such a page.
//
//   KHORASAN_URL=... OTHER_ORIGIN=http://127.0.0.1:PORT EXPECTED='{...}' node --test embed.test.mjs
//
// OTHER_ORIGIN serves /frame?src=URL (an iframe of URL) and
// /paste?html=SNIPPET (a page holding SNIPPET as given); see analyst_test.go.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { config, launch, mapControls, open, outside, OUT } from './harness.mjs';

describe('the embed page in another site', () => {
  let cfg;
  let browser;
  let page;
  const E = (k) => cfg.expected[k][0];

  // The frame holding the map, once it is ready.
  async function mapFrame() {
    await page.waitForFunction(() => document.querySelector('iframe'), null, { timeout: 10_000 });
    let frame = null;
    for (let i = 0; i < 100 && !frame; i++) {
      frame = page.frames().find((f) => f !== page.mainFrame() && new URL(f.url() || 'about:blank').origin === cfg.url.origin);
      if (!frame) await page.waitForTimeout(100);
    }
    assert.ok(frame, `no frame from ${cfg.url.origin} in ${page.url()}`);
    await frame.waitForFunction(() => document.body && document.body.dataset.ready, null, { timeout: 30_000 });
    const ready = await frame.evaluate(() => ({ ready: document.body.dataset.ready, error: window.khorasan?.error }));
    assert.equal(ready.ready, 'true', `the embedded map did not load: ${ready.error}`);
    return frame;
  }

  function frameState(frame) {
    return frame.evaluate(() => {
      const k = window.khorasan;
      const m = k.map;
      return {
        center: m.getCenter(), zoom: m.getZoom(),
        layers: Object.entries(k.layers).filter(([, l]) => m.hasLayer(l)).map(([id]) => id).sort(),
        markers: document.querySelectorAll('path.attack-marker').length,
        shown: k.shown(), state: k.state(), embed: k.embed,
        full: document.getElementById('full-map').href,
        target: document.getElementById('full-map').target,
        notice: document.getElementById('notice').hidden ? '' : document.getElementById('notice').textContent,
        size: [innerWidth, innerHeight],
      };
    });
  }

  before(async () => {
    cfg = config();
    assert.ok(cfg.other, 'OTHER_ORIGIN is not set: the test page server on another port');
    assert.notEqual(cfg.other.origin, cfg.url.origin, 'the test page must come from another origin');
    browser = await launch();
    page = browser.page;
  });

  after(async () => {
    await browser?.close();
  });

  test('embed.html in an iframe on another port shows the requested view and layers', async () => {
    const src = new URL('embed.html?view=34.5,69.2,7&layers=borders,attacks&attribution=claimed', cfg.url);
    await page.goto(new URL(`/frame?src=${encodeURIComponent(src.href)}`, cfg.other).href);
    const frame = await mapFrame();
    const s = await frameState(frame);
    assert.ok(s.embed, 'not the embed page');
    assert.deepEqual(s.size, [800, 500]);
    assert.ok(Math.abs(s.center.lat - 34.5) < 1e-6 && Math.abs(s.center.lng - 69.2) < 1e-6, `centre ${JSON.stringify(s.center)}`);
    assert.equal(s.zoom, 7);
    assert.deepEqual(s.layers, ['attacks', 'borders']);
    assert.equal(s.shown, E('claimed'));
    assert.equal(s.markers, E('claimed'));
    assert.equal(s.notice, '');
    const full = new URL(s.full);
    assert.equal(full.origin + full.pathname, cfg.url.origin + '/');
    assert.equal(full.searchParams.get('layers'), 'borders,attacks');
    assert.equal(full.searchParams.get('attribution'), 'claimed');
    assert.equal(full.searchParams.get('view'), '34.5,69.2,7');
    assert.equal(s.target, '_blank');
    const c = await mapControls(frame);
    assert.ok(c.scale, 'the embed has no scale bar');
    assert.match(c.scale.text, /^\d+ k?m$/);
    assert.deepEqual(c.covered, [], 'the attribution covers controls');
    await page.screenshot({ path: path.join(OUT, 'embed.png') });
  });

  test('in a small frame the attribution covers neither the scale bar nor the other controls', async () => {
    const small = await browser.context.newPage();
    try {
      for (const size of [{ width: 400, height: 300 }, { width: 320, height: 240 }, { width: 640, height: 400 }]) {
        await small.setViewportSize(size);
        await open(small, cfg.url, 'embed.html?view=34.5,66,5');
        await small.waitForTimeout(200);
        const c = await mapControls(small);
        const at = `${size.width}×${size.height}`;
        assert.ok(c.scale, `no scale bar at ${at}`);
        assert.ok(c.attribution && c.attribution.height > 0, `no attribution at ${at}`);
        assert.deepEqual(c.covered, [], `at ${at} the attribution covers controls`);
        const m = await small.evaluate(() => { const r = document.getElementById('map').getBoundingClientRect(); return { top: r.top, bottom: r.bottom }; });
        assert.ok(c.attribution.top >= m.top - 0.5 && c.attribution.bottom <= m.bottom + 0.5, `at ${at} the attribution runs off the map`);
      }
      await small.screenshot({ path: path.join(OUT, 'embed-small.png') });
    } finally {
      await small.close();
    }
  });

  test('the share panel\'s iframe snippet works when pasted into another site', async () => {
    await open(page, cfg.url, '?datetime=2021-01-01/2021-12-31&layers=borders,khorasan,attacks&color=type&view=34,66,5');
    const want = await page.evaluate(() => window.khorasan.shown());
    assert.equal(want, E('y2021'));
    await page.click('#share-open');
    await page.locator('#share').waitFor({ state: 'visible' });
    const snippet = await page.inputValue('#share-embed');
    assert.match(snippet, /^<iframe src="http:\/\/[^"]+\/embed(\.html)?\?[^"]+" width="800" height="500"/);
    await page.goto(new URL(`/paste?html=${encodeURIComponent(snippet)}`, cfg.other).href);
    const frame = await mapFrame();
    const s = await frameState(frame);
    assert.equal(s.shown, E('y2021'));
    assert.equal(s.markers, E('y2021'));
    assert.deepEqual(s.layers, ['attacks', 'borders', 'khorasan']);
    assert.equal(s.state.color, 'type');
    assert.deepEqual(s.state.time, { start: '2021-01-01', end: '2021-12-31' });
    assert.equal(s.zoom, 5);
  });

  test('an embed link in Russian asks the basemap in Russian and keeps it in the full map\'s link', async () => {
    await page.goto(new URL(`/frame?src=${encodeURIComponent(new URL('embed.html?view=34.5,66,5&lang=ru', cfg.url).href)}`, cfg.other).href);
    const frame = await mapFrame();
    const s = await frameState(frame);
    assert.equal(s.state.lang, 'ru');
    assert.equal(new URL(s.full).searchParams.get('lang'), 'ru');
    await frame.waitForFunction(() => document.querySelectorAll('.basemap-tiles img.leaflet-tile-loaded').length >= 4, null, { timeout: 30_000 });
    const srcs = await frame.evaluate(() => [...document.querySelectorAll('.basemap-tiles img')].map((i) => i.src));
    assert.ok(srcs.every((u) => new URL(u).searchParams.get('lang') === 'ru'), srcs.join(' '));
  });

  test('a broken embed link shows the default map with a notice', async () => {
    const src = new URL('embed.html?layers=nope&view=1,2,99', cfg.url);
    await page.goto(new URL(`/frame?src=${encodeURIComponent(src.href)}`, cfg.other).href);
    const frame = await mapFrame();
    const s = await frameState(frame);
    assert.match(s.notice, /nope/);
    assert.match(s.notice, /zoom 99/);
    assert.equal(s.markers, E('total'));
    assert.ok(s.layers.includes('attacks') && s.layers.includes('borders'));
  });

  test('nothing was requested from outside this machine, and nothing failed', async () => {
    assert.deepEqual(outside(browser.log.requests), [], 'requests left the machine');
    assert.deepEqual(browser.log.bad, [], 'requests failed');
    assert.deepEqual(browser.log.errors, [], 'the pages logged errors');
    assert.deepEqual(browser.log.csp, [], 'the Content-Security-Policy refused something');
  });
});
