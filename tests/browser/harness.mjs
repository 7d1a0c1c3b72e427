// Shared by analyst.test.mjs and embed.test.mjs: the environment, a
// Chromium (Debian's, never a download), and a record of every request so
// that a test can check none left the machine and none failed.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const OUT = path.join(HERE, 'out');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

// config reads KHORASAN_URL, EXPECTED (JSON: question -> [count, killed])
// and OTHER_ORIGIN (a page server on another port).
export function config() {
  const problems = [];
  const base = process.env.KHORASAN_URL;
  let url = null;
  if (!base) problems.push('KHORASAN_URL is not set: the base URL of a running server');
  else url = new URL(base.endsWith('/') ? base : base + '/');
  let expected = null;
  try {
    expected = JSON.parse(process.env.EXPECTED || '');
  } catch {
    problems.push('EXPECTED must be JSON: {"question": [count, killed], ...}; analyst_test.go computes it from the database');
  }
  const other = process.env.OTHER_ORIGIN ? new URL(process.env.OTHER_ORIGIN) : null;
  if (!fs.existsSync(CHROMIUM)) problems.push(`no Chromium at ${CHROMIUM}: apt-get install chromium, or set CHROMIUM_PATH`);
  if (problems.length) throw new Error('browser test cannot run:\n  - ' + problems.join('\n  - '));
  return { url, expected, other };
}

export async function launch(viewport) {
  fs.mkdirSync(OUT, { recursive: true });
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'khorasan-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport: viewport || { width: 1280, height: 800 },
    deviceScaleFactor: 1,
    acceptDownloads: true,
    timeout: 60_000,
  });
  const log = { requests: [], bad: [], errors: [], csp: [] };
  await watchCSP(context, log.csp);
  // allowed(url, status): responses a test expects to fail (the share
  // panel asks whether /embed is routed yet).
  const allowed = (u) => new URL(u).pathname === '/embed';
  context.on('request', (req) => log.requests.push(req.url()));
  context.on('response', (res) => { if (res.status() >= 400 && !allowed(res.url())) log.bad.push(`${res.status()} ${res.url()}`); });
  context.on('requestfailed', (req) => {
    const err = req.failure()?.errorText || '';
    // Leaflet cancels tiles that move out of view; a page left mid-load
    // cancels the rest.
    if (/ERR_ABORTED/.test(err)) return;
    log.bad.push(`${req.url()}: ${err}`);
  });
  const watch = (page) => {
    page.on('pageerror', (err) => log.errors.push(String(err)));
    page.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      // The /embed probe's 404, when the server does not route it yet.
      if (/404/.test(msg.text()) && /Failed to load resource/.test(msg.text())) return;
      log.errors.push(msg.text());
    });
  };
  context.on('page', watch);
  const page = context.pages()[0] || await context.newPage();
  watch(page);
  return {
    context, page, log,
    async close() {
      await context.close();
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

// watchCSP records every Content-Security-Policy violation in any page or
// frame of the context: the securitypolicyviolation events (the init
// script is injected by the browser, outside the page's policy) and the
// console lines Chromium writes for them.
export async function watchCSP(context, violations) {
  await context.exposeBinding('__khorasanCSPViolation', (source, v) => violations.push(`${source.frame.url()}: ${v}`));
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__khorasanCSPViolation(`${e.effectiveDirective} refused ${e.blockedURI || 'inline'} (${e.sourceFile || ''}:${e.lineNumber || 0})`);
    });
  });
  const watch = (page) => page.on('console', (msg) => {
    if (/Content[- ]Security[- ]Policy/i.test(msg.text())) violations.push(`${page.url()}: ${msg.text()}`);
  });
  context.pages().forEach(watch);
  context.on('page', watch);
}

// open loads a page (relative to base) and waits for the map to be ready.
export async function open(page, base, rel) {
  const url = new URL(rel || '', base).href;
  await page.goto(url, { waitUntil: 'load', timeout: 30_000 });
  await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 30_000 });
  const state = await page.evaluate(() => ({ ready: document.body.dataset.ready, error: window.khorasan?.error }));
  if (state.ready !== 'true') throw new Error(`${url} did not load: ${state.error}`);
  return url;
}

// mapControls measures, in a page or frame, the scale bar, the
// attribution and every other Leaflet control shown, and lists the
// controls the attribution overlaps (none should be).
export function mapControls(target) {
  return target.evaluate(() => {
    const box = (e) => { const r = e.getBoundingClientRect(); return { left: r.left, top: r.top, right: r.right, bottom: r.bottom, width: r.width, height: r.height }; };
    const shown = (e) => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== 'hidden'; };
    const scale = document.querySelector('.leaflet-control-scale');
    const attr = document.querySelector('.leaflet-control-attribution');
    const a = attr && box(attr);
    const covered = [];
    for (const c of document.querySelectorAll('.leaflet-control')) {
      if (c === attr || !shown(c)) continue;
      const b = box(c);
      if (a && a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) {
        covered.push(c.className.split(' ').filter((n) => n.startsWith('leaflet-control-') || !n.startsWith('leaflet')).join(' ') || c.className);
      }
    }
    return {
      scale: scale && shown(scale) ? { ...box(scale), text: scale.textContent.trim() } : null,
      attribution: a, covered,
    };
  });
}

export function outside(requests) {
  return requests.filter((u) => {
    const url = new URL(u);
    if (['data:', 'blob:', 'about:'].includes(url.protocol)) return false;
    return !LOCAL_HOSTS.has(url.hostname);
  });
}

// A minimal CSV reader (quoted fields, doubled quotes, newlines in quotes).
export function parseCSV(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(field); field = ''; } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length) { row.push(field); rows.push(row); }
  return rows;
}
