// The one map style (static/style.json, which the Go renderer reads
// too) and what the pages take from it: the colours of attributions (the
// values of the event layer's colouring category, style.json's
// "attribution" section) and attack types, and marker sizes. Until loadStyle has read the file, and
// if it cannot, a plain fallback style is used.

import * as KS from './state.js';
import * as KP from './profiles.js';
import { num } from './dom.js';
import { fetchJSON } from './api.js';

// Used only when style.json has no "attackType" section: the colours and
// labels of the attack type classes (state.js TYPES).
const TYPE_COLORS = {
  suicide: '#b03a2e', assault: '#2f6f9f', bombing: '#d08a2b', rocket: '#4f8a3c', other: '#7f7f7f',
};

// Used only if style.json cannot be read, so the map still draws.
const FALLBACK_STYLE = {
  sea: '#d5e3ea',
  land: { fillColor: '#f3f0e8', fillOpacity: 1, color: '#a39d92', weight: 0.7, opacity: 1 },
  khorasan: {
    main: { color: '#555', weight: 2, opacity: 0.9, dashArray: null, label: 'Main outline' },
    broad: { color: '#555', weight: 1.4, opacity: 0.8, dashArray: '7 5', label: 'Broad variant' },
    fill: { fillColor: '#999', fillOpacity: 0.08 },
  },
  attribution: {
    claimed: { color: '#666', label: 'Claimed' },
    attributed: { color: '#888', label: 'Attributed' },
    disputed: { color: '#aaa', label: 'Disputed' },
  },
  attributionUnknown: { color: '#7f7f7f', label: 'Other / unknown' },
  marker: { k: 1.6, minRadius: 4, referenceKilled: [10, 50, 150], stroke: '#ffffff', weight: 1, fillOpacity: 0.72 },
  spread: { minRing: 12, spacing: 10 },
  generic: { color: '#3b6e8f', weight: 1.5, fillOpacity: 0.15 },
};

// S is the style in use; importers read it as a live binding, and only
// loadStyle sets it.
let S = FALLBACK_STYLE;
export { S };

// style: the style in use.
export function style() {
  return S;
}

// attributionKey: the value of the colouring category a feature's
// value a stands for, or 'other': the event layer's words' (profiles.js
// eventWords: its profile's values) when given, else style.json's.
export function attributionKey(a, words) {
  if (words && words.categoryStyles) return KP.categoryKey(words, a);
  const k = String(a || '').toLowerCase();
  return S.attribution[k] ? k : 'other';
}

// attributionStyle: the colour and label of value a: its profile's
// (words.categoryStyles) when given, else style.json's.
export function attributionStyle(a, words) {
  if (words && words.categoryStyles) return words.categoryStyles[KP.categoryKey(words, a)] || S.attributionUnknown;
  return S.attribution[String(a || '').toLowerCase()] || S.attributionUnknown;
}

// The style of an attack type class: style.json's attackType section
// when it has one, else TYPE_COLORS and state.js's labels.
export function typeStyle(key) {
  const fromFile = S.attackType && S.attackType[key];
  const t = KS.TYPES.find((x) => x.key === key) || KS.TYPES[KS.TYPES.length - 1];
  return {
    color: (fromFile && fromFile.color) || TYPE_COLORS[t.key] || '#7f7f7f',
    label: (fromFile && fromFile.label) || t.label,
  };
}

export function markerRadius(killed) {
  const k = Math.max(0, num(killed) || 0);
  return Math.max(S.marker.minRadius, S.marker.k * Math.sqrt(k));
}

// The colour of one event's marker in a colour mode; words are the
// event layer's (profiles.js vocabulary), whose category the attribution
// mode colours by.
export function eventColor(props, colorMode, words) {
  if (colorMode === 'type') return typeStyle(KS.typeOf(props.attack_type)).color;
  const category = words && words.category;
  return attributionStyle(category ? props[category] : undefined, words).color;
}

// style.json, merged over the fallback so a missing key never breaks
// the page; problem is set when it could not be read.
export async function loadStyle() {
  try {
    const s = await fetchJSON(new URL('style.json', document.baseURI));
    S = { ...FALLBACK_STYLE, ...s, marker: { ...FALLBACK_STYLE.marker, ...(s.marker || {}) }, spread: { ...FALLBACK_STYLE.spread, ...(s.spread || {}) } };
    return { style: S, problem: null };
  } catch (err) {
    S = FALLBACK_STYLE;
    return { style: S, problem: `the map style (style.json) could not be read, so plain colours are used: ${err.message}` };
  }
}
