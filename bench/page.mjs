// Times how long the map page takes to become interactive with a large
// events layer picked beside the attacks, for bench/page.sh. Each run
// opens a new page in one warm browser and reports, in ms from the
// navigation's start:
//   ready        body[data-ready=true]: every layer loaded, the filters
//                built, the table and the timeline drawn (the page's own
//                "usable" mark)
//   interactive  also the big layer's vector tiles in view drawn and the
//                attacks' markers on the map (what a user sees), and for
//                mode=clusters the API's clusters of the view drawn
//   filter       then the time from a click on one of the big layer's
//                category chips until the map, table and counts show it
//
//   node bench/page.mjs URL LAYER MODE RUNS
//
// playwright-core comes from tests/browser/node_modules (npm ci there);
// the browser is Debian's /usr/bin/chromium (CHROMIUM_PATH to change it).
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(HERE, '..', 'tests', 'browser', 'package.json'));
const { chromium } = require('playwright-core');

const [url, layer, mode, runs] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
});
const target = new URL(`?events=attacks,${layer}${mode === 'circles' ? '' : `&mode=${mode}`}`, url);
const out = { ready: [], interactive: [], filter: [] };
for (let i = 0; i < Number(runs); i++) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('request', (r) => { if (new URL(r.url()).host !== target.host && !/^(data|blob):/.test(r.url())) throw new Error(`request outside: ${r.url()}`); });
  await page.goto(target.href, { waitUntil: 'commit' });
  await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 120_000, polling: 20 });
  const state = await page.evaluate(() => [document.body.dataset.ready, window.khorasan && window.khorasan.error]);
  if (state[0] !== 'true') throw new Error(`the page did not load: ${state[1]}`);
  const ready = await page.evaluate(() => performance.now());
  await page.waitForFunction(([l, m]) => {
    const big = window.khorasan.layers[l];
    const a = big.aggregates();
    const drawn = m === 'circles' ? big.tilesLoaded > 0 && !big.isLoading() : !a.pending && a.cells > 0;
    return drawn && document.querySelectorAll('path.attack-marker[data-layer="attacks"]').length > 0;
  }, [layer, mode], { timeout: 120_000, polling: 20 });
  const interactive = await page.evaluate(() => performance.now());
  // A category chip of the big layer: the table's count and (clusters)
  // the API's clusters follow.
  const before = await page.evaluate((l) => document.querySelector(`#table-layers-note .layer-count[data-layer="${l}"]`).dataset.count, layer);
  const t0 = await page.evaluate(() => performance.now());
  await page.locator(`#group-others fieldset[data-layer="${layer}"] label`).first().click();
  await page.waitForFunction(([l, b, m]) => {
    const n = document.querySelector(`#table-layers-note .layer-count[data-layer="${l}"]`);
    const a = window.khorasan.layers[l].aggregates();
    return n && n.dataset.count !== b && (m === 'circles' ? !window.khorasan.layers[l].isLoading() : !a.pending && a.count === Number(n.dataset.count) || (!a.pending && a.url && a.cells > 0));
  }, [layer, before, mode], { timeout: 60_000, polling: 20 });
  const t1 = await page.evaluate(() => performance.now());
  out.ready.push(Math.round(ready));
  out.interactive.push(Math.round(interactive));
  out.filter.push(Math.round(t1 - t0));
  await page.close();
}
await browser.close();
console.log(JSON.stringify(out));
