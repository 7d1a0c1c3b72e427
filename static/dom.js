// DOM helpers shared by the pages' modules: elements built from data
// without ever parsing it as HTML, numbers as the pages print them, and
// blank or numeric values of the data. No Leaflet.

export function escapeHTML(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({
    '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
  })[c]);
}

// el('p', {class: 'x'}, 'text', child, ...) builds DOM nodes; strings become
// text nodes, so nothing passed in is ever parsed as HTML.
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') node.className = v;
    // Through the CSSOM: the Content-Security-Policy allows no inline
    // style attributes, but styles set from script are not those.
    else if (k === 'style') node.style.cssText = String(v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

const SVGNS = 'http://www.w3.org/2000/svg';
export function svg(tag, attrs, ...children) {
  const node = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v !== null && v !== undefined) node.setAttribute(k, String(v));
  }
  for (const c of children) node.append(c);
  return node;
}

export function fmtInt(n) {
  return n === null || n === undefined ? '' : Number(n).toLocaleString('en-GB');
}

// isBlank: null, undefined or only spaces.
export function isBlank(v) {
  return v === null || v === undefined || (typeof v === 'string' && v.trim() === '');
}

// num: a property's number, or null when it has none.
export function num(v) {
  if (isBlank(v)) return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}
