// Headless-browser test of the analyst's map (issue 6): timeline, filters,
// clusters and heat map, the table, the URL state, downloads, the share
// panel, keyboard, phone and print. Every count is checked against the
// database (EXPECTED, computed by analyst_test.go with CQL2 filters).
//
//   KHORASAN_URL=http://127.0.0.1:8080 EXPECTED='{"total":[60,2134],...}' node --test analyst.test.mjs
//
// Screenshots go to out/analyst.png (filters set), out/clusters.png,
// out/heat.png and out/phone.png.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { config, launch, open, outside, parseCSV, OUT } from './harness.mjs';

// The analyst's questions (issue 6, "Why") and the URL that answers each;
// the key names the count analyst_test.go takes from the database.
export const QUESTIONS = [
  ['Where did attacks happen in 2021 and 2022?', '?datetime=2021-01-01/2022-12-31', 'y2021_2022'],
  ['Which were claimed?', '?attribution=claimed', 'claimed'],
  ['Which killed more than 50?', '?minkilled=51&sort=-killed', 'over50'],
  ['Which claimed attacks killed 50 or more?', '?attribution=claimed&minkilled=50', 'claimed50'],
  ['What hit Shia mosques?', '?target=Shia%20mosque', 'shia_mosque'],
  ['What happened in Kabul?', '?q=Kabul', 'kabul'],
  ['How did the geography move to Iran and Russia?', '?country=Iran&country=Russia&color=type', 'iran_russia'],
  ['…and how many stayed in Afghanistan?', '?country=Afghanistan', 'afghanistan'],
];

// What the page shows: markers drawn, table rows, the count it reports.
function shownScript() {
  return {
    markers: document.querySelectorAll('path.attack-marker').length,
    rows: document.querySelectorAll('#events-table tbody tr[data-id]').length,
    shown: window.khorasan.shown(),
    summary: document.getElementById('summary').textContent,
    search: location.search,
  };
}

