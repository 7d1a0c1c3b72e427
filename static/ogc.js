'use strict';
// The OGC API HTML pages (server/templates), in a file of its own for the
// Content-Security-Policy, which allows no inline script.
// Small maps of the features on the page, drawn offline (no basemap):
// the data sits in a JSON block next to each map.
for (const el of document.querySelectorAll('.map[data-source]')) {
  const data = JSON.parse(document.getElementById(el.dataset.source).textContent);
  const map = L.map(el, {attributionControl: false});
  const layer = L.geoJSON(data, {
    style: {color: '#8a4b16', weight: 1.5, fillOpacity: .15},
    pointToLayer: (f, ll) => L.circleMarker(ll, {radius: 5, color: '#a33', fillOpacity: .7}),
  }).addTo(map);
  const b = layer.getBounds();
  if (b.isValid()) map.fitBounds(b.pad(0.1), {maxZoom: 8}); else map.setView([35, 65], 4);
}
