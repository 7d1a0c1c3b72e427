package gpkg

import (
	"crypto/sha256"
	"database/sql/driver"
	"encoding/base64"
	"fmt"
	"sync"

	"github.com/khorasan/khorasan/geo/cql2"
	"github.com/paulmach/orb"
)

// A filter's geometry literal is prepared (cql2.Prepare) once per query,
// not decoded and taken apart on every row. The SQL carries only a key
// for it: go-sqlite3 copies a blob argument into Go on every call, which
// for a 3,000-vertex polygon was 48 KB a row. The key names the
// geometry's WKB, so equal literals share one prepared geometry and a key
// always means the same shape.

// geometryArg is a geometry literal as a query argument: SQLite sees
// its key; khorasan_intersects finds the prepared geometry by it.
type geometryArg struct {
	key  string
	geom orb.Geometry
}

func (g geometryArg) Value() (driver.Value, error) { return g.key, nil }

func newGeometryArg(wkb []byte, g orb.Geometry) geometryArg {
	sum := sha256.Sum256(wkb)
	return geometryArg{key: base64.RawURLEncoding.EncodeToString(sum[:18]), geom: g}
}

// geometries holds the prepared literals of the queries running, each
// for as long as a query that uses it.
type geometries struct {
	mu   sync.Mutex
	held map[string]*heldGeometry
}

type heldGeometry struct {
	prepared *cql2.Prepared
	refs     int
}

func newGeometries() *geometries { return &geometries{held: map[string]*heldGeometry{}} }

// hold prepares the geometry literals among a query's arguments and
// keeps them until the returned function is called.
func (gs *geometries) hold(args []any) (release func()) {
	var keys []string
	for _, a := range args {
		g, ok := a.(geometryArg)
		if !ok {
			continue
		}
		gs.mu.Lock()
		h := gs.held[g.key]
		if h == nil {
			// Prepared outside the lock, which other queries' lookups
			// need; an equal one made meanwhile wins.
			gs.mu.Unlock()
			p := cql2.Prepare(g.geom)
			gs.mu.Lock()
			if h = gs.held[g.key]; h == nil {
				h = &heldGeometry{prepared: p}
				gs.held[g.key] = h
			}
		}
		h.refs++
		gs.mu.Unlock()
		keys = append(keys, g.key)
	}
	return func() {
		gs.mu.Lock()
		defer gs.mu.Unlock()
		for _, k := range keys {
			if h := gs.held[k]; h != nil {
				if h.refs--; h.refs == 0 {
					delete(gs.held, k)
				}
			}
		}
	}
}

func (gs *geometries) get(key string) (*cql2.Prepared, bool) {
	if gs == nil {
		return nil, false
	}
	gs.mu.Lock()
	defer gs.mu.Unlock()
	h, ok := gs.held[key]
	if !ok {
		return nil, false
	}
	return h.prepared, true
}

// newIntersects makes khorasan_intersects(geometry, key) for one
// connection: does a GeoPackage geometry blob meet the prepared literal
// the key names? NULL when the feature has no geometry or an empty one.
// A key names one geometry for good, so the connection keeps those it
// used (a few: a filter may test several) and looks up only new keys.
func newIntersects(gs *geometries) func(g any, key string) (any, error) {
	var (
		mu   sync.Mutex
		seen = map[string]*cql2.Prepared{}
	)
	return func(g any, key string) (any, error) {
		blob, ok := g.([]byte)
		if !ok {
			return nil, nil
		}
		mu.Lock()
		prepared := seen[key]
		if prepared == nil {
			p, ok := gs.get(key)
			if !ok {
				mu.Unlock()
				return nil, fmt.Errorf("khorasan_intersects: no geometry is held for key %q", key)
			}
			if len(seen) >= 16 {
				clear(seen)
			}
			seen[key], prepared = p, p
		}
		mu.Unlock()
		b, ok, err := geometryBound(blob)
		if err != nil || !ok {
			return nil, err
		}
		if !b.Intersects(prepared.Bound()) {
			return false, nil
		}
		geom, err := decodeGeometry(blob)
		if err != nil || geom == nil {
			return nil, err
		}
		return prepared.Intersects(geom), nil
	}
}
