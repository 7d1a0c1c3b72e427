// Times headless-Chromium screenshots of the khorasan page, for
// bench/render.sh: each run opens a new page in one warm browser, loads
// the map, waits for it to be ready (body[data-ready=true]: every layer
// drawn, the view fitted to the region) and takes a PNG screenshot.
//
//   node bench/render-chromium.mjs URL WIDTH HEIGHT RUNS OUT.png
//
// playwright-core comes from tests/browser/node_modules (npm ci there);
// the browser is Debian's /usr/bin/chromium (CHROMIUM_PATH to change it).
// Requests may only go to the loopback server given.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(HERE, '..', 'tests', 'browser', 'package.json'));
const { chromium } = require('playwright-core');

const [url, width, height, runs, out] = process.argv.slice(2);
const target = new URL(url);
if (!['127.0.0.1', 'localhost', '[::1]'].includes(target.hostname)) {
  throw new Error(`refusing a non-loopback URL: ${url}`);
}
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const times = [];
try {
  for (let i = 0; i < Number(runs); i++) {
    const page = await browser.newPage({ viewport: { width: Number(width), height: Number(height) } });
    await page.route('**/*', (route) => {
      const u = new URL(route.request().url());
      return u.host === target.host ? route.continue() : route.abort();
    });
    const t0 = performance.now();
    await page.goto(url, { waitUntil: 'load', timeout: 60000 });
    await page.waitForSelector('body[data-ready="true"]', { timeout: 60000 });
    // The basemap tiles of the fitted view must be in before the picture
    // (checked directly: waiting for "network idle" would add 500 ms).
    await page.waitForFunction(() => {
      const tiles = [...document.querySelectorAll('img.leaflet-tile')];
      return tiles.length > 0 && tiles.every((t) => t.complete);
    }, null, { timeout: 60000, polling: 'raf' });
    await page.screenshot({ path: out, type: 'png' });
    times.push(performance.now() - t0);
    await page.close();
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify({ ms: times }));
