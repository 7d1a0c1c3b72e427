package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/geojson"
	"github.com/khorasan/khorasan/geo/ingest"
)

// Writes: OGC API - Features Part 4 (create, replace, update, delete)
// behind bearer tokens (tokens.go); their bodies (body.go), file imports
// (upload.go), exports of whole layers and of the whole GeoPackage
// (export.go) and the audit log (history.go) are beside them.

// Editor is what writes need of the store; *gpkg.Store has it.
type Editor interface {
	Import(ctx context.Context, src ingest.Source, opt ingest.ImportOptions) (*ingest.Report, error)
	CreateFeature(ctx context.Context, layer string, f geo.Feature, actor string) (geo.Feature, geo.Schema, error)
	UpdateFeature(ctx context.Context, layer, id, actor string, change func(old geo.Feature, schema geo.Schema) (geo.Feature, error)) (geo.Feature, geo.Schema, error)
	DeleteFeature(ctx context.Context, layer, id, actor string, check func(old geo.Feature, schema geo.Schema) error) error
	History(ctx context.Context, q geo.HistoryQuery) ([]geo.AuditEntry, error)
	Backup(ctx context.Context, path string) error
	ExportLayer(ctx context.Context, layer, path string) error
	// SetProfile stores a layer's profile (nil removes it); one that does
	// not fit the layer is an *geo.InvalidError naming the field.
	SetProfile(ctx context.Context, layer string, p *geo.Profile, actor string) (geo.Layer, error)
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

func (s *Server) editor() (Editor, error) {
	ed, ok := s.store.(Editor)
	if !ok {
		return nil, &statusError{http.StatusNotImplemented, "this store does not take writes"}
	}
	return ed, nil
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
	if ifMatchHolds(im, etag) {
		return nil
	}
	return geo.ErrPrecondition
}

// ifMatchHolds reports whether an If-Match list names etag: * or the
// tag itself (strong comparison; its gzip variant names the same state).
func ifMatchHolds(im, etag string) bool {
	return slices.ContainsFunc(strings.Split(im, ","), func(tag string) bool {
		tag = strings.TrimSpace(tag)
		return tag == "*" || tag == etag || tag == gzipETag(etag)
	})
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
// of its GeoJSON: {"properties": {"size": 5, "notes": null}} sets one
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
