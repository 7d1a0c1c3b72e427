package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"time"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/ingest"
)

// The default data changes between releases (data/, made by make data). A
// database made from an older release keeps its layers: serve says in its
// log which are behind, and importing the new file in mode upsert brings
// one up to date (see docs/MANUAL.md, "Updating the default data").
//
// Each seeded layer records a version of its default data: the hash of its
// manifest entry and its file. A layer whose version is the embedded one's
// is current whatever the user edited since. Databases made before layers
// had versions, or from an older release, are compared with the embedded
// file by a dry-run upsert, which counts the default's features missing
// from the layer and those that differ.

func readManifest(files fs.FS) ([]manifestEntry, error) {
	raw, err := fs.ReadFile(files, "layers.json")
	if err != nil {
		return nil, err
	}
	var manifest []manifestEntry
	if err := json.Unmarshal(raw, &manifest); err != nil {
		return nil, fmt.Errorf("layers.json: %w", err)
	}
	return manifest, nil
}

// version names this entry's data: its title, description, attribution,
// date and file. A new description alone makes a new version, so a layer
// whose features did not change still gets the new text.
func (m manifestEntry) version(doc []byte) string {
	h := sha256.New()
	for _, s := range []string{m.Name, m.Title, m.Description, m.Attribution, m.Updated} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	h.Write(doc)
	return "default-sha256:" + hex.EncodeToString(h.Sum(nil))
}

// layerInfo is how the entry's layer is written: its texts, its version
// and the day its data was compiled as its last change.
func (m manifestEntry) layerInfo(doc []byte) (geo.LayerInfo, error) {
	info := geo.LayerInfo{Name: m.Name, Title: m.Title, Description: m.Description, Attribution: m.Attribution, Version: m.version(doc)}
	if m.Updated != "" {
		t, err := time.Parse(time.DateOnly, m.Updated)
		if err != nil {
			return info, fmt.Errorf("layers.json: layer %s: updated %q is not a YYYY-MM-DD date", m.Name, m.Updated)
		}
		info.Updated = t
	}
	return info, nil
}

// staleLayer is a layer of the database behind the default data.
type staleLayer struct {
	entry   manifestEntry
	missing int64 // default features whose id the layer lacks
	differ  int64 // default features the layer holds otherwise
	texts   bool  // title, description or attribution differ
	hasIDs  bool
}

// updateCommand is the command that brings the layer up to date.
func (s staleLayer) updateCommand(db string) string {
	mode := "upsert"
	if !s.hasIDs {
		mode = "replace" // upsert matches by id; a layer without ids is replaced
	}
	return fmt.Sprintf("khorasan import --db %s --layer %s --mode %s --default", shellQuote(shown(db)), s.entry.Name, mode)
}

// staleLayers compares each layer of the manifest that the database has
// with its default data. Layers the user made under another name, or that
// share no feature id with the default, are not its business.
func staleLayers(ctx context.Context, store store, files fs.FS) ([]staleLayer, error) {
	manifest, err := readManifest(files)
	if err != nil {
		return nil, err
	}
	var out []staleLayer
	for _, m := range manifest {
		l, err := store.Layer(ctx, m.Name)
		if errors.Is(err, geo.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		doc, err := fs.ReadFile(files, m.File)
		if err != nil {
			return nil, err
		}
		if l.Version == m.version(doc) {
			continue
		}
		s := staleLayer{entry: m, hasIDs: l.Schema.HasID,
			texts: l.Title != m.Title || l.Description != m.Description || l.Attribution != m.Attribution}
		if !l.Schema.HasID {
			// Nothing to match features by: a layer seeded with a version
			// that is not this one is behind; one without a version may
			// be anybody's.
			if l.Version != "" {
				out = append(out, s)
			}
			continue
		}
		src := ingest.Source{Name: m.File, Format: ingest.FormatGeoJSON, Size: int64(len(doc)),
			Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(doc)), nil }}
		rep, err := store.Import(ctx, src, ingest.ImportOptions{Layer: geo.LayerInfo{Name: m.Name}, Mode: ingest.ModeUpsert, DryRun: true, MaxErrors: 1, Actor: "khorasan serve: default data check"})
		if err != nil {
			return nil, fmt.Errorf("layer %s: dry-run upsert of the default %s: %w", m.Name, m.File, err)
		}
		s.missing, s.differ = rep.Inserted, rep.Updated
		if l.Version == "" && rep.Updated+rep.Unchanged == 0 {
			continue // no default feature in it: the user's own layer
		}
		if s.missing+s.differ > 0 || s.texts {
			out = append(out, s)
		}
	}
	return out, nil
}

// checkDefaults logs, for each layer behind the embedded default data,
// that newer data exists and the command that updates it.
func checkDefaults(ctx context.Context, store store, files fs.FS, db string, log *slog.Logger) error {
	stale, err := staleLayers(ctx, store, files)
	if err != nil {
		return err
	}
	for _, s := range stale {
		log.Warn("newer default data exists for this layer: the database was made from an older release; "+
			"the update keeps features the default data does not have (your own), and sets those it has to its values",
			"layer", s.entry.Name, "default_features_missing", s.missing, "default_features_that_differ", s.differ,
			"texts_differ", s.texts, "default_title", s.entry.Title, "update_with", s.updateCommand(db))
	}
	return nil
}

// defaultFor says whether the file to import into layer is that layer's
// embedded default file, byte for byte, and returns its manifest entry
// and data. Only a file of the right size is read to be compared.
// embeddedDefault is the default data of layer as this binary embeds it;
// false when the manifest has no such layer.
func embeddedDefault(files fs.FS, layer string) (manifestEntry, []byte, bool, error) {
	manifest, err := readManifest(files)
	if err != nil {
		return manifestEntry{}, nil, false, err
	}
	for _, m := range manifest {
		if m.Name == layer {
			doc, err := fs.ReadFile(files, m.File)
			return m, doc, err == nil, err
		}
	}
	return manifestEntry{}, nil, false, nil
}

// defaultLayerNames lists the layers of the manifest, for messages.
func defaultLayerNames(files fs.FS) []string {
	manifest, _ := readManifest(files)
	var names []string
	for _, m := range manifest {
		names = append(names, m.Name)
	}
	return names
}

func defaultFor(files fs.FS, layer, path string) (manifestEntry, []byte, bool, error) {
	manifest, err := readManifest(files)
	if err != nil {
		return manifestEntry{}, nil, false, err
	}
	for _, m := range manifest {
		if m.Name != layer {
			continue
		}
		doc, err := fs.ReadFile(files, m.File)
		if err != nil {
			return m, nil, false, err
		}
		fi, err := os.Stat(path)
		if err != nil || fi.Size() != int64(len(doc)) {
			return m, nil, false, nil
		}
		got, err := os.ReadFile(path)
		if err != nil {
			return m, nil, false, err
		}
		return m, doc, bytes.Equal(got, doc), nil
	}
	return manifestEntry{}, nil, false, nil
}
