// Headless-browser test of the page's choropleth and month-by-month
// comparison (issue 14), on the default data with the ACLED sample
// imported as "acled" (aggregate_test.go). Every number the page shows
// is held to the API's /aggregate, asked here with the filters written
// out by hand (not by the page's code): the choropleth per country and
// per hexagon under several filters (the cells drawn, the legend's
// classes, each cell's tooltip), the comparison of the attacks and ACLED
// per month, and the settings' round trip through the link.
//
//   KHORASAN_URL=... EXPECTED='{}' node --test aggregate.test.mjs

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { config, launch, open, outside, OUT } from './harness.mjs';

describe('choropleth and month-by-month comparison', () => {
  let cfg;
  let browser;
  let page;
  const api = async (rel) => {
    const res = await fetch(new URL(rel, cfg.url));
    assert.equal(res.status, 200, `${rel}: ${res.status}`);
    return res.json();
  };
  // Numbers as the page prints them (1,637), back to numbers.
  const numbers = (text) => (text.match(/\d[\d,]*(\.\d+)?/g) || []).map((s) => Number(s.replace(/,/g, '')));
  const groupsOf = (doc) => doc.features.filter((f) => f.id && f.geometry);

  before(async () => {
    cfg = config();
    // Tall enough for the map to hold the choropleth box above the
    // display box with the comparison open under the timeline.
    browser = await launch({ width: 1280, height: 1000 });
    page = browser.page;
  });
  after(async () => { if (browser) await browser.close(); });

  const ready = (what) => page.waitForFunction((w) => document.body.dataset[w] === 'ready', what, { timeout: 15_000 });

  // A point of the map where the cell's path is on top (not a marker, a
  // control or another cell), or null.
  const pointIn = (id) => page.evaluate((cell) => {
    const p = document.querySelector(`path.choropleth-cell[data-id="${CSS.escape(cell)}"]`);
    if (!p) return null;
    const r = p.getBoundingClientRect();
    const m = document.getElementById('map').getBoundingClientRect();
    for (let i = 1; i < 24; i++) {
      for (let j = 1; j < 24; j++) {
        const x = r.left + (r.width * i) / 24;
        const y = r.top + (r.height * j) / 24;
        if (x <= m.left || x >= m.right || y <= m.top || y >= m.bottom) continue;
        if (document.elementFromPoint(x, y) === p) return { x, y };
      }
    }
    return null;
  }, id);

  const tooltipAt = async (pt) => {
    await page.mouse.move(pt.x, pt.y);
    const tip = page.locator('.leaflet-tooltip.choropleth-tip');
    await tip.waitFor({ state: 'visible', timeout: 5_000 });
    const text = await tip.innerText();
    // Off the map the tooltip closes (it fades out for 200 ms first).
    await page.mouse.move(5, 5);
    await page.waitForFunction(() => !document.querySelector('.leaflet-tooltip.choropleth-tip'), null, { timeout: 5_000 });
    return text;
  };

  // checkChoropleth opens the page with link and holds the choropleth to
  // the API's answer at apiRel: the cells drawn are its groups, the
  // legend's classes hold each group's value exactly once with bounds
  // that are values of the answer, the total is its count, and each
  // cell's tooltip (those that can be pointed at) gives its numbers.
  async function checkChoropleth(link, apiRel, shade, minTips) {
    await open(page, cfg.url, link);
    await ready('choropleth');
    const doc = await api(apiRel);
    const groups = groupsOf(doc);
    assert.ok(groups.length > 0, `${apiRel}: no groups`);
    const value = (f) => (shade === 'killed' ? f.properties.magnitude_sum : f.properties.count);
    const drawn = await page.locator('path.choropleth-cell').evaluateAll((ps) => ps.map((p) => p.dataset.id).sort());
    assert.deepEqual(drawn, groups.map((f) => String(f.id)).sort(), `${link}: the cells are not the API's groups`);

    const classes = await page.locator('#choropleth-legend .choropleth-classes li:not(.no-figure)').evaluateAll((lis) => lis.map((li) => ({
      lo: Number(li.dataset.lo), hi: Number(li.dataset.hi), n: Number(li.dataset.n),
      range: li.querySelector('.class-range').textContent, count: li.querySelector('.count').textContent,
    })));
    const values = groups.map(value).filter((v) => v !== null);
    assert.ok(classes.length >= 1 && classes.length <= 5, `${classes.length} classes`);
    assert.equal(classes.reduce((a, c) => a + c.n, 0), values.length, 'the classes do not hold every group');
    for (const c of classes) {
      assert.deepEqual(numbers(c.range), c.lo === c.hi ? [c.lo] : [c.lo, c.hi], `class label ${c.range}`);
      assert.ok(values.includes(c.lo) && values.includes(c.hi), `class ${c.range}: its bounds are not the API's values ${values}`);
      assert.equal(values.filter((v) => v >= c.lo && v <= c.hi).length, c.n, `class ${c.range} holds ${c.n} groups`);
      assert.deepEqual(numbers(c.count), [c.n]);
    }
    for (const v of values) assert.equal(classes.filter((c) => v >= c.lo && v <= c.hi).length, 1, `${v} is not in exactly one class`);
    const noFigure = groups.filter((f) => value(f) === null).length;
    assert.equal(await page.locator('#choropleth-legend li.no-figure').count(), noFigure ? 1 : 0);
    const total = await page.locator('#choropleth-legend .choropleth-total').innerText();
    assert.equal(numbers(total)[0], doc.count, `legend total ${total}`);
    if (doc.magnitude && typeof doc.magnitude_sum === 'number') assert.equal(numbers(total)[1], doc.magnitude_sum, `legend total ${total}`);

    // Each cell's class is the one its value falls in.
    const cellClass = Object.fromEntries(await page.locator('path.choropleth-cell').evaluateAll((ps) => ps.map((p) => [p.dataset.id, Number(p.dataset.class)])));
    for (const f of groups) {
      const v = value(f);
      const want = v === null ? -1 : classes.findIndex((c) => v >= c.lo && v <= c.hi);
      assert.equal(cellClass[String(f.id)], want, `cell ${f.id} (${v}) is in class ${cellClass[f.id]}`);
    }

    let tips = 0;
    for (const f of groups) {
      const pt = await pointIn(String(f.id));
      if (!pt) continue;
      const text = await tooltipAt(pt);
      const [head, rest] = text.split(': ');
      assert.ok(rest, `tooltip ${text}`);
      const n = numbers(rest);
      assert.equal(n[0], f.properties.count, `tooltip of ${f.id}: ${text}`);
      if (doc.magnitude && f.properties.magnitude_sum !== null) assert.equal(n[1], f.properties.magnitude_sum, `tooltip of ${f.id}: ${text}`);
      if (doc.by === 'country') assert.ok(head === String(f.properties.name), `tooltip of ${f.id} names ${head}, not ${f.properties.name}`);
      tips++;
    }
    assert.ok(tips >= minTips, `only ${tips} of ${groups.length} cells could be pointed at`);
    return doc;
  }

  // The page's link and the API's query of the same filters, written out.
  const filters = {
    'no filter': ['', ''],
    'claimed since 2021': ['datetime=2021-01-01/..&attribution=claimed', 'datetime=2021-01-01/..&attribution=claimed'],
    '50 or more killed': ['minkilled=50', `filter=${encodeURIComponent('killed >= 50')}`],
  };

  for (const [name, [link, query]] of Object.entries(filters)) {
    test(`per country, ${name}: events and killed equal /aggregate`, async () => {
      await checkChoropleth(`?choropleth=country${link ? '&' + link : ''}`, `api/collections/attacks/aggregate?by=country${query ? '&' + query : ''}`, 'events', 3);
      const doc = await checkChoropleth(`?choropleth=country&shade=killed${link ? '&' + link : ''}`, `api/collections/attacks/aggregate?by=country${query ? '&' + query : ''}`, 'killed', 3);
      if (name === 'no filter') {
        assert.ok(doc.features.some((f) => !f.id), 'the default data has an attack in no country');
        assert.match(await page.locator('#choropleth-legend .choropleth-total').innerText(), /in none/);
        // The screenshot with the tooltip of the country with most events.
        const top = groupsOf(doc)[0];
        const pt = await pointIn(String(top.id));
        await page.mouse.move(pt.x, pt.y);
        await page.locator('.leaflet-tooltip.choropleth-tip').waitFor({ state: 'visible', timeout: 5_000 });
        await page.screenshot({ path: path.join(OUT, 'choropleth-country.png') });
        await page.mouse.move(5, 5);
      }
    });
  }

  test('per hexagon, under two filters: cells, legend and tooltips equal /aggregate', async () => {
    await checkChoropleth('?choropleth=hex&hexsize=200', 'api/collections/attacks/aggregate?by=hex&size=200', 'events', 3);
    await checkChoropleth('?choropleth=hex&hexsize=150&shade=killed&datetime=2021-01-01/2023-12-31',
      'api/collections/attacks/aggregate?by=hex&size=150&datetime=2021-01-01/2023-12-31', 'killed', 2);
    await page.screenshot({ path: path.join(OUT, 'choropleth-hex.png') });
  });

  test('the ACLED layer\'s choropleth is its own, with its magnitude', async () => {
    await checkChoropleth('?choropleth=country&chorolayer=acled&shade=killed', 'api/collections/acled/aggregate?by=country', 'killed', 1);
    const profile = await api('api/collections/acled/profile');
    assert.match(await page.locator('#choropleth-legend h3').innerText(), new RegExp(`${profile.magnitude} per country`));
  });

  // The comparison's numbers, each cell against the layer's by=month.
  async function checkCompare(link, queries) {
    await open(page, cfg.url, link);
    await ready('compare');
    assert.ok(await page.locator('#compare').isVisible(), 'the comparison is not open');
    const cells = await page.locator('#compare-table td[data-layer]').evaluateAll((tds) => tds.map((td) => ({
      layer: td.dataset.layer, month: td.dataset.month, measure: td.dataset.measure, text: td.textContent,
    })));
    const cell = (layer, month, measure) => cells.find((c) => c.layer === layer && c.month === month && c.measure === measure);
    const months = new Set();
    for (const [layer, query] of Object.entries(queries)) {
      const doc = await api(`api/collections/${layer}/aggregate?by=month${query ? '&' + query : ''}`);
      for (const f of doc.features) {
        if (!f.id) continue;
        months.add(f.id);
        const c = cell(layer, f.id, 'count');
        assert.ok(c, `${layer} ${f.id}: no cell`);
        assert.deepEqual(numbers(c.text), [f.properties.count], `${layer} ${f.id} events`);
        const s = cell(layer, f.id, 'sum');
        assert.equal(s.text, f.properties.magnitude_sum === null ? '–' : f.properties.magnitude_sum.toLocaleString('en-GB'), `${layer} ${f.id} ${doc.magnitude}`);
      }
      // A month the layer has no event in reads 0.
      const own = new Set(doc.features.map((f) => f.id));
      for (const c of cells.filter((x) => x.layer === layer && x.measure === 'count' && /^\d{4}-\d{2}$/.test(x.month) && !own.has(x.month))) {
        assert.equal(c.text, '0', `${layer} ${c.month}`);
      }
      assert.deepEqual(numbers(cell(layer, 'total', 'count').text), [doc.count], `${layer} total`);
      if (typeof doc.magnitude_sum === 'number') assert.deepEqual(numbers(cell(layer, 'total', 'sum').text), [doc.magnitude_sum], `${layer} total ${doc.magnitude}`);
      const header = await page.locator(`#compare-table thead th[data-layer="${layer}"]`).count();
      assert.equal(header, 1, `${layer}: no column`);
      const bars = await page.locator(`#compare-chart rect.compare-bar[data-layer="${layer}"]`).evaluateAll((rs) => rs.map((r) => r.dataset.month).sort());
      assert.deepEqual(bars, doc.features.filter((f) => f.id && f.properties.count > 0).map((f) => f.id).sort(), `${layer}: a bar per month with events`);
    }
    const rows = await page.locator('#compare-table tbody tr').evaluateAll((trs) => trs.map((tr) => tr.dataset.month));
    assert.deepEqual(rows, [...months].sort(), 'the rows are not the months the layers have');
  }

  test('month by month, attacks and ACLED, no filter: every cell equals aggregate?by=month', async () => {
    await checkCompare('?compare=month', { attacks: '', acled: '' });
    // The screenshot: the comparison under the country choropleth.
    await open(page, cfg.url, '?compare=month&choropleth=country&datetime=2021-01-01/2022-12-31');
    await ready('compare');
    await ready('choropleth');
    await page.screenshot({ path: path.join(OUT, 'compare.png') });
  });

  test('month by month under filters: each layer under those that fit it', async () => {
    // The date and the country filter both layers (ACLED has country);
    // the attribution chips are the attacks' category, which ACLED lacks.
    await checkCompare('?compare=month&datetime=2021-01-01/2022-12-31&country=Afghanistan&attribution=claimed', {
      attacks: 'datetime=2021-01-01/2022-12-31&country=Afghanistan&attribution=claimed',
      acled: 'datetime=2021-01-01/2022-12-31&country=Afghanistan',
    });
    await checkCompare('?compare=month&events=attacks&minkilled=10', { attacks: `filter=${encodeURIComponent('killed >= 10')}` });
    assert.equal(await page.locator('#compare-table thead th[data-layer="acled"]').count(), 0, 'an unpicked layer is compared');
  });

  test('the settings go into the link and come back from it', async () => {
    await open(page, cfg.url, '');
    assert.equal(await page.locator('path.choropleth-cell').count(), 0, 'a choropleth without asking');
    assert.equal(await page.locator('#choropleth-control').getAttribute('open'), null, 'the box is open without a choropleth');
    await page.locator('#choropleth-control summary').click();
    await page.locator('#choropleth-control input[name="choropleth"][value="hex"]').check();
    await ready('choropleth');
    await page.locator('#choropleth-size').fill('250');
    await page.locator('#choropleth-size').dispatchEvent('change');
    await page.locator('#choropleth-control input[name="shade"][value="killed"]').check();
    await page.locator('#choropleth-layer').selectOption('acled');
    await page.click('#compare-open');
    await page.waitForFunction(() => /choropleth=hex&hexsize=250&shade=killed&chorolayer=acled&compare=month/.test(location.search), null, { timeout: 5_000 });
    const link = page.url();
    await page.click('#share-open');
    await page.locator('#share').waitFor({ state: 'visible' });
    const shared = new URL(await page.locator('#share-link').inputValue());
    for (const [k, v] of [['choropleth', 'hex'], ['hexsize', '250'], ['shade', 'killed'], ['chorolayer', 'acled'], ['compare', 'month']]) {
      assert.equal(shared.searchParams.get(k), v, `the share link: ${shared}`);
    }
    await page.keyboard.press('Escape');

    await open(page, link, '');
    await ready('choropleth');
    await ready('compare');
    assert.equal(await page.locator('#choropleth-control input[name="choropleth"][value="hex"]').isChecked(), true);
    assert.equal(await page.locator('#choropleth-size').inputValue(), '250');
    assert.equal(await page.locator('#choropleth-control input[name="shade"][value="killed"]').isChecked(), true);
    assert.equal(await page.locator('#choropleth-layer').inputValue(), 'acled');
    assert.ok(await page.locator('#compare').isVisible());
    const last = await page.evaluate(() => window.khorasan.choropleth());
    const doc = await api('api/collections/acled/aggregate?by=hex&size=250');
    assert.equal(last.layer, 'acled');
    assert.deepEqual(last.doc.features.map((f) => [f.id, f.properties.count, f.properties.magnitude_sum]),
      doc.features.map((f) => [f.id, f.properties.count, f.properties.magnitude_sum]));

    // None takes it off and out of the link; Close folds the comparison.
    await page.locator('#choropleth-control input[name="choropleth"][value=""]').check();
    await page.click('#compare-close');
    await page.waitForFunction(() => !/choropleth=|compare=|hexsize=|chorolayer=/.test(location.search), null, { timeout: 5_000 });
    assert.equal(await page.locator('path.choropleth-cell').count(), 0);
    assert.equal(await page.locator('#compare').isVisible(), false);
  });

  test('a bad setting in the link is named in the notice and left at its default', async () => {
    await open(page, cfg.url, '?choropleth=hex&hexsize=2&shade=wounded');
    const notice = await page.locator('#notice-text').innerText();
    assert.match(notice, /hexsize "2"/);
    assert.match(notice, /shade "wounded"/);
    await ready('choropleth');
    const last = await page.evaluate(() => window.khorasan.choropleth());
    assert.match(last.url, /size=100(&|$)/);
  });

  test('nothing failed and nothing left the machine', () => {
    assert.deepEqual(browser.log.errors, []);
    assert.deepEqual(browser.log.bad, []);
    assert.deepEqual(browser.log.csp, []);
    assert.deepEqual(outside(browser.log.requests), []);
  });
});
