package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/khorasan/khorasan/geo"
)

// Imports: a file (GeoJSON, CSV, KML) becomes features of a layer in one
// of four modes, in two passes over the input. The first pass reads and
// checks every feature without holding them (a report lists each one
// refused, by line), infers the column types and finds duplicate ids;
// nothing is written. The second pass reads the input again and writes
// it in one transaction, which lands whole or not at all. Two passes cost
// a second parse, but the write lock is held only for the second, the
// types are right from the first row to the last (no guessing from a
// sample and widening later), and a dry run is the whole check.

// Import reads a source into a layer of t. described is the dataset's
// profile of the layer, nil when it does not describe it. Every feature
// passes the rules of the layer's profile: the one stored with it, else
// described; for a layer made or replaced from a recognised export, the
// export's. The layer keeps the profile profile.go decides. A refused
// feature (unless SkipInvalid), a read error or a cancelled context leaves
// the store as it was; the report says why. With DryRun nothing is ever
// written. The store checks the layer's name first.
func Import(ctx context.Context, t Target, src Source, opt ImportOptions, described *geo.Profile) (*Report, error) {
	return run(ctx, t, src, opt, described, false)
}

// Seed is Import for data the program brings itself (the default layers,
// test layers): no rules, no audit entry, and a replaced layer's texts are
// exactly opt.Layer's.
func Seed(ctx context.Context, t Target, src Source, opt ImportOptions) (*Report, error) {
	return run(ctx, t, src, opt, nil, true)
}

func run(ctx context.Context, t Target, src Source, opt ImportOptions, described *geo.Profile, seed bool) (*Report, error) {
	if _, err := ParseMode(string(opt.Mode)); err != nil {
		return nil, err
	}
	if opt.MaxErrors <= 0 {
		opt.MaxErrors = 100
	}
	name := opt.Layer.Name
	rep := &Report{Layer: name, Mode: opt.Mode, DryRun: opt.DryRun}
	p := &plan{target: t, seed: seed, src: src, opt: opt, rep: rep, described: described, b: newSchemaBuilder(), stats: newValueStats()}
	existing, err := t.Layer(ctx, name)
	switch {
	case errors.Is(err, geo.ErrNotFound):
		rep.Created = true
	case err != nil:
		return nil, err
	case opt.Mode == ModeCreate:
		return nil, &geo.ConflictError{Msg: fmt.Sprintf("layer %q already exists; use mode append, upsert or replace", name)}
	default:
		p.existing = &existing
		if opt.Mode == ModeAppend || opt.Mode == ModeUpsert {
			p.base = p.existing
		}
		if opt.Mode == ModeUpsert && !existing.Schema.HasID {
			return nil, geo.Invalidf("mode", "layer %q has no id column, and upsert matches features by id; use append or replace", name)
		}
	}
	if !seed {
		p.rules = rulesOf(p.existing, described)
	}
	if p.src.Format == "" {
		if p.src.Format, err = sniffFormat(src); err != nil {
			return nil, err
		}
	}
	rep.Format = p.src.Format
	if err := p.check(ctx); err != nil {
		return rep, err
	}
	if rep.Rejected > 0 && !opt.SkipInvalid {
		return rep, &RejectedError{Report: rep}
	}
	if err := p.decideProfile(); err != nil {
		return rep, err
	}
	if err := p.write(ctx); err != nil {
		return rep, err
	}
	return rep, nil
}

// rulesOf is the profile whose rules an import passes: the layer's own,
// else the dataset's; nil when it has no rules.
func rulesOf(existing *Table, described *geo.Profile) *geo.Profile {
	var p *geo.Profile
	switch {
	case existing != nil && existing.StoredProfile != nil:
		p = existing.StoredProfile
	case described != nil:
		p = described
	}
	if p == nil || !p.HasRules() {
		return nil
	}
	return p
}

// sniffFormat guesses from the name, then from the first bytes.
func sniffFormat(src Source) (Format, error) {
	switch strings.ToLower(filepath.Ext(src.Name)) {
	case ".geojson", ".json", ".geojsonl":
		return FormatGeoJSON, nil
	case ".csv", ".tsv", ".txt":
		return FormatCSV, nil
	case ".kml", ".kmz":
		return FormatKML, nil
	}
	rc, err := src.Open()
	if err != nil {
		return "", err
	}
	defer rc.Close()
	head := make([]byte, 512)
	n, _ := io.ReadFull(rc, head)
	head = bytes.TrimLeft(bytes.TrimPrefix(head[:n], []byte("\xEF\xBB\xBF")), " \t\r\n")
	switch {
	case bytes.HasPrefix(head, []byte("{")):
		return FormatGeoJSON, nil
	case bytes.HasPrefix(head, []byte("<")), bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return FormatKML, nil
	}
	return FormatCSV, nil
}
