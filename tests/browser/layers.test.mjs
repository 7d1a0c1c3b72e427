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

  test('unpicking ACLED takes it off and writes events= in the link', async () => {
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
