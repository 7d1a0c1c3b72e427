package server

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/csv"
	"github.com/khorasan/khorasan/geo/geojson"
	"github.com/khorasan/khorasan/geo/ingest"
	"github.com/khorasan/khorasan/geo/kml"
)

// Writes: OGC API - Features Part 4 (create, replace, update, delete) and
// file imports, behind bearer tokens; exports of whole layers and of the
// whole GeoPackage.

// Editor is what writes need of the store; *gpkg.Store has it.
type Editor interface {
	Import(ctx context.Context, src ingest.Source, opt ingest.ImportOptions) (*ingest.Report, error)
	CreateFeature(ctx context.Context, layer string, f geo.Feature, actor string) (geo.Feature, geo.Schema, error)
	UpdateFeature(ctx context.Context, layer, id, actor string, change func(old geo.Feature, schema geo.Schema) (geo.Feature, error)) (geo.Feature, geo.Schema, error)
	DeleteFeature(ctx context.Context, layer, id, actor string, check func(old geo.Feature, schema geo.Schema) error) error
	History(ctx context.Context, q geo.HistoryQuery) ([]geo.AuditEntry, error)
	Backup(ctx context.Context, path string) error
	ExportLayer(ctx context.Context, layer, path string) error
}

// WriteConfig turns writes on.
type WriteConfig struct {
	// Tokens are the bearer tokens that may write; nil or empty refuses
	// every write (403).
	Tokens *Tokens
	// MaxBodyBytes caps a write's body (a file to import); 0 means 256 MiB.
	MaxBodyBytes int64
	// ImportTimeout bounds one import; 0 means 10 minutes.
	ImportTimeout time.Duration
	// UploadIdleTimeout is the longest an upload's body may pause; a
	// body that stalls longer is refused (408). 0 means 30 s.
	UploadIdleTimeout time.Duration
	// TempDir holds uploads while they are imported (two passes read
	// them); "" is the system's.
	TempDir string
}

const (
	defaultMaxBody       = 256 << 20
	defaultImportTimeout = 10 * time.Minute
	defaultUploadIdle    = 30 * time.Second
	mergePatchType       = "application/merge-patch+json"
	gpkgType             = "application/geopackage+sqlite3"
)

// Tokens are named bearer tokens, kept only as SHA-256 digests.
type Tokens struct {
	entries []tokenEntry
}

type tokenEntry struct {
	name   string
	digest [32]byte
}

// MinTokenLength is the shortest token accepted: 16 characters of
// printable ASCII, such as `openssl rand -hex 32` makes.
const MinTokenLength = 16

var tokenNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$`)

// LoadTokens reads a token file: one "name:token" a line, where the name
// (letters, digits, . _ @ -) is what the audit log records and the token
// is at least 16 printable characters without spaces. Blank lines and
// lines starting with # are skipped. Errors name lines, never tokens.
func LoadTokens(path string) (*Tokens, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	t, err := ParseTokens(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// ParseTokens reads the token file format (see LoadTokens).
func ParseTokens(r io.Reader) (*Tokens, error) {
	t := &Tokens{}
	names := map[string]bool{}
	digests := map[[32]byte]bool{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, tok, ok := strings.Cut(line, ":")
		name, tok = strings.TrimSpace(name), strings.TrimSpace(tok)
		switch {
		case !ok:
			return nil, fmt.Errorf("line %d: want name:token", n)
		case !tokenNameRE.MatchString(name):
			return nil, fmt.Errorf("line %d: the name must be letters, digits, . _ @ or -, at most 64", n)
		case len(tok) < MinTokenLength:
			return nil, fmt.Errorf("line %d: the token is shorter than %d characters", n, MinTokenLength)
		case strings.ContainsFunc(tok, func(r rune) bool { return r <= ' ' || r > '~' }):
			return nil, fmt.Errorf("line %d: the token must be printable ASCII without spaces", n)
		case names[name]:
			return nil, fmt.Errorf("line %d: the name %q is given twice", n, name)
		}
		d := sha256.Sum256([]byte(tok))
		if digests[d] {
			return nil, fmt.Errorf("line %d: the same token as an earlier line", n)
		}
		names[name], digests[d] = true, true
		t.entries = append(t.entries, tokenEntry{name: name, digest: d})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return t, nil
}

// Len is the number of tokens.
func (t *Tokens) Len() int {
	if t == nil {
		return 0
	}
	return len(t.entries)
}

// match finds a token's name. It compares digests (so the time does not
// depend on the token's length) in constant time, against every entry
// (so it does not depend on which one matched).
func (t *Tokens) match(token string) (string, bool) {
	d := sha256.Sum256([]byte(token))
	name, found := "", 0
	for _, e := range t.entries {
		eq := subtle.ConstantTimeCompare(d[:], e.digest[:])
		if eq == 1 {
			name = e.name
		}
		found |= eq
	}
	return name, found == 1 && token != ""
}

// authorized wraps a write: no tokens configured is 403, a missing or
// wrong token 401, both before anything is read, so the answer says
// nothing about the data. The token's name goes to the handler as the
// actor; the token itself is never logged or stored.
func (s *Server) authorized(h func(w http.ResponseWriter, r *http.Request, actor string) error) http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		if s.cfg.Writes.Tokens.Len() == 0 {
			return &statusError{http.StatusForbidden, "writes are off: this server was started without a token file (serve --token-file)"}
		}
		auth := r.Header.Get("Authorization")
		scheme, token, _ := strings.Cut(auth, " ")
		name, ok := s.cfg.Writes.Tokens.match(strings.TrimSpace(token))
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			w.Header().Set("WWW-Authenticate", `Bearer realm="khorasan"`)
			return &statusError{http.StatusUnauthorized, "writing needs a valid bearer token (Authorization: Bearer TOKEN)"}
		}
		return h(w, r, name)
	})
}

func (s *Server) editor() (Editor, error) {
	ed, ok := s.store.(Editor)
	if !ok {
		return nil, &statusError{http.StatusNotImplemented, "this store does not take writes"}
	}
	return ed, nil
}

// readBody reads the bounded body of a one-feature write: past the
// limit is 413. One feature needs less than a file: at most 64 MiB.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	limit := min(s.maxBody(), maxFeatureBody)
	body, err := io.ReadAll(clientBody{http.MaxBytesReader(w, r.Body, limit)})
	return body, bodyError(err, limit)
}

// clientBody marks the errors of reading a request body as the client's
// (*bodyReadError: 408 when it stalled, 400 when it is malformed), apart
// from those of whatever the body is copied to.
type clientBody struct{ r io.Reader }

func (b clientBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF {
		err = &bodyReadError{err}
	}
	return n, err
}

// stallingBody gives an upload more time at each read, up to until: a
// body that keeps coming may take as long as the import, one that pauses
// for idle is refused (os.ErrDeadlineExceeded: 408).
type stallingBody struct {
	r     io.Reader
	rc    *http.ResponseController
	idle  time.Duration
	until time.Time
}

func (b *stallingBody) Read(p []byte) (int, error) {
	deadline := time.Now().Add(b.idle)
	if deadline.After(b.until) {
		deadline = b.until
	}
	b.rc.SetReadDeadline(deadline) // fails only where there is no connection (tests)
	return b.r.Read(p)
}

func (s *Server) uploadIdleTimeout() time.Duration {
	if s.cfg.Writes.UploadIdleTimeout > 0 {
		return s.cfg.Writes.UploadIdleTimeout
	}
	return defaultUploadIdle
}

const maxFeatureBody = 64 << 20

func (s *Server) maxBody() int64 {
	if s.cfg.Writes.MaxBodyBytes > 0 {
		return s.cfg.Writes.MaxBodyBytes
	}
	return defaultMaxBody
}

func bodyError(err error, limit int64) error {
	var mbe *http.MaxBytesError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &mbe):
		return &statusError{http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is larger than %d MiB, the most a write takes; import larger files with khorasan import", limit>>20)}
	}
	return err
}

// writeErr turns the store's write errors into statuses.
func writeErr(err error) error {
	switch {
	case errors.Is(err, geo.ErrPrecondition):
		return &statusError{http.StatusPreconditionFailed, "the feature changed since you read it (If-Match does not match its ETag); read it again and retry"}
	case errors.Is(err, geo.ErrConflict):
		return &statusError{http.StatusConflict, err.Error()}
	}
	return err
}

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
	mode := ingest.ModeAppend
	if v := q.Get("mode"); v != "" {
		if mode, err = ingest.ParseMode(v); err != nil {
			return &ParamError{Name: "mode", Reason: "must be create, append, upsert or replace"}
		}
	}
	src := ingest.Source{Name: "upload", Format: format, Size: n, IDProperty: q.Get("id"),
		Open: func() (io.ReadCloser, error) { return io.NopCloser(io.NewSectionReader(tmp, 0, n)), nil }}
	src.CSV = csv.Options{Profile: q.Get("profile"), Encoding: q.Get("encoding"), DateOrder: q.Get("date-order")}
	if v := q.Get("columns"); v != "" {
		if src.CSV.Columns, err = csv.ParseColumnMap(v); err != nil {
			return err
		}
	}
	if v := q.Get("delimiter"); v != "" {
		d := []rune(strings.ReplaceAll(v, `\t`, "\t"))
		if len(d) != 1 {
			return &ParamError{Name: "delimiter", Reason: "must be one character"}
		}
		src.CSV.Delimiter = d[0]
	}
	dry, err := boolParam(q, "dry-run")
	if err != nil {
		return err
	}
	skip, err := boolParam(q, "skip-invalid")
	if err != nil {
		return err
	}
	// An import may outlast the request timeout; it still ends when the
	// client goes away.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), s.importTimeout())
	defer cancel()
	stop := context.AfterFunc(r.Context(), func() {
		if errors.Is(r.Context().Err(), context.Canceled) {
			cancel()
		}
	})
	defer stop()
	rc.SetWriteDeadline(time.Now().Add(s.importTimeout() + time.Minute))
	rep, err := ed.Import(ctx, src, ingest.ImportOptions{
		Layer: geo.LayerInfo{Name: collection, Title: q.Get("title"), Description: q.Get("description"), Attribution: q.Get("attribution")},
		Mode:  mode, DryRun: dry, SkipInvalid: skip, Actor: actor,
	})
	if err != nil {
		return writeErr(err)
	}
	w.Header().Set("Cache-Control", "no-store")
	// Set before WriteHeader, which fixes the headers.
	w.Header().Set("Content-Type", "application/json")
	if rep.Created && !dry {
		w.Header().Set("Location", s.baseURL(r)+"/api/collections/"+url.PathEscape(collection))
		w.WriteHeader(http.StatusCreated)
	}
	return writeJSON(w, "application/json", rep)
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

// bodyFormat reads the Content-Type of an upload; "" sniffs.
func bodyFormat(ct string) (ingest.Format, error) {
	if ct == "" {
		return "", nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return "", &statusError{http.StatusUnsupportedMediaType, "unreadable Content-Type " + strconv.Quote(ct)}
	}
	switch mt {
	case "application/geo+json", "application/json":
		return ingest.FormatGeoJSON, nil
	case "text/csv", "text/tab-separated-values":
		return ingest.FormatCSV, nil
	case kmlType, "application/vnd.google-earth.kmz":
		return ingest.FormatKML, nil
	case "application/octet-stream", "text/plain":
		return "", nil
	}
	return "", &statusError{http.StatusUnsupportedMediaType, "Content-Type " + mt + " is not taken here; send application/geo+json, text/csv or " + kmlType}
}

// createOne adds the one Feature of the body: 201 with its Location and
// ETag.
func (s *Server) createOne(w http.ResponseWriter, r *http.Request, ed Editor, actor, collection string, body *os.File, n int64) error {
	if _, err := body.Seek(0, io.SeekStart); err != nil {
		return err
	}
	f, err := geojson.ReadFeature(bufio.NewReader(body))
	if err != nil {
		return err
	}
	// CreateFeature reads the layer in its transaction: a missing layer
	// is a 404 from there, a name the store keeps for itself a 400.
	out, schema, err := ed.CreateFeature(r.Context(), collection, f, actor)
	if err != nil {
		return writeErr(err)
	}
	w.Header().Set("Location", s.baseURL(r)+"/api/collections/"+url.PathEscape(collection)+"/items/"+url.PathEscape(out.ID))
	return writeFeature(w, http.StatusCreated, out, schema)
}

// writeFeature answers with a feature and its ETag.
func writeFeature(w http.ResponseWriter, status int, f geo.Feature, schema geo.Schema) error {
	etag, err := geojson.ETag(f, schema)
	if err != nil {
		return err
	}
	body, err := geojson.AppendFeature(nil, f, schema)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("ETag", etag)
	h.Set("Content-Type", geoJSONType)
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, err = w.Write(append(body, '\n'))
	return err
}

// precondition checks If-Match against a feature's ETag: absent passes
// (last write wins), * passes for any existing feature, otherwise one of
// the tags must be the feature's (strong comparison; the gzip suffix
// names the same state).
func precondition(r *http.Request, old geo.Feature, schema geo.Schema) error {
	im := r.Header.Get("If-Match")
	if im == "" {
		return nil
	}
	etag, err := geojson.ETag(old, schema)
	if err != nil {
		return err
	}
	for _, tag := range strings.Split(im, ",") {
		tag = strings.TrimSpace(tag)
		if tag == "*" || tag == etag || strings.TrimSuffix(tag, `-gzip"`)+`"` == etag {
			return nil
		}
	}
	return geo.ErrPrecondition
}

// putItem replaces a feature: its geometry and all its properties (those
// the body leaves out become null).
func (s *Server) putItem(w http.ResponseWriter, r *http.Request, actor, collection, id string) error {
	ed, err := s.editor()
	if err != nil {
		return err
	}
	if err := allowParams(r.URL.Query()); err != nil {
		return err
	}
	if _, err := bodyFormat(r.Header.Get("Content-Type")); err != nil {
		return err
	}
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	f, err := geojson.DecodeFeature(body)
	if err != nil {
		return err
	}
	if f.ID != "" && f.ID != id {
		return &geo.InvalidError{Where: "id", Msg: fmt.Sprintf("the body's id %q is not the feature's %q", f.ID, id)}
	}
	out, schema, err := ed.UpdateFeature(r.Context(), collection, id, actor, func(old geo.Feature, schema geo.Schema) (geo.Feature, error) {
		if err := precondition(r, old, schema); err != nil {
			return geo.Feature{}, err
		}
		props := map[string]any{}
		for _, c := range schema.Columns {
			props[c.Name] = nil
		}
		for k, v := range f.Properties {
			props[k] = v
		}
		return geo.Feature{ID: old.ID, Geometry: f.Geometry, Properties: props}, nil
	})
	if err != nil {
		return writeErr(err)
	}
	return writeFeature(w, http.StatusOK, out, schema)
}

// patchItem updates part of a feature, as a JSON Merge Patch (RFC 7396)
// of its GeoJSON: {"properties": {"killed": 5, "notes": null}} sets one
// property and clears another; a "geometry" member replaces the geometry.
func (s *Server) patchItem(w http.ResponseWriter, r *http.Request, actor, collection, id string) error {
	ed, err := s.editor()
	if err != nil {
		return err
	}
	if err := allowParams(r.URL.Query()); err != nil {
		return err
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, _ := mime.ParseMediaType(ct)
		if mt != mergePatchType && mt != "application/json" && mt != "application/geo+json" {
			return &statusError{http.StatusUnsupportedMediaType, "PATCH takes " + mergePatchType}
		}
	}
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	var patch map[string]json.RawMessage
	if err := json.Unmarshal(body, &patch); err != nil {
		return &geo.InvalidError{Msg: "the patch must be a JSON object (JSON Merge Patch of the feature)"}
	}
	if err := checkPatch(patch); err != nil {
		return err
	}
	for k := range patch {
		switch k {
		case "type", "id", "geometry", "properties", "links":
		default:
			return &geo.InvalidError{Msg: fmt.Sprintf("the patch has a member %q; a feature has type, id, geometry and properties", k)}
		}
	}
	if raw, ok := patch["id"]; ok {
		var pid any
		json.Unmarshal(raw, &pid)
		if fmt.Sprint(pid) != id {
			return &geo.InvalidError{Where: "id", Msg: "the id of a feature cannot be patched"}
		}
	}
	// The patch's geometry and properties read as a Feature, with the
	// checks and limits of every write.
	doc := []byte(`{"type":"Feature","geometry":`)
	geomRaw, hasGeom := patch["geometry"]
	if hasGeom {
		doc = append(doc, geomRaw...)
	} else {
		doc = append(doc, "null"...)
	}
	doc = append(doc, `,"properties":`...)
	if p, ok := patch["properties"]; ok {
		doc = append(doc, p...)
	} else {
		doc = append(doc, "null"...)
	}
	doc = append(doc, '}')
	pf, err := geojson.DecodeFeature(doc)
	if err != nil {
		return err
	}
	// RFC 7396: a null member removes the target's; a feature without
	// properties has every column null.
	clearProps := string(bytes.TrimSpace(patch["properties"])) == "null"
	out, schema, err := ed.UpdateFeature(r.Context(), collection, id, actor, func(old geo.Feature, schema geo.Schema) (geo.Feature, error) {
		if err := precondition(r, old, schema); err != nil {
			return geo.Feature{}, err
		}
		if hasGeom {
			old.Geometry = pf.Geometry
		}
		if clearProps {
			for _, c := range schema.Columns {
				old.Properties[c.Name] = nil
			}
		}
		for k, v := range pf.Properties {
			old.Properties[k] = v
		}
		return old, nil
	})
	if err != nil {
		return writeErr(err)
	}
	return writeFeature(w, http.StatusOK, out, schema)
}

// checkPatch refuses merge patches that cannot apply to a feature. By
// RFC 7396 the patch null replaces the whole document with null, which is
// no feature (DELETE removes one), and a feature's type is always
// "Feature"; both used to be answered 200 with nothing changed.
func checkPatch(patch map[string]json.RawMessage) error {
	if patch == nil {
		return &geo.InvalidError{Msg: "the patch is null, which would replace the feature with nothing: send an object such as {\"properties\":{\"killed\":5}}, or DELETE the feature"}
	}
	if raw, ok := patch["type"]; ok {
		var typ any
		json.Unmarshal(raw, &typ)
		if typ != "Feature" {
			return &geo.InvalidError{Where: "type", Msg: fmt.Sprintf("a feature's type is always \"Feature\"; the patch cannot make it %s", bytes.TrimSpace(raw))}
		}
	}
	return nil
}

func (s *Server) deleteItem(w http.ResponseWriter, r *http.Request, actor, collection, id string) error {
	ed, err := s.editor()
	if err != nil {
		return err
	}
	if err := allowParams(r.URL.Query()); err != nil {
		return err
	}
	err = ed.DeleteFeature(r.Context(), collection, id, actor, func(old geo.Feature, schema geo.Schema) error {
		return precondition(r, old, schema)
	})
	if err != nil {
		return writeErr(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// itemETag gives the GET of a feature the ETag that writes compare
// If-Match with, and answers If-None-Match. The HTML page of a feature
// is another representation of the same state, so its tag differs.
func itemETag(w http.ResponseWriter, r *http.Request, f geo.Feature, schema geo.Schema, format string) (bool, error) {
	etag, err := geojson.ETag(f, schema)
	if err != nil {
		return false, err
	}
	if format != formatJSON {
		etag = strings.TrimSuffix(etag, `"`) + "-" + format + `"`
	}
	w.Header().Set("ETag", etag)
	return notModified(w, r, etag), nil
}

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

// history lists the audit log (who changed what), newest first.
func (s *Server) history(w http.ResponseWriter, r *http.Request, actor string) error {
	ed, err := s.editor()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	if err := allowParams(q, "layer", "feature", "actor", "since", "limit"); err != nil {
		return err
	}
	hq := geo.HistoryQuery{Layer: q.Get("layer"), FeatureID: q.Get("feature"), Actor: q.Get("actor"), Limit: 100}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			return &ParamError{Name: "limit", Reason: "must be a whole number from 1 to 10000"}
		}
		hq.Limit = n
	}
	if v := q.Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			if t, err = time.Parse(time.DateOnly, v); err != nil {
				return &ParamError{Name: "since", Reason: "must be a date or an RFC 3339 time"}
			}
		}
		hq.Since = t
	}
	entries, err := ed.History(r.Context(), hq)
	if err != nil {
		return err
	}
	if entries == nil {
		entries = []geo.AuditEntry{}
	}
	w.Header().Set("Cache-Control", "no-store")
	var buf bytes.Buffer
	buf.WriteString(`{"entries":`)
	b, err := marshal(entries)
	if err != nil {
		return err
	}
	buf.Write(b)
	buf.WriteString("}\n")
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("ETag", etagOf(buf.String()))
	_, err = buf.WriteTo(w)
	return err
}
