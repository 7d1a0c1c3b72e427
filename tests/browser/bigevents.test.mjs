// Headless-browser test of a 100,000-event layer picked beside the
// attacks (issue 14): a synthetic layer (bench/genpoints: random points,
// labelled synthetic, never map data) far over the page's vector
// threshold, drawn from vector tiles. Its own category chips, its
// clusters and its heat map go through the API (/aggregate?by=hex for
// the view, with the filters) and its tiles (which hide what the filters
// drop); its table rows and timeline bars come from the API, with the
// count the API's numberMatched. Run by tiles_test.go after tiles.test.mjs:
//
//   KHORASAN_URL=... EXPECTED='{}' BIG_LAYER=events BIG_LAYER_COUNT=100000 node --test bigevents.test.mjs

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { config, launch, open, outside, OUT } from './harness.mjs';

describe('a 100,000-event layer beside the attacks', () => {
  let cfg;
  let browser;
  let page;
  const big = process.env.BIG_LAYER;
  const total = Number(process.env.BIG_LAYER_COUNT);

  // The API's count of the big layer under params.
  const apiCount = async (params) => {
    const u = new URL(`api/collections/${big}/items`, cfg.url);
    u.searchParams.set('limit', '1');
    u.searchParams.set('properties', '');
    for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
    return (await (await fetch(u)).json()).numberMatched;
  };
  // The layer's clusters or heat map once the API has answered for the view.
  const settled = (mode) => page.waitForFunction(([b, m]) => {
    const a = window.khorasan.layers[b].aggregates();
    return a.mode === m && !a.pending && a.url && a.cells > 0;
  }, [big, mode], { timeout: 20_000 }).then(() => page.evaluate((b) => window.khorasan.layers[b].aggregates(), big));
  // The count in the aggregate's bbox under its filter, from items.
  const bboxCount = (a) => {
    const q = new URL(a.url).searchParams;
    const params = { bbox: q.get('bbox') };
    for (const k of ['attribution', 'filter', 'datetime']) if (q.has(k)) params[k] = q.get(k);
    return apiCount(params);
  };

  before(async () => {
    cfg = config();
    assert.ok(big && Number.isInteger(total), 'BIG_LAYER and BIG_LAYER_COUNT must be set');
    browser = await launch();
    page = browser.page;
    await open(page, cfg.url, `?events=attacks,${big}&category=${big}:claimed&mode=clusters&view=33,64,5`);
  });
  after(async () => { if (browser) await browser.close(); });

  test('its own category chips count through the API, and the one picked filters its table and timeline', async () => {
    const profile = await (await fetch(new URL(`api/collections/${big}/profile`, cfg.url))).json();
    const cat = profile.categories[0];
    const chips = await page.locator(`#group-others fieldset[data-layer="${big}"] .chip-count`).evaluateAll((ns) => ns.map((n) => [n.dataset.count, n.textContent]));
    assert.equal(chips.length, cat.values.length);
    for (const v of cat.values) {
      const want = await apiCount({ [cat.property]: v });
      assert.deepEqual(chips.find(([k]) => k === `cat:${big}:${v}`), [`cat:${big}:${v}`, String(want)], v);
    }
    assert.equal(await page.locator(`#group-others input[value="claimed"]`).isChecked(), true);
    const claimed = await apiCount({ [cat.property]: 'claimed' });
    const note = page.locator(`#table-layers-note .layer-count[data-layer="${big}"]`);
    assert.equal(await note.getAttribute('data-count'), String(claimed), 'the table\'s count is the API\'s numberMatched');
    assert.equal(await page.locator(`#events-table tbody tr[data-layer="${big}"]`).count(), Math.min(claimed, 500));
    const attr = await page.locator(`#events-table tbody tr[data-layer="${big}"] td.col-attribution`).allInnerTexts();
    assert.ok(attr.every((t) => t.trim() === 'claimed'), 'a row the filter drops');
    const bars = await page.evaluate((b) => [...document.querySelectorAll(`#histogram rect.bar-series[data-layer="${b}"]`)]
      .reduce((a, r) => a + Number(/: (\d+) event/.exec(r.textContent)[1]), 0), big);
    assert.equal(bars, claimed, 'its timeline bars add up to its filtered events');
    // The table pages through the API: 500 more rows, none twice.
    await page.locator(`#table-layers-note .table-more[data-layer="${big}"]`).click();
    await page.waitForFunction(([b, n]) => document.querySelectorAll(`#events-table tbody tr[data-layer="${b}"]`).length === n, [big, Math.min(claimed, 1000)], { timeout: 10_000 });
    const ids = await page.locator(`#events-table tbody tr[data-layer="${big}"]`).evaluateAll((trs) => trs.map((tr) => tr.dataset.id));
    assert.equal(new Set(ids).size, ids.length, 'a row came twice');
    assert.equal(await note.getAttribute('data-rows'), String(Math.min(claimed, 1000)));
  });

  test('its clusters are the API\'s counts for the view, under the filter, and a click zooms in', async () => {
    const a = await settled('clusters');
    assert.match(a.url, /attribution=claimed/);
    assert.equal(a.count, await bboxCount(a), 'the clusters\' total is not the API\'s count for the view');
    const drawn = await page.locator(`.api-cluster[data-layer="${big}"]`).evaluateAll((ns) => ns.map((n) => Number(n.dataset.count)));
    assert.equal(drawn.length, a.cells);
    assert.equal(drawn.reduce((x, y) => x + y, 0), a.count);
    await page.screenshot({ path: path.join(OUT, 'big-clusters.png') });
    const z = await page.evaluate(() => window.khorasan.map.getZoom());
    const box = await page.locator(`.api-cluster[data-layer="${big}"]`).evaluateAll((ns) => {
      const m = document.getElementById('map').getBoundingClientRect();
      const c = ns.map((n) => n.getBoundingClientRect()).find((r) => r.left > m.left + 150 && r.right < m.left + m.width / 2 && r.top > m.top + 150 && r.bottom < m.bottom - 150);
      return c && { x: c.left + c.width / 2, y: c.top + c.height / 2 };
    });
    assert.ok(box, 'no cluster clear of the controls');
    await page.mouse.click(box.x, box.y);
    await page.waitForFunction((z0) => window.khorasan.map.getZoom() > z0, z, { timeout: 5_000 });
    await page.waitForTimeout(800); // the zoom's animation
    // From zoom 11 the points themselves, from the tiles.
    await page.evaluate(() => { window.khorasan.map.setView([34.5, 69.2], 11, { animate: false }); });
    await page.waitForFunction((b) => window.khorasan.layers[b].aggregates().cells === 0 && !window.khorasan.layers[b].isLoading(), big, { timeout: 20_000 });
    assert.equal(await page.locator(`.api-cluster[data-layer="${big}"]`).count(), 0);
  });

  test('its heat map is the API\'s counts for the view, and its tiles hide what its filter drops', async () => {
    await page.evaluate(() => { window.khorasan.map.setView([33, 64], 5, { animate: false }); });
    await page.evaluate(() => { document.querySelector('.display-control').open = true; });
    await page.click('.display-control input[name="mode"][value="heat"]');
    await page.waitForFunction(() => new URLSearchParams(location.search).get('mode') === 'heat', null, { timeout: 5_000 });
    let a = await settled('heat');
    assert.equal(a.count, await bboxCount(a));
    assert.ok(await page.locator('canvas.leaflet-heatmap-layer').count() >= 1, 'no heat map drawn');
    await page.screenshot({ path: path.join(OUT, 'big-heat.png') });
    // Another category: the heat map follows.
    await page.locator(`label[for="f-cat-${big}-claimed"]`).click();
    await page.locator(`label[for="f-cat-${big}-disputed"]`).click();
    await page.waitForFunction((b) => /attribution=disputed/.test(window.khorasan.layers[b].aggregates().url || ''), big, { timeout: 10_000 });
    a = await settled('heat');
    assert.equal(a.count, await bboxCount(a));
    // Circles: every point the tiles draw is disputed.
    await page.click('.display-control input[name="mode"][value="circles"]');
    await page.evaluate(() => { window.khorasan.map.setView([34, 63], 8, { animate: false }); });
    await page.waitForFunction((b) => !window.khorasan.layers[b].isLoading() && window.khorasan.layers[b].aggregates().cells === 0, big, { timeout: 20_000 });
    await page.waitForTimeout(300);
    const drawn = await page.evaluate((b) => {
      const l = window.khorasan.layers[b];
      const out = {};
      for (const t of Object.values(l._vectorTiles || {})) {
        for (const f of Object.values(t._features || {})) {
          const v = f.feature.properties.attribution;
          out[v] = (out[v] || 0) + 1;
        }
      }
      return out;
    }, big);
    assert.ok(drawn.disputed > 50, `tiles drew ${JSON.stringify(drawn)}`);
    assert.deepEqual(Object.keys(drawn), ['disputed'], `tiles drew ${JSON.stringify(drawn)}`);
  });

  test('nothing failed and nothing left the machine', () => {
    assert.deepEqual(browser.log.errors, []);
    assert.deepEqual(browser.log.bad, []);
    assert.deepEqual(outside(browser.log.requests), []);
    assert.deepEqual(browser.log.requests.filter((u) => new URL(u).pathname === `/api/collections/${big}/items` && /limit=10000/.test(u)), [], 'the big layer was fetched whole');
  });
});
