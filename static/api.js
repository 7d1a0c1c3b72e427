// Fetching from this server: the OGC API's JSON (fetchJSON), a whole
// collection following its "next" links, a layer's profile and size, and
// the server's tile settings (config.json). Nothing is fetched from elsewhere.

export const API = new URL('api/', document.baseURI);

export async function fetchJSON(url) {
  const res = await fetch(url, {
    headers: { Accept: 'application/geo+json, application/json;q=0.9' },
    credentials: 'same-origin',
  });
  if (!res.ok) {
    let detail = '';
    try {
      const body = await res.json();
      detail = body.detail || body.title || '';
    } catch (_) { /* not JSON */ }
    throw new Error(`${url.pathname}: HTTP ${res.status}${detail ? ' – ' + detail : ''}`);
  }
  return res.json();
}

// All features of one collection, following rel="next" links. Links must
// stay on this server (the page never loads anything from elsewhere).
export async function fetchAllItems(id) {
  let url = new URL(`collections/${encodeURIComponent(id)}/items?limit=10000`, API);
  const features = [];
  const seen = new Set();
  let numberMatched = null;
  while (url) {
    if (seen.has(url.href)) throw new Error(`${id}: "next" link loops back to ${url.pathname}${url.search}`);
    if (seen.size > 1000) throw new Error(`${id}: more than 1000 pages`);
    seen.add(url.href);
    const page = await fetchJSON(url);
    if (!page || !Array.isArray(page.features)) throw new Error(`${id}: the answer is not a FeatureCollection`);
    features.push(...page.features);
    if (typeof page.numberMatched === 'number') numberMatched = page.numberMatched;
    const next = (page.links || []).find((l) => l && l.rel === 'next' && l.href);
    const current = url;
    url = null;
    if (next && page.features.length > 0) {
      const u = new URL(next.href, current);
      if (u.origin !== location.origin) throw new Error(`${id}: "next" link leaves this server (${u.origin})`);
      url = u;
    }
  }
  return { type: 'FeatureCollection', features, numberMatched };
}

// A layer's profile (/api/collections/{id}/profile): what it is
// (reference, areas, events, places, generic) and which of its
// properties hold its time, magnitude and categories. A layer whose
// profile cannot be had is drawn as a generic one.
export async function fetchProfile(id) {
  try {
    return await fetchJSON(new URL(`collections/${encodeURIComponent(id)}/profile`, API));
  } catch (err) {
    console.warn(`${id}: profile:`, err);
    return { kind: 'generic' };
  }
}

// How many features a layer has (under optional filter parameters),
// from a one-feature page.
export async function layerCount(id, params) {
  const u = new URL(`collections/${encodeURIComponent(id)}/items?limit=1`, API);
  if (params) for (const [k, v] of params) u.searchParams.set(k, v);
  u.searchParams.set('properties', '');
  const page = await fetchJSON(u);
  return typeof page.numberMatched === 'number' ? page.numberMatched : null;
}

const CONFIG_DEFAULT = {
  basemap: { url: 'tiles/basemap/{z}/{x}/{y}{r}.png', offline: true, maxNativeZoom: 10, attribution: '' },
  vectorThreshold: 5000,
  tileMaxZoom: 14,
};

// The server's tile settings; the offline defaults when it has none.
export async function loadConfig() {
  try {
    const cfg = await fetchJSON(new URL('config.json', document.baseURI));
    return { ...CONFIG_DEFAULT, ...cfg, basemap: { ...CONFIG_DEFAULT.basemap, ...(cfg.basemap || {}) } };
  } catch (err) {
    console.warn('config.json:', err);
    return CONFIG_DEFAULT;
  }
}
