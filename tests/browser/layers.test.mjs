// Headless-browser test of several events layers at once (issue 14): the
// default attacks and the ACLED sample imported as "acled" (see
// layers_test.go). The picker lists both, ACLED's events are drawn in
// its own profile's colours, the link carries events= and restores the
// choice, and the embed page draws what the link says.
//
//   KHORASAN_URL=... EXPECTED='{}' node --test layers.test.mjs

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { config, launch, open, outside, OUT } from './harness.mjs';

describe('two events layers', () => {
  let cfg;
  let browser;
  let page;
  let acledCount;
  let attacksCount;

  const markers = (target) => target.evaluate(() => [...document.querySelectorAll('path.attack-marker')].map((p) => p.getAttribute('fill')));

  before(async () => {
    cfg = config();
    const get = async (rel) => (await fetch(new URL(rel, cfg.url))).json();
    acledCount = (await get('api/collections/acled/items?limit=1')).numberMatched;
    attacksCount = (await get('api/collections/attacks/items?limit=1')).numberMatched;
    assert.ok(acledCount > 0 && attacksCount > 0, `acled ${acledCount}, attacks ${attacksCount}`);
    browser = await launch();
    page = browser.page;
  });
  after(async () => { if (browser) await browser.close(); });

  test('the picker lists both events layers, both drawn as the map has always drawn them', async () => {
    await open(page, cfg.url, '');
    assert.ok(await page.locator('#group-events').isVisible(), 'no events picker');
    const chips = await page.locator('#group-events input[name="events"]').evaluateAll((ins) => ins.map((i) => [i.value, i.checked, i.disabled]));
    assert.deepEqual(chips, [['attacks', true, true], ['acled', true, false]]);
    assert.equal((await markers(page)).length, attacksCount + acledCount);
    assert.doesNotMatch(page.url(), /events=/);
  });

  test('the ACLED events have their own profile\'s colours, not the attacks\'', async () => {
    const style = await (await fetch(new URL('style.json', cfg.url))).json();
    const attacks = new Set(Object.values(style.attribution).map((s) => s.color.toLowerCase()));
    const all = await page.evaluate(() => [...document.querySelectorAll('path.attack-marker')].map((p) => p.getAttribute('fill').toLowerCase()));
    const own = all.filter((c) => !attacks.has(c));
    assert.equal(own.length, acledCount, `fills: ${[...new Set(all)].join(' ')}`);
    const dot = await page.locator('label[for="f-events-acled"] .chip-shape').count();
    assert.equal(dot, 1, 'the ACLED chip has no colour');
    const profile = await (await fetch(new URL('api/collections/acled/profile', cfg.url))).json();
    const category = profile.categories[0];
    const legend = await page.locator('.legend section[data-layer="acled"]').innerText();
    for (const v of category.values) assert.ok(legend.includes((category.labels || {})[v] || v), `the legend lacks ACLED's ${v}: ${legend}`);
  });

  test('the timeline has a bar per month for ACLED beside the attacks\'', async () => {
    const acled = (await (await fetch(new URL('api/collections/acled/items?limit=1000', cfg.url))).json()).features;
    const bars = await page.evaluate(() => [...document.querySelectorAll('#histogram rect.bar-series[data-layer="acled"]')]
      .reduce((a, r) => a + Number(/: (\d+) event/.exec(r.textContent)[1]), 0));
    assert.equal(bars, acled.length, 'the ACLED bars do not add up to its events');
    assert.ok(await page.locator('#histogram rect.bar').count() > 0, 'no attacks bars');
  });

  test('the table has a layer column, and ACLED\'s rows read its own fields', async () => {
    const acled = (await (await fetch(new URL('api/collections/acled/items?limit=1000', cfg.url))).json()).features;
    const title = (await (await fetch(new URL('api/collections/acled', cfg.url))).json()).title || 'acled';
    assert.equal(await page.locator('#events-table th.col-layer').count(), 1, 'no layer column');
    const rows = await page.locator('#events-table tbody tr[data-layer="acled"]').evaluateAll((trs) => trs.map((tr) => [tr.dataset.id, tr.querySelector('td.col-layer').textContent, tr.querySelector('td.col-date').textContent]));
    assert.equal(rows.length, acled.length);
    for (const f of acled) {
      const row = rows.find(([id]) => id === String(f.id));
      assert.ok(row, `no row for ${f.id}: ${JSON.stringify(rows)}`);
      assert.equal(row[1], title);
      assert.equal(row[2], String(f.properties.event_date).slice(0, 10));
    }
    const attacksRows = await page.locator('#events-table tbody tr:not([data-layer])').count();
    assert.equal(attacksRows, Math.min(attacksCount, 500), 'the attacks keep their rows');
    await page.locator('#events-table tbody tr[data-layer="acled"] .row-link').first().click();
    await page.locator('.leaflet-popup-content').last().waitFor({ state: 'visible', timeout: 5_000 });
    await page.screenshot({ path: path.join(OUT, 'two-layers.png'), fullPage: true });
  });

  test('each layer has its own marker shape, in the map, the legend and the picker', async () => {
    const shapes = await page.evaluate(() => [...document.querySelectorAll('path.attack-marker')].reduce((a, p) => {
      const shape = [...p.classList].find((c) => c.startsWith('shape-'));
      const k = `${p.dataset.layer} ${shape}`;
      a[k] = (a[k] || 0) + 1;
      return a;
    }, {}));
    assert.deepEqual(shapes, { 'attacks shape-circle': attacksCount, 'acled shape-diamond': acledCount });
    // A diamond's outline is a polygon (four corners), not an arc.
    const d = await page.locator('path.attack-marker[data-layer="acled"]').first().getAttribute('d');
    assert.match(d, /^M[\d.]+,[\d.]+(L[\d.]+,[\d.]+){3}z$/, d);
    assert.equal(await page.locator('.legend section[data-layer="acled"][data-shape="diamond"] svg[data-shape="diamond"]').count() > 0, true, 'the legend does not show ACLED as diamonds');
    assert.match(await page.locator('.legend section[data-layer="acled"] h3').innerText(), /diamonds/);
    assert.equal(await page.locator('label[for="f-events-acled"] svg[data-shape="diamond"]').count(), 1);
    assert.equal(await page.locator('label[for="f-events-attacks"] svg[data-shape="circle"]').count(), 1);
  });

  // The count of a layer under CQL2 text and parameters, from the API.
  const apiCount = async (layer, params) => {
    const u = new URL(`api/collections/${layer}/items`, cfg.url);
    u.searchParams.set('limit', '1');
    for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
    return (await (await fetch(u)).json()).numberMatched;
  };
  const drawn = (layer) => page.evaluate((l) => document.querySelectorAll(`path.attack-marker[data-layer="${l}"]`).length, layer);
  const acledBars = () => page.evaluate(() => [...document.querySelectorAll('#histogram rect.bar-series[data-layer="acled"]')]
    .reduce((a, r) => a + Number(/: (\d+) event/.exec(r.textContent)[1]), 0));

  test('ACLED is filtered by its own categories, the attacks by theirs; the link carries both', async () => {
    const profile = await (await fetch(new URL('api/collections/acled/profile', cfg.url))).json();
    const cat = profile.categories[0];
    const v = cat.values[1];
    const chip = page.locator(`#group-others fieldset[data-layer="acled"] input[value="${v}"]`);
    assert.equal(await page.locator('#group-others fieldset[data-layer="acled"] input').count(), cat.values.length, 'ACLED\'s own category chips');
    await chip.check();
    const want = await apiCount('acled', { [cat.property]: v });
    assert.ok(want > 0 && want < acledCount, `${want} ACLED events of ${v}`);
    await page.waitForFunction((n) => document.querySelectorAll('path.attack-marker[data-layer="acled"]').length === n, want, { timeout: 10_000 });
    assert.equal(await drawn('attacks'), attacksCount, 'the ACLED filter filtered the attacks');
    await page.waitForFunction((val) => new URLSearchParams(location.search).getAll('category').includes(`acled:${val}`), v, { timeout: 5_000 });
    assert.equal(await page.locator('#events-table tbody tr[data-layer="acled"]').count(), want);
    assert.equal(await acledBars(), want, 'the ACLED bars count its filtered events');
    assert.equal(await page.locator('#table-layers-note .layer-count[data-layer="acled"]').getAttribute('data-count'), String(want));
    // The attacks' attribution chip filters the attacks only.
    await page.locator('#f-attribution-claimed').check();
    const claimed = await apiCount('attacks', { attribution: 'claimed' });
    await page.waitForFunction((n) => document.querySelectorAll('path.attack-marker[data-layer="attacks"]').length === n, claimed, { timeout: 10_000 });
    assert.equal(await drawn('acled'), want);
    // The link restores both, in a new page.
    await open(page, page.url(), '');
    assert.equal(await drawn('attacks'), claimed);
    assert.equal(await drawn('acled'), want);
    assert.equal(await page.locator(`#group-others input[value="${v}"]`).isChecked(), true);
    await page.locator('#clear-filters').click();
    await page.waitForFunction((n) => document.querySelectorAll('path.attack-marker').length === n, attacksCount + acledCount, { timeout: 10_000 });
    await page.waitForFunction(() => !/category=|attribution=/.test(location.search), null, { timeout: 5_000 });
  });

  test('the shared filters (time, magnitude, country) reach each layer through its own fields', async () => {
    const magnitude = (await (await fetch(new URL('api/collections/acled/profile', cfg.url))).json()).magnitude;
    await open(page, cfg.url, '?minkilled=50&datetime=2021-01-01/2021-12-31&country=Afghanistan');
    const attacks = await apiCount('attacks', { datetime: '2021-01-01/2021-12-31', country: 'Afghanistan', filter: 'killed >= 50' });
    const acled = await apiCount('acled', { datetime: '2021-01-01/2021-12-31', country: 'Afghanistan', filter: `${magnitude} >= 50` });
    assert.ok(acled > 0, 'no ACLED event left to check');
    assert.equal(await drawn('attacks'), attacks);
    assert.equal(await drawn('acled'), acled);
    assert.equal(await page.locator('#events-table tbody tr[data-layer="acled"]').count(), acled);
  });

  test('the embed page, from the share panel\'s snippet, draws and explains the same layers and filters', async () => {
    const profile = await (await fetch(new URL('api/collections/acled/profile', cfg.url))).json();
    const v = profile.categories[0].values[0];
    await open(page, cfg.url, `?category=${encodeURIComponent(`acled:${v}`)}&attribution=disputed`);
    const want = { attacks: await drawn('attacks'), acled: await drawn('acled') };
    assert.equal(want.acled, await apiCount('acled', { [profile.categories[0].property]: v }));
    await page.click('#share-open');
    await page.locator('#share').waitFor({ state: 'visible' });
    const snippet = await page.evaluate(() => document.getElementById('share-embed').value);
    await page.keyboard.press('Escape');
    const src = new URL(/<iframe src="([^"]+)"/.exec(snippet)[1].replace(/&amp;/g, '&'));
    assert.deepEqual(src.searchParams.getAll('category'), [`acled:${v}`], snippet);
    await open(page, src.href, '');
    assert.equal(await drawn('attacks'), want.attacks);
    assert.equal(await drawn('acled'), want.acled);
    assert.equal(await page.locator('path.attack-marker[data-layer="acled"].shape-diamond').count(), want.acled);
    const legend = page.locator('.legend section[data-layer="acled"][data-shape="diamond"]');
    assert.equal(await legend.count(), 1, 'the embed\'s legend lacks ACLED');
    await page.screenshot({ path: path.join(OUT, 'two-layers-embed.png') });
  });

  test('unpicking ACLED takes it off and writes events= in the link', async () => {
    await open(page, cfg.url, '');
    await page.locator('label[for="f-events-acled"]').click();
    await page.waitForFunction((n) => document.querySelectorAll('path.attack-marker').length === n, attacksCount, { timeout: 10_000 });
    await page.waitForFunction(() => /[?&]events=attacks(&|$)/.test(location.search), null, { timeout: 5_000 });
    assert.equal(await page.locator('#histogram rect.bar-series').count(), 0, 'the timeline still shows ACLED');
    assert.equal(await page.locator('#events-table th.col-layer').count(), 0, 'the layer column stays');
    assert.equal(await page.locator('.legend section[data-layer="acled"]').count(), 0, 'the legend still shows ACLED');
    assert.equal(await page.locator('#events-table tbody tr[data-layer]').count(), 0, 'ACLED rows stay');
    assert.doesNotMatch(page.url(), /layers=/, 'layers= is about the picked layers');
  });

  test('the share panel\'s permalink and embed snippet carry the choice', async () => {
    await page.click('#share-open');
    await page.locator('#share').waitFor({ state: 'visible' });
    const v = await page.evaluate(() => ({ link: document.getElementById('share-link').value, embed: document.getElementById('share-embed').value }));
    assert.equal(new URL(v.link).searchParams.get('events'), 'attacks', v.link);
    const src = /<iframe src="([^"]+)"/.exec(v.embed);
    assert.ok(src, v.embed);
    assert.equal(new URL(src[1].replace(/&amp;/g, '&')).searchParams.get('events'), 'attacks', v.embed);
    await page.keyboard.press('Escape');
  });

  test('the link restores the choice, and picking ACLED again draws it', async () => {
    const link = page.url();
    await open(page, link, '');
    assert.equal(await page.locator('#f-events-acled').isChecked(), false, 'the link lost the choice');
    assert.equal((await markers(page)).length, attacksCount);
    await page.locator('label[for="f-events-acled"]').click();
    await page.waitForFunction((n) => document.querySelectorAll('path.attack-marker').length === n, attacksCount + acledCount, { timeout: 10_000 });
    await page.waitForFunction(() => !/events=/.test(location.search), null, { timeout: 5_000 });
  });

  test('the embed page draws the layers the link picks', async () => {
    await open(page, cfg.url, 'embed.html?events=attacks');
    assert.equal((await markers(page)).length, attacksCount);
    await open(page, cfg.url, 'embed.html');
    assert.equal((await markers(page)).length, attacksCount + acledCount);
  });

  test('nothing failed and nothing left the machine', () => {
    assert.deepEqual(browser.log.errors, []);
    assert.deepEqual(browser.log.bad, []);
    assert.deepEqual(outside(browser.log.requests), []);
  });
});
