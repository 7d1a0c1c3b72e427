package ingest

import (
	"context"
	"hash/maphash"
	"io"
	"sync/atomic"
	"time"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/csv"
	"github.com/khorasan/khorasan/geo/geojson"
	"github.com/khorasan/khorasan/geo/kml"
)

// plan is an import between its passes.
type plan struct {
	target   Target
	seed     bool // see Seed
	src      Source
	opt      ImportOptions
	rep      *Report
	rules    *geo.Profile
	base     *Table // the layer kept and written into; nil for a new one
	existing *Table // the layer before, when there was one
	// described is the dataset's profile of the layer; export that of the
	// recognised CSV export a new or replaced layer is made from.
	described, export *geo.Profile
	// stats counts the values the first pass saw (for the profile), and
	// keptProfile is a kept layer's stored profile grown by them.
	stats       *valueStats
	keptProfile *geo.Profile

	b        *schemaBuilder
	schema   geo.Schema
	newCols  []geo.Column
	rejected map[int64]bool
	idSeed   maphash.Seed
	ids      []idMark
	order    []string
	hasIDs   bool // the written layer keeps ids
}

type idMark struct {
	hash   uint64
	record uint32
	line   uint32
}

// openReader opens the source for one pass.
func (p *plan) openReader(count *atomic.Int64) (geo.RecordReader, io.Closer, error) {
	rc, err := p.src.Open()
	if err != nil {
		return nil, nil, err
	}
	cr := &countingReader{r: rc, n: count}
	var fr geo.RecordReader
	switch p.src.Format {
	case FormatGeoJSON:
		fr = geojson.NewReader(cr)
	case FormatCSV:
		var export string
		fr, export, err = csv.NewReader(cr, p.src.CSV)
		p.rep.Profile = export
		if ep := exportProfile(export); ep != nil && p.base == nil && !p.seed && p.opt.Layer.Profile == nil {
			// A layer made of an export passes the export's rules.
			p.export = ep
			p.rules = nil
			if ep.HasRules() {
				p.rules = ep
			}
		}
	case FormatKML:
		fr, err = kml.NewReader(cr, rc)
	default:
		err = geo.Invalidf("format", "unknown format %q", p.src.Format)
	}
	if err != nil {
		rc.Close()
		return nil, nil, err
	}
	return fr, rc, nil
}

type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n.Add(int64(n))
	return n, err
}

// each reads every record of the source.
func (p *plan) each(ctx context.Context, phase string, fn func(idx int64, rec geo.Record) error) error {
	var count atomic.Int64
	fr, closer, err := p.openReader(&count)
	if err != nil {
		return err
	}
	defer closer.Close()
	last := time.Now()
	for idx := int64(0); ; idx++ {
		rec, err := fr.Read()
		if err == io.EOF {
			p.order = fr.Properties()
			if p.opt.Progress != nil {
				p.opt.Progress(Progress{Phase: phase, Bytes: count.Load(), Total: p.src.Size, Records: idx})
			}
			return nil
		}
		if err != nil {
			return err
		}
		if idx&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			if p.opt.Progress != nil && time.Since(last) > 100*time.Millisecond {
				last = time.Now()
				p.opt.Progress(Progress{Phase: phase, Bytes: count.Load(), Total: p.src.Size, Records: idx})
			}
		}
		if idx >= 1<<32-1 {
			return geo.Invalidf(p.src.Name, "more than %d features", uint32(1<<32-1))
		}
		if err := fn(idx, rec); err != nil {
			return err
		}
	}
}
