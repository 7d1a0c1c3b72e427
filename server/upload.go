package server

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/csv"
	"github.com/khorasan/khorasan/geo/geojson"
	"github.com/khorasan/khorasan/geo/ingest"
)

// postItems creates one feature (a GeoJSON Feature body) or imports a
// file (a FeatureCollection, CSV or KML body) into the collection.
func (s *Server) postItems(w http.ResponseWriter, r *http.Request, actor, collection string) error {
	ed, err := s.editor()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	if err := allowParams(q, "mode", "dry-run", "skip-invalid", "profile", "columns", "encoding", "delimiter", "date-order", "id", "title", "description", "attribution"); err != nil {
		return err
	}
	format, err := bodyFormat(r.Header.Get("Content-Type"))
	if err != nil {
		return err
	}
	// The body goes to a file without a name: an import reads it twice,
	// and nothing spooled outlives the process, even killed.
	tmp, done, err := spoolFile(s.cfg.Writes.TempDir)
	if err != nil {
		return err
	}
	defer done()
	rc := http.NewResponseController(w)
	body := &stallingBody{r: http.MaxBytesReader(w, r.Body, s.maxBody()), rc: rc, idle: s.uploadIdleTimeout(), until: time.Now().Add(s.importTimeout())}
	n, err := io.Copy(tmp, clientBody{body})
	if err := bodyError(err, s.maxBody()); err != nil {
		return err
	}
	if n == 0 {
		return &geo.InvalidError{Msg: "the body is empty: send a GeoJSON Feature, a FeatureCollection, CSV or KML"}
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if (format == ingest.FormatGeoJSON || format == "") && q.Get("mode") == "" {
		typ, err := geojson.Type(bufio.NewReader(tmp))
		if err == nil && typ == "Feature" {
			return s.createOne(w, r, ed, actor, collection, tmp, n)
		}
	}
	src, opt, err := importRequest(q, format, tmp, n)
	if err != nil {
		return err
	}
	opt.Layer.Name, opt.Actor = collection, actor
	ctx, cancel := s.importContext(r)
	defer cancel()
	rc.SetWriteDeadline(time.Now().Add(s.importTimeout() + time.Minute))
	rep, err := ed.Import(ctx, src, opt)
	if err != nil {
		return writeErr(err)
	}
	w.Header().Set("Cache-Control", "no-store")
	// Set before WriteHeader, which fixes the headers.
	w.Header().Set("Content-Type", "application/json")
	if rep.Created && !opt.DryRun {
		w.Header().Set("Location", s.baseURL(r)+"/api/collections/"+url.PathEscape(collection))
		w.WriteHeader(http.StatusCreated)
	}
	return writeJSON(w, "application/json", rep)
}

// importRequest reads an import's parameters: the source, spooled in
// the n bytes of tmp, and the options but for the layer's name and the
// actor.
func importRequest(q url.Values, format ingest.Format, tmp *os.File, n int64) (ingest.Source, ingest.ImportOptions, error) {
	var err error
	mode := ingest.ModeAppend
	if v := q.Get("mode"); v != "" {
		if mode, err = ingest.ParseMode(v); err != nil {
			return ingest.Source{}, ingest.ImportOptions{}, &ParamError{Name: "mode", Reason: "must be create, append, upsert or replace"}
		}
	}
	src := ingest.Source{Name: "upload", Format: format, Size: n, IDProperty: q.Get("id"),
		Open: func() (io.ReadCloser, error) { return io.NopCloser(io.NewSectionReader(tmp, 0, n)), nil }}
	src.CSV = csv.Options{Profile: q.Get("profile"), Encoding: q.Get("encoding"), DateOrder: q.Get("date-order")}
	if v := q.Get("columns"); v != "" {
		if src.CSV.Columns, err = csv.ParseColumnMap(v); err != nil {
			return ingest.Source{}, ingest.ImportOptions{}, err
		}
	}
	if v := q.Get("delimiter"); v != "" {
		d := []rune(strings.ReplaceAll(v, `\t`, "\t"))
		if len(d) != 1 {
			return ingest.Source{}, ingest.ImportOptions{}, &ParamError{Name: "delimiter", Reason: "must be one character"}
		}
		src.CSV.Delimiter = d[0]
	}
	dry, err := boolParam(q, "dry-run")
	if err != nil {
		return ingest.Source{}, ingest.ImportOptions{}, err
	}
	skip, err := boolParam(q, "skip-invalid")
	if err != nil {
		return ingest.Source{}, ingest.ImportOptions{}, err
	}
	return src, ingest.ImportOptions{
		Layer: geo.LayerInfo{Title: q.Get("title"), Description: q.Get("description"), Attribution: q.Get("attribution")},
		Mode:  mode, DryRun: dry, SkipInvalid: skip,
	}, nil
}

// importContext bounds an import by its own deadline: an import may
// outlast the request timeout; it still ends when the client goes away.
func (s *Server) importContext(r *http.Request) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), s.importTimeout())
	stop := context.AfterFunc(r.Context(), func() {
		if errors.Is(r.Context().Err(), context.Canceled) {
			cancel()
		}
	})
	return ctx, func() {
		stop()
		cancel()
	}
}

func (s *Server) importTimeout() time.Duration {
	if s.cfg.Writes.ImportTimeout > 0 {
		return s.cfg.Writes.ImportTimeout
	}
	return defaultImportTimeout
}

func boolParam(q url.Values, name string) (bool, error) {
	v, ok := q[name]
	if !ok {
		return false, nil
	}
	if len(v) == 1 && v[0] == "" {
		return true, nil
	}
	b, err := strconv.ParseBool(v[0])
	if err != nil || len(v) > 1 {
		return false, &ParamError{Name: name, Reason: "must be true or false"}
	}
	return b, nil
}
