// Marker shapes: each events layer's markers are drawn as one of
// profiles.js SHAPES (circle, diamond, square, triangle), so two layers
// never look alike whatever their colours. Pure functions of a pixel and
// a radius, used by the map's markers and tiles (map.js), the legend and
// the picker's chips; no DOM, no Leaflet (p is any {x, y}).

// The outline of a marker of shape at pixel p with radius r, as a list
// of points; the shapes have about the area of the circle of radius r,
// so sizes read alike across layers. null for a circle.
export function shapePoints(shape, p, r) {
  if (shape === 'square') {
    const h = r * 0.886;
    return [[p.x - h, p.y - h], [p.x + h, p.y - h], [p.x + h, p.y + h], [p.x - h, p.y + h]];
  }
  if (shape === 'diamond') {
    const h = r * 1.253;
    return [[p.x, p.y - h], [p.x + h, p.y], [p.x, p.y + h], [p.x - h, p.y]];
  }
  if (shape === 'triangle') {
    const h = r * 1.555;
    return [[p.x, p.y - h], [p.x + h * 0.866, p.y + h * 0.5], [p.x - h * 0.866, p.y + h * 0.5]];
  }
  return null;
}

// shapePath: the same as an SVG path (legends, the picker's chips).
export function shapePath(shape, p, r) {
  const pts = shapePoints(shape, p, r);
  if (!pts) return `M${p.x - r},${p.y}a${r},${r} 0 1,0 ${2 * r},0a${r},${r} 0 1,0 ${-2 * r},0`;
  return `M${pts.map(([x, y]) => `${x.toFixed(2)},${y.toFixed(2)}`).join('L')}z`;
}


// shapeIcon: a small SVG of shape in color, d pixels wide, as the
// legend and the chips show a layer's markers (svg: dom.js svg).
export function shapeIcon(svg, shape, color, d, cls) {
  const r = d / 2 - 1.5;
  const root = svg('svg', { width: d, height: d, 'aria-hidden': 'true', class: cls || null, 'data-shape': shape || 'circle' });
  root.append(svg('path', { d: shapePath(shape, { x: d / 2, y: d / 2 }, shape === 'circle' || !shape ? r : r * 0.8), fill: color, 'fill-opacity': 0.85, stroke: '#fff', 'stroke-width': 1 }));
  return root;
}
