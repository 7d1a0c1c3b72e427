package server

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/csv"
	"github.com/khorasan/khorasan/geo/geojson"
	"github.com/khorasan/khorasan/geo/kml"
)

// export streams a whole layer: GeoJSON, CSV, KML or a GeoPackage of its
// own. Reads are public, so exports are too.
func (s *Server) export(w http.ResponseWriter, r *http.Request, collection string) error {
	if err := allowParams(r.URL.Query(), "f"); err != nil {
		return err
	}
	ctx := r.Context()
	l, err := s.store.Layer(ctx, collection)
	if err != nil {
		return err
	}
	// An empty f= is a mistake, as on every other endpoint, not GeoJSON.
	f := "geojson"
	if vs, ok := r.URL.Query()["f"]; ok {
		f = vs[0]
	}
	etag := etagOf(fmt.Sprintf("export|%s|%s|%s|%d", f, l.Name, l.Changed, l.Count))
	w.Header().Set("ETag", etag)
	cacheFor(w, 60)
	if notModified(w, r, etag) {
		return nil
	}
	attach := func(ext, typ string) {
		w.Header().Set("Content-Type", typ)
		w.Header().Set("Content-Disposition", `attachment; filename="`+collection+ext+`"`)
	}
	switch f {
	case "geojson", "json":
		attach(".geojson", geoJSONType)
		bw := bufio.NewWriterSize(w, 64<<10)
		bw.WriteString(`{"type":"FeatureCollection","features":[`)
		first := true
		var buf []byte
		err := s.store.Features(ctx, collection, geo.Query{}, func(ft geo.Feature) error {
			if !first {
				bw.WriteByte(',')
			}
			first = false
			bw.WriteByte('\n')
			var err error
			buf, err = geojson.AppendFeature(buf[:0], ft, l.Schema)
			bw.Write(buf)
			return err
		})
		if err != nil {
			return err
		}
		bw.WriteString("\n]}\n")
		return bw.Flush()
	case "csv":
		attach(".csv", "text/csv; charset=utf-8")
		cw, err := csv.NewWriter(w, l.Schema)
		if err != nil {
			return err
		}
		if err := s.store.Features(ctx, collection, geo.Query{}, cw.Write); err != nil {
			return err
		}
		return cw.Flush()
	case "kml":
		kw := kml.NewWriter(l.Title, l.Schema)
		if err := s.store.Features(ctx, collection, geo.Query{}, kw.Write); err != nil {
			return err
		}
		attach(".kml", kmlType)
		return kw.Flush(w)
	case "gpkg":
		ed, err := s.editor()
		if err != nil {
			return err
		}
		dir, err := os.MkdirTemp(s.cfg.Writes.TempDir, "khorasan-export-*")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		path := filepath.Join(dir, collection+".gpkg")
		if err := ed.ExportLayer(ctx, collection, path); err != nil {
			return err
		}
		attach(".gpkg", gpkgType)
		return sendFile(w, path)
	}
	w.Header().Del("ETag")
	return &ParamError{Name: "f", Reason: strconv.Quote(f) + " is not an export format; use geojson, csv, kml or gpkg"}
}

func sendFile(w http.ResponseWriter, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil {
		w.Header().Set("Content-Length", strconv.FormatInt(fi.Size(), 10))
	}
	_, err = io.Copy(w, f)
	return err
}

// backup sends a consistent copy of the whole GeoPackage (with its audit
// log, so it needs a token).
func (s *Server) backup(w http.ResponseWriter, r *http.Request, actor string) error {
	ed, err := s.editor()
	if err != nil {
		return err
	}
	if err := allowParams(r.URL.Query()); err != nil {
		return err
	}
	dir, err := os.MkdirTemp(s.cfg.Writes.TempDir, "khorasan-backup-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "khorasan.gpkg")
	if err := ed.Backup(r.Context(), path); err != nil {
		return err
	}
	name := "khorasan-" + time.Now().UTC().Format("20060102T150405Z") + ".gpkg"
	h := w.Header()
	h.Set("Content-Type", gpkgType)
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	h.Set("Cache-Control", "no-store")
	h.Set("ETag", etagOf("backup|"+name+"|"+actor))
	return sendFile(w, path)
}
