package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/paulmach/orb"
)

// topology is the part of a TopoJSON document (TopoJSON spec 1.0) that
// gendata needs: the optional quantization transform, the arcs and the
// named objects.
type topology struct {
	Type      string                  `json:"type"`
	Transform *topoTransform          `json:"transform"`
	Objects   map[string]topoGeometry `json:"objects"`
	Arcs      [][][]float64           `json:"arcs"`
}

// topoTransform maps quantized positions to coordinates:
// x*scale[0]+translate[0], y*scale[1]+translate[1].
type topoTransform struct {
	Scale     [2]float64 `json:"scale"`
	Translate [2]float64 `json:"translate"`
}

// topoGeometry is one TopoJSON geometry object. Arcs stays raw because its
// nesting depends on Type.
type topoGeometry struct {
	Type       string          `json:"type"`
	ID         json.RawMessage `json:"id"`
	Properties map[string]any  `json:"properties"`
	Arcs       json.RawMessage `json:"arcs"`
	Geometries []topoGeometry  `json:"geometries"`
}

// idString returns the geometry's id as a string, and false when it has
// none. Numeric ids are written in decimal.
func (g topoGeometry) idString() (string, bool, error) {
	if len(g.ID) == 0 || string(g.ID) == "null" {
		return "", false, nil
	}
	var s string
	if err := json.Unmarshal(g.ID, &s); err == nil {
		return s, true, nil
	}
	var n json.Number
	if err := json.Unmarshal(g.ID, &n); err != nil {
		return "", false, fmt.Errorf("topojson: id %s is neither a string nor a number", g.ID)
	}
	return n.String(), true, nil
}

// parseTopology decodes a TopoJSON document.
func parseTopology(data []byte) (*topology, error) {
	var t topology
	if err := json.Unmarshal(data, &t); err != nil {
		return nil, fmt.Errorf("topojson: %w", err)
	}
	if t.Type != "Topology" {
		return nil, fmt.Errorf("topojson: type is %q, want \"Topology\"", t.Type)
	}
	return &t, nil
}

// decodeArcs returns every arc as absolute coordinates. With a transform
// the positions are quantized and delta-encoded: each position after the
// first is an offset from the previous one.
func decodeArcs(t *topology) ([][]orb.Point, error) {
	out := make([][]orb.Point, len(t.Arcs))
	for i, arc := range t.Arcs {
		if len(arc) < 2 {
			return nil, fmt.Errorf("topojson: arc %d has %d positions, want at least 2", i, len(arc))
		}
		pts := make([]orb.Point, len(arc))
		var x, y float64
		for j, pos := range arc {
			if len(pos) < 2 {
				return nil, fmt.Errorf("topojson: arc %d position %d has %d values, want at least 2", i, j, len(pos))
			}
			if t.Transform == nil {
				pts[j] = orb.Point{pos[0], pos[1]}
				continue
			}
			x += pos[0]
			y += pos[1]
			pts[j] = orb.Point{
				x*t.Transform.Scale[0] + t.Transform.Translate[0],
				y*t.Transform.Scale[1] + t.Transform.Translate[1],
			}
		}
		out[i] = pts
	}
	return out, nil
}

// stitchRing joins the arcs named by refs into one closed ring. A negative
// ref ~i means arc i reversed. Consecutive arcs share their end point, which
// is kept once.
func stitchRing(arcs [][]orb.Point, refs []int) (orb.Ring, error) {
	if len(refs) == 0 {
		return nil, errors.New("topojson: ring with no arcs")
	}
	var ring orb.Ring
	for _, ref := range refs {
		i, reversed := ref, false
		if ref < 0 {
			i, reversed = ^ref, true
		}
		if i >= len(arcs) {
			return nil, fmt.Errorf("topojson: arc reference %d out of range (%d arcs)", ref, len(arcs))
		}
		arc := arcs[i]
		if len(ring) > 0 {
			ring = ring[:len(ring)-1]
		}
		if reversed {
			for j := len(arc) - 1; j >= 0; j-- {
				ring = append(ring, arc[j])
			}
		} else {
			ring = append(ring, arc...)
		}
	}
	if !ring.Closed() {
		return nil, fmt.Errorf("topojson: ring from arcs %v is not closed: starts %v, ends %v", refs, ring[0], ring[len(ring)-1])
	}
	return ring, nil
}

func stitchPolygon(arcs [][]orb.Point, refs [][]int) (orb.Polygon, error) {
	p := make(orb.Polygon, 0, len(refs))
	for _, r := range refs {
		ring, err := stitchRing(arcs, r)
		if err != nil {
			return nil, err
		}
		p = append(p, ring)
	}
	return p, nil
}

// geometry decodes a Polygon or MultiPolygon TopoJSON geometry into orb.
// Other types are not needed for country borders and are rejected.
func (g topoGeometry) geometry(arcs [][]orb.Point) (orb.Geometry, error) {
	switch g.Type {
	case "Polygon":
		var refs [][]int
		if err := json.Unmarshal(g.Arcs, &refs); err != nil {
			return nil, fmt.Errorf("topojson: Polygon arcs: %w", err)
		}
		return stitchPolygon(arcs, refs)
	case "MultiPolygon":
		var refs [][][]int
		if err := json.Unmarshal(g.Arcs, &refs); err != nil {
			return nil, fmt.Errorf("topojson: MultiPolygon arcs: %w", err)
		}
		mp := make(orb.MultiPolygon, 0, len(refs))
		for _, r := range refs {
			p, err := stitchPolygon(arcs, r)
			if err != nil {
				return nil, err
			}
			mp = append(mp, p)
		}
		return mp, nil
	default:
		return nil, fmt.Errorf("topojson: geometry type %s is not supported (only Polygon and MultiPolygon)", strconv.Quote(g.Type))
	}
}