describe('the analyst map', () => {
  let cfg;
  let browser;
  let page;
  let defaultView;
  const E = (k) => cfg.expected[k][0];
  const killedOf = (k) => cfg.expected[k][1];

  const shown = () => page.evaluate(shownScript);
  const waitShown = (n) => page.waitForFunction((x) => window.khorasan.shown() === x
    && document.querySelectorAll('#events-table tbody tr[data-id]').length === x, n, { timeout: 5_000 });
  const waitURL = (re) => page.waitForFunction((src) => new RegExp(src).test(decodeURIComponent(location.search)), re.source, { timeout: 5_000 });
  const fmt = (n) => n.toLocaleString('en-GB');

  before(async () => {
    cfg = config();
    browser = await launch();
    page = browser.page;
    await open(page, cfg.url, '');
    defaultView = await page.evaluate(() => {
      const m = window.khorasan.map;
      return { lat: m.getCenter().lat, lng: m.getCenter().lng, zoom: m.getZoom() };
    });
  });

  after(async () => {
    await browser?.close();
  });

  test('every attack is on the map, in the table and in the histogram', async () => {
    const s = await shown();
    assert.equal(s.markers, E('total'));
    assert.equal(s.rows, E('total'));
    assert.match(s.summary, new RegExp(`^${E('total')} events · ${fmt(killedOf('total'))} killed`));
    const bars = await page.evaluate(() => [...document.querySelectorAll('#histogram rect.bar')].reduce((a, r) => a + Number(r.querySelector('title').textContent.match(/: (\d+) event/)[1]), 0));
    assert.equal(bars, E('total'), 'the histogram bars add up to every attack');
  });

  test('the year 2021 on the timeline: markers, table and counts follow', async () => {
    await page.click('#histogram button.year[data-year="2021"]');
    await waitShown(E('y2021'));
    const s = await shown();
    assert.equal(s.markers, E('y2021'), 'markers drawn');
    assert.equal(s.rows, E('y2021'), 'table rows');
    assert.match(s.summary, new RegExp(`^${E('y2021')} of ${E('total')} events · ${fmt(killedOf('y2021'))} killed · 2021`));
    await waitURL(/datetime=2021-01-01\/2021-12-31/);
    const dates = await page.$$eval('#events-table tbody td.col-date', (tds) => tds.map((td) => td.textContent));
    assert.ok(dates.every((d) => d.startsWith('2021-')), `rows outside 2021: ${dates}`);
    // Shift+click extends the range to 2022.
    await page.click('#histogram button.year[data-year="2022"]', { modifiers: ['Shift'] });
    await waitShown(E('y2021_2022'));
    await waitURL(/datetime=2021-01-01\/2022-12-31/);
    await page.click('#range-clear');
    await waitShown(E('total'));
  });

  test('dragging over the histogram picks a range, and the handles move with the keyboard', async () => {
    const box = await page.locator('#histogram .brush-layer').boundingBox();
    const { first, n } = await page.evaluate(() => {
      const years = [...document.querySelectorAll('#histogram button.year')].map((b) => Number(b.dataset.year));
      return { first: years[0] * 12, n: (years[years.length - 1] - years[0] + 1) * 12 };
    });
    const xOf = (month) => box.x + ((month - first + 0.5) / n) * box.width;
    const y = box.y + box.height / 2;
    await page.mouse.move(xOf(2021 * 12), y);
    await page.mouse.down();
    await page.mouse.move(xOf(2021 * 12 + 12), y, { steps: 4 });
    await page.mouse.move(xOf(2022 * 12 + 11), y, { steps: 4 });
    await page.mouse.up();
    await waitShown(E('y2021_2022'));
    assert.deepEqual((await page.evaluate(() => window.khorasan.state())).time, { start: '2021-01-01', end: '2022-12-31' });
    assert.equal(await page.textContent('#range-text'), '2021–2022');
    // Page Up moves the start handle a year later.
    await page.focus('#histogram .handle-start');
    await page.keyboard.press('PageUp');
    await page.waitForFunction(() => window.khorasan.state().time?.start === '2022-01-01');
    assert.equal(await page.getAttribute('#histogram .handle-start', 'aria-valuetext'), 'Jan 2022');
    await page.keyboard.press('Home');
    await page.focus('#histogram .handle-end');
    await page.keyboard.press('End');
    await waitShown(E('total'));
    assert.equal((await page.evaluate(() => window.khorasan.state())).time, null);
  });

  test('the play button moves the time range through the years', async () => {
    await page.click('#play');
    assert.equal(await page.getAttribute('#play', 'aria-pressed'), 'true');
    await page.waitForFunction(() => (window.khorasan.state().time?.start || '') > '2015-03', null, { timeout: 5_000 });
    await page.click('#play');
    assert.equal(await page.getAttribute('#play', 'aria-pressed'), 'false');
    const t = (await page.evaluate(() => window.khorasan.state())).time;
    assert.ok(t && t.start && t.end, 'a range while playing');
    await page.click('#range-clear');
    await waitShown(E('total'));
  });

  test('attribution=claimed and killed >= 50 in the filters', async () => {
    await page.click('label[for="f-attribution-claimed"]');
    await waitShown(E('claimed'));
    await page.fill('#f-min', '50');
    await waitShown(E('claimed50'));
    const s = await shown();
    assert.equal(s.markers, E('claimed50'));
    assert.match(s.summary, new RegExp(`^${E('claimed50')} of ${E('total')} events · ${fmt(killedOf('claimed50'))} killed`));
    await waitURL(/attribution=claimed&minkilled=50/);
    const rows = await page.$$eval('#events-table tbody tr', (trs) => trs.map((tr) => ({
      killed: Number(tr.querySelector('td.num').textContent.replace(/,/g, '')),
      attribution: tr.querySelector('td.col-attribution').textContent.trim(),
    })));
    assert.ok(rows.every((r) => r.killed >= 50 && r.attribution === 'claimed'), JSON.stringify(rows));
    const legend = (await page.textContent('.legend')).replace(/\s+/g, ' ');
    assert.ok(legend.includes(`Claimed by ISIS-K / IS (${E('claimed50')})`), `the legend does not count ${E('claimed50')} claimed: ${legend}`);
    assert.ok(legend.includes('Disputed (0)'), legend);
  });

  test('the CSV and GeoJSON downloads hold the filtered events', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#dl-csv')]);
    const file = await download.path();
    const rows = parseCSV(fs.readFileSync(file, 'utf8')).filter((r) => r.length > 1);
    const head = rows[0];
    assert.equal(rows.length - 1, E('claimed50'), `CSV rows (${download.suggestedFilename()})`);
    const ki = head.indexOf('killed');
    const ai = head.indexOf('attribution');
    assert.ok(rows.slice(1).every((r) => Number(r[ki]) >= 50 && r[ai] === 'claimed'), 'every CSV row matches the filters');
    const href = await page.getAttribute('#dl-geojson', 'href');
    assert.match(href, /f=json/);
    assert.match(href, /limit=10000/);
    const fc = await page.evaluate(async (u) => (await fetch(u)).json(), href);
    assert.equal(fc.features.length, E('claimed50'), 'GeoJSON features');
  });

  test('search "Kabul" finds it in names and cities, in any case', async () => {
    await page.click('#clear-filters');
    await waitShown(E('total'));
    await page.fill('#f-q', 'Kabul');
    await waitShown(E('kabul'));
    const s = await shown();
    assert.equal(s.markers, E('kabul'));
    const names = await page.$$eval('#events-table tbody td.col-name', (tds) => tds.map((td) => td.textContent));
    assert.ok(names.every((n) => /kabul/i.test(n)), names.join('\n'));
    await page.fill('#f-q', 'kabul');
    await waitURL(/q=kabul/);
    await waitShown(E('kabul'));
  });

  test('a click on a table row flies to the marker and opens its popup', async () => {
    const row = page.locator('#events-table tbody tr').nth(2);
    const id = await row.getAttribute('data-id');
    const name = await row.locator('.row-link').innerText();
    await row.locator('.row-link').click();
    const popup = page.locator('.leaflet-popup-content').last();
    await popup.waitFor({ state: 'visible', timeout: 5_000 });
    await page.waitForFunction((x) => window.khorasan.map.getZoom() >= 7 && document.querySelector('.leaflet-popup-content')?.textContent.includes(x), name);
    assert.match(await popup.innerText(), new RegExp(`id: ${id}`));
    assert.equal(await row.getAttribute('class'), 'selected');
    await waitURL(new RegExp(`sel=${id}`));
  });

  test('a click on a marker highlights its row', async () => {
    await page.evaluate(() => { window.khorasan.map.closePopup(); });
    const id = await page.locator('#events-table tbody tr').nth(0).getAttribute('data-id');
    await page.locator(`path.attack-marker[data-id="${id}"]`).dispatchEvent('click');
    await page.waitForFunction((x) => document.querySelector('.leaflet-popup-content')?.textContent.includes(`id: ${x}`), id);
    await page.waitForSelector(`#events-table tr.selected[data-id="${id}"][aria-current="true"]`, { timeout: 3_000 });
    assert.equal(await page.locator('#events-table tr.selected').count(), 1);
  });

  test('a copied URL restores exactly what the analyst saw', async () => {
    await page.evaluate(() => { window.khorasan.map.closePopup(); });
    await page.click('#clear-filters');
    await page.click('#histogram button.year[data-year="2022"]');
    await page.click('label[for="f-attribution-claimed"]');
    await page.click('.display-control input[value="type"]');
    await page.click('#events-table th button[data-sort="killed"]');
    await page.waitForFunction(() => window.khorasan.state().sort.key === 'killed');
    const id = await page.locator('#events-table tbody tr').nth(1).getAttribute('data-id');
    await page.locator(`#events-table tr[data-id="${id}"] .row-link`).click();
    await page.locator('.leaflet-popup-content').last().waitFor({ state: 'visible' });
    await page.waitForTimeout(700); // the fly and the popup's pan settle
    await waitURL(new RegExp(`sel=${id}`));
    await page.waitForTimeout(200);
    const before = await page.evaluate(() => {
      const m = window.khorasan.map;
      return {
        href: location.href, state: window.khorasan.state(), center: m.getCenter(), zoom: m.getZoom(),
        rows: window.khorasan.tableIds(), markers: window.khorasan.shownMarkers().sort(),
      };
    });
    assert.match(before.href, /datetime=2022-01-01\/2022-12-31/);
    assert.match(before.href, /view=/);
    const copy = await browser.context.newPage();
    try {
      await open(copy, before.href);
      await copy.locator('.leaflet-popup-content').waitFor({ state: 'visible' });
      const after = await copy.evaluate(() => {
        const m = window.khorasan.map;
        return {
          state: window.khorasan.state(), center: m.getCenter(), zoom: m.getZoom(),
          rows: window.khorasan.tableIds(), markers: window.khorasan.shownMarkers().sort(),
          popup: document.querySelector('.leaflet-popup-content').textContent,
          selected: document.querySelector('#events-table tr.selected')?.dataset.id,
          claimedChecked: document.getElementById('f-attribution-claimed').checked,
          legend: document.querySelector('.legend').textContent,
          range: document.getElementById('range-text').textContent,
          notice: document.getElementById('notice').hidden,
        };
      });
      const { view: v1, ...s1 } = before.state;
      const { view: v2, ...s2 } = after.state;
      assert.deepEqual(s2, s1, 'filters, sort, colour, mode and selection');
      assert.ok(Math.abs(after.zoom - before.zoom) < 1e-6, `zoom ${after.zoom} vs ${before.zoom}`);
      assert.ok(Math.abs(after.center.lat - before.center.lat) < 1e-3 && Math.abs(after.center.lng - before.center.lng) < 1e-3,
        `centre ${JSON.stringify(after.center)} vs ${JSON.stringify(before.center)}`);
      assert.deepEqual(after.rows, before.rows, 'table rows in the same order');
      assert.deepEqual(after.markers, before.markers, 'the same markers');
      assert.match(after.popup, new RegExp(`id: ${id}`));
      assert.equal(after.selected, id);
      assert.ok(after.claimedChecked);
      assert.match(after.legend, /by attack type/);
      assert.equal(after.range, '2022');
      assert.ok(after.notice, 'no notice for a good link');
    } finally {
      await copy.close();
    }
  });

  test('a broken link opens the default view with a notice', async () => {
    await open(page, cfg.url, '?view=34.5,66,-3&layers=borders,nope&datetime=2021-13-45/2022-01-01&minkilled=lots&mode=3d&colour=red');
    const notice = page.locator('#notice');
    assert.ok(await notice.isVisible(), 'no notice');
    const text = await notice.innerText();
    for (const want of ['zoom -3', '"nope"', '"2021-13-45"', 'minkilled', 'mode', '"colour"']) {
      assert.ok(text.includes(want), `the notice does not mention ${want}: ${text}`);
    }
    const s = await shown();
    assert.equal(s.markers, E('total'), 'every attack shown');
    const v = await page.evaluate(() => ({ zoom: window.khorasan.map.getZoom(), c: window.khorasan.map.getCenter(), layers: Object.values(window.khorasan.layers).filter((l) => window.khorasan.map.hasLayer(l)).length }));
    assert.equal(v.zoom, defaultView.zoom, 'the default zoom');
    assert.ok(Math.abs(v.c.lat - defaultView.lat) < 1e-6 && Math.abs(v.c.lng - defaultView.lng) < 1e-6, 'the default centre');
    assert.equal(v.layers, await page.evaluate(() => Object.keys(window.khorasan.layers).length), 'every layer shown');
    await page.click('#notice-close');
    assert.ok(!(await notice.isVisible()));
  });

  test('filters that match nothing say so', async () => {
    await open(page, cfg.url, '?q=no-such-place-anywhere');
    assert.ok(await page.locator('#empty').isVisible(), 'no message on the map');
    assert.match(await page.innerText('#table-note'), /No events match these filters/);
    assert.equal((await shown()).markers, 0);
    await page.click('#empty [data-action="reset"]');
    await waitShown(E('total'));
    assert.ok(!(await page.locator('#empty').isVisible()));
  });

  test('clusters show the total killed, and events at one point can each be opened', async () => {
    await open(page, cfg.url, '?mode=clusters');
    const sums = await page.evaluate(() => {
      const inClusters = [...document.querySelectorAll('.cluster-killed')].reduce((a, n) => a + Number(n.textContent.replace(/,/g, '')), 0);
      const singles = [...document.querySelectorAll('path.attack-marker')].reduce((a, p) => a + window.khorasan.attackMarker(p.dataset.id).killed, 0);
      return { clusters: document.querySelectorAll('.event-cluster').length, total: inClusters + singles };
    });
    assert.ok(sums.clusters > 0, 'no clusters at the region view');
    assert.equal(sums.total, killedOf('total'), 'clusters and single markers add up to every death');
    assert.match(await page.innerText('.legend'), /total killed/);
    await page.screenshot({ path: path.join(OUT, 'clusters.png') });
    // Three attacks share Jalalabad's point: each opens from its row.
    for (const id of ['2015-04-18-jalalabad-bank', '2020-08-02-jalalabad-prison']) {
      await page.locator(`#events-table tr[data-id="${id}"] .row-link`).click();
      await page.waitForFunction((x) => document.querySelector('.leaflet-popup-content')?.textContent.includes(`id: ${x}`), id, { timeout: 8_000 });
      assert.ok(await page.locator(`path.attack-marker[data-id="${id}"]`).count() === 1, `${id} is not drawn on its own`);
    }
  });

  test('the heat map mode', async () => {
    await open(page, cfg.url, '?mode=heat&attribution=claimed');
    assert.equal(await page.locator('canvas.leaflet-heatmap-layer').count(), 1, 'no heat canvas');
    assert.equal(await page.locator('path.attack-marker').count(), 0);
    assert.equal((await shown()).rows, E('claimed'));
    assert.match(await page.innerText('.legend'), /heat map/);
    await page.screenshot({ path: path.join(OUT, 'heat.png') });
    await page.click('.display-control input[value="circles"]');
    assert.equal(await page.locator('path.attack-marker').count(), E('claimed'));
  });

  test('colour by attack type, from the one style', async () => {
    await open(page, cfg.url, '?color=type&type=suicide');
    await waitShown(E('suicide'));
    const fills = await page.$$eval('path.attack-marker', (ps) => [...new Set(ps.map((p) => p.getAttribute('fill')))]);
    const color = await page.evaluate(() => getComputedStyle(document.querySelector('label[for="f-type-suicide"] .chip-dot')).backgroundColor);
    assert.equal(fills.length, 1, `suicide attacks in ${fills.length} colours`);
    const hex = fills[0].replace(/^#/, '');
    const rgb = `rgb(${parseInt(hex.slice(0, 2), 16)}, ${parseInt(hex.slice(2, 4), 16)}, ${parseInt(hex.slice(4, 6), 16)})`;
    assert.equal(rgb, color, 'the marker and the filter chip share the colour');
    // Attribution colours come from style.json, as the Go renderer's do.
    const style = await page.evaluate(async () => (await fetch('style.json')).json());
    await open(page, cfg.url, '?attribution=disputed');
    const fill = await page.$eval('path.attack-marker', (p) => p.getAttribute('fill'));
    assert.equal(fill, style.attribution.disputed.color);
    const r = await page.$$eval('path.attack-marker', (ps) => ps.map((p) => p.getBBox().width / 2));
    assert.ok(r.every((x) => x >= style.marker.minRadius - 0.01), 'no marker under style.json minRadius');
  });

  test('every question of the issue has a URL that answers it', async () => {
    for (const [question, query, key] of QUESTIONS) {
      await open(page, cfg.url, query);
      const s = await shown();
      assert.equal(s.shown, E(key), `${question} ${query}: count`);
      assert.equal(s.rows, E(key), `${question} ${query}: table rows`);
      assert.equal(s.markers, E(key), `${question} ${query}: markers`);
      assert.ok(s.summary.includes(`${fmt(killedOf(key))} killed`), `${question} ${query}: ${s.summary}`);
      assert.ok(await page.locator('#notice').isHidden(), `${question} ${query}: a notice`);
    }
  });

  test('keyboard: table rows, sorting and labelled controls', async () => {
    await open(page, cfg.url, '?attribution=claimed');
    const first = page.locator('#events-table .row-link[tabindex="0"]');
    assert.equal(await first.count(), 1, 'one row in the Tab order');
    await first.focus();
    await page.keyboard.press('ArrowDown');
    const id = await page.evaluate(() => document.activeElement.closest('tr').dataset.id);
    assert.equal(id, (await page.evaluate(() => window.khorasan.tableIds()))[1]);
    await page.keyboard.press('Enter');
    await page.waitForFunction((x) => document.querySelector('.leaflet-popup-content')?.textContent.includes(`id: ${x}`), id);
    await page.focus('#events-table th button[data-sort="killed"]');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('#events-table th[aria-sort]')?.querySelector('[data-sort="killed"]'));
    const unlabelled = await page.evaluate(() => [...document.querySelectorAll('#filters input, .display-control input, #share input, #share textarea')]
      .filter((i) => !i.labels?.length && !i.getAttribute('aria-label')).map((i) => i.id || i.name));
    assert.deepEqual(unlabelled, [], 'inputs without a label');
    const unnamed = await page.evaluate(() => [...document.querySelectorAll('button, [role=slider]')]
      .filter((b) => b.offsetParent !== null && !(b.getAttribute('aria-label') || b.textContent.trim())).map((b) => b.outerHTML.slice(0, 80)));
    assert.deepEqual(unnamed, [], 'controls without a name');
  });

  test('a phone: the map, the timeline and the table stack, nothing overflows', async () => {
    const phone = await browser.context.newPage();
    try {
      await phone.setViewportSize({ width: 390, height: 844 });
      await open(phone, cfg.url, '?attribution=claimed&minkilled=50');
      const m = await phone.evaluate(() => ({
        scroll: document.documentElement.scrollWidth,
        map: document.getElementById('map').getBoundingClientRect().height,
        table: document.getElementById('events-table').getBoundingClientRect().top,
        mapBottom: document.getElementById('map').getBoundingClientRect().bottom,
      }));
      assert.ok(m.scroll <= 390, `the page is ${m.scroll} px wide on a 390 px screen`);
      assert.ok(m.map >= 250, `the map is ${m.map} px tall`);
      assert.ok(m.table > m.mapBottom, 'the table is under the map');
      await phone.screenshot({ path: path.join(OUT, 'phone.png'), fullPage: false });
    } finally {
      await phone.close();
    }
  });

  test('print: the map and the table, without the controls', async () => {
    await page.emulateMedia({ media: 'print' });
    try {
      const v = await page.evaluate(() => ({
        filters: getComputedStyle(document.getElementById('filters')).display,
        layers: getComputedStyle(document.querySelector('.leaflet-control-layers')).display,
        table: getComputedStyle(document.getElementById('events-table')).display,
        map: document.getElementById('map').getBoundingClientRect().height,
      }));
      assert.equal(v.filters, 'none');
      assert.equal(v.layers, 'none');
      assert.equal(v.table, 'table');
      assert.ok(v.map > 200);
    } finally {
      await page.emulateMedia({ media: 'screen' });
    }
  });

  test('the share panel: iframe snippet, PNG/SVG/PDF render URLs with the filters, a permalink', async () => {
    await open(page, cfg.url, '?datetime=2021-01-01/2022-12-31&attribution=claimed&minkilled=10&layers=borders,khorasan,attacks');
    await page.click('#share-open');
    await page.locator('#share').waitFor({ state: 'visible' });
    const v = await page.evaluate(() => Object.fromEntries(['share-link', 'share-embed', 'share-png', 'share-svg', 'share-pdf', 'share-title-input']
      .map((id) => [id, document.getElementById(id).value])));
    const link = new URL(v['share-link']);
    assert.equal(link.origin, cfg.url.origin);
    for (const want of ['datetime=2021-01-01/2022-12-31', 'attribution=claimed', 'minkilled=10', 'layers=borders,khorasan,attacks', 'view=']) {
      assert.ok(decodeURIComponent(link.search).includes(want), `permalink lacks ${want}: ${link}`);
    }
    const src = /<iframe src="([^"]+)"/.exec(v['share-embed']);
    assert.ok(src, v['share-embed']);
    const embed = new URL(src[1].replace(/&amp;/g, '&'));
    assert.match(embed.pathname, /^\/embed(\.html)?$/);
    assert.equal(new URLSearchParams(embed.search).get('attribution'), 'claimed');
    assert.match(v['share-title-input'], /2021–2022; claimed; 10\+ killed/);
    for (const f of ['png', 'svg', 'pdf']) {
      const u = new URL(v[`share-${f}`]);
      const p = u.searchParams;
      assert.equal(u.pathname, '/render');
      assert.equal(p.get('format'), f);
      assert.equal(p.get('width'), '1200');
      assert.equal(p.get('height'), '800');
      assert.equal(p.get('layers'), 'borders,khorasan,attacks');
      assert.equal(p.get('datetime'), '2021-01-01/2022-12-31');
      assert.equal(p.get('attribution'), 'claimed');
      assert.equal(p.get('filter'), 'killed >= 10');
      assert.equal(p.get('title'), v['share-title-input']);
      const bbox = p.get('bbox').split(',').map(Number);
      assert.ok(bbox.length === 4 && bbox[0] < bbox[2] && bbox[1] < bbox[3], `bbox ${p.get('bbox')}`);
      // The server draws the figure the URL describes.
      const got = await page.evaluate(async (url) => {
        const res = await fetch(url);
        const body = new Uint8Array(await res.arrayBuffer());
        return { status: res.status, type: res.headers.get('content-type'), head: String.fromCharCode(...body.slice(0, 5)), size: body.length };
      }, u.href);
      assert.equal(got.status, 200, `${f} figure: ${JSON.stringify(got)}`);
      assert.match(got.type, { png: /^image\/png/, svg: /^image\/svg\+xml/, pdf: /^application\/pdf/ }[f]);
      assert.equal(got.head, { png: '\x89PNG\r', svg: '<?xml', pdf: '%PDF-' }[f], `${f} figure starts with ${JSON.stringify(got.head)}`);
    }
    // The render URL's filters are the API's: the items endpoint takes them.
    const p = new URL(v['share-png']).searchParams;
    const api = new URL('api/collections/attacks/items', cfg.url);
    for (const k of ['datetime', 'attribution', 'filter']) api.searchParams.set(k, p.get(k));
    const count = await page.evaluate(async (u) => (await (await fetch(u)).json()).numberMatched, api.href);
    assert.equal(count, (await page.evaluate(() => window.khorasan.shown())), 'the API with the render URL\'s filters counts what the page shows');
    await page.click('#share [data-copy="share-link"]');
    await page.waitForFunction(() => document.getElementById('share-status').textContent !== '');
    await page.keyboard.press('Escape');
    assert.ok(!(await page.locator('#share').isVisible()), 'Escape closes the panel');
  });

  test('a screenshot with filters set', async () => {
    await open(page, cfg.url, '?datetime=2021-01-01/2022-12-31&attribution=claimed&minkilled=5&sel=2021-08-26-kabul-airport');
    await page.locator('.leaflet-popup-content').last().waitFor({ state: 'visible' });
    await page.waitForTimeout(400);
    const file = path.join(OUT, 'analyst.png');
    await page.screenshot({ path: file });
    assert.ok(fs.statSync(file).size > 20_000, 'the screenshot is suspiciously small');
  });

  test('nothing was requested from outside this machine, and nothing failed', async () => {
    assert.ok(browser.log.requests.length > 20);
    assert.deepEqual(outside(browser.log.requests), [], 'requests left the machine');
    assert.deepEqual(browser.log.bad, [], 'requests failed');
    assert.deepEqual(browser.log.errors, [], 'the page logged errors');
    assert.deepEqual(browser.log.csp, [], 'the Content-Security-Policy refused something');
  });
});
