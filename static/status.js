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
