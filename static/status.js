// The status line over the map and the notice about a link's unusable
// parts, shared by the map page and the embed page.

// setStatus shows text in the status node (an alert when it is an error),
// or hides it when text is empty.
export function setStatus(node, text, isError) {
  node.textContent = text;
  node.hidden = !text;
  node.classList.toggle('error', !!isError);
  node.setAttribute('role', isError ? 'alert' : 'status');
}

// showNotice shows text in the notice (notice-text inside it); nothing
// when text is empty.
export function showNotice(doc, text) {
  if (!text) return;
  doc.getElementById('notice-text').textContent = text;
  doc.getElementById('notice').hidden = false;
}

// markReady ends a page's start: the status names the layers that could
// not be loaded (also as api.error), and body[data-ready] says 'true' or
// 'error' to whoever waits for the map (the browser tests).
export function markReady(doc, node, failures, api) {
  if (failures.length) {
    api.error = `some layers could not be loaded: ${failures.join('; ')}`;
    setStatus(node, `Some layers could not be loaded: ${failures.join('; ')}`, true);
    doc.body.dataset.ready = 'error';
    return;
  }
  setStatus(node, '');
  doc.body.dataset.ready = 'true';
}
