package server

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/csv"
	"github.com/khorasan/khorasan/geo/geojson"
	"github.com/khorasan/khorasan/geo/kml"
)

const kmlType = "application/vnd.google-earth.kml+xml"

func (s *Server) items(w http.ResponseWriter, r *http.Request, name string) error {
	ctx := r.Context()
	l, err := s.store.Layer(ctx, name)
	if err != nil {
		return err
	}
	req, err := parseItems(r.URL.Query(), l)
	if err != nil {
		return err
	}
	format, err := negotiate(r, formatJSON, formatHTML, formatCSV, formatKML)
	if err != nil {
		return err
	}
	// The same page of the same layer version is the same bytes: keep it,
	// so repeated requests (page loads, scripts polling) skip the database.
	key := responseKey(l, format, s.baseURL(r), r.URL.Query())
	if e, ok := s.responses.Get(key); ok {
		return s.writeCached(w, r, key, e)
	}
	var heavyCtx context.Context // the deadline of heavy work; nil for the rest
	release := func() {}         // of the heavy slot; once
	if heavy(l, req.query) {
		var free func()
		heavyCtx, free, err = s.heavy.acquire(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return s.heavy.busy(err)
		}
		release = sync.OnceFunc(free)
		defer release()
		// Equal requests wait for the same slot; the first may have
		// left its answer.
		if e, ok := s.responses.Get(key); ok {
			return s.writeCached(w, r, key, e)
		}
		r = r.WithContext(heavyCtx)
	}
	rec := newResponseRecorder(w, keepBytes, s.relays)
	err = s.itemsBody(rec, r, l, req, format)
	if err != nil && heavyCtx != nil && heavyCtx.Err() != nil && ctx.Err() == nil {
		err = s.heavy.busy(heavyCtx.Err()) // the pool's deadline, not the client's
	}
	if rec.streaming {
		release() // the page is read; sending it is no heavy work
		sendErr := rec.finish(err != nil)
		if err != nil || sendErr != nil {
			// Part of a 200 is sent: break the connection, so that the
			// client sees a failed transfer and not a shorter collection.
			if err != nil && ctx.Err() == nil {
				s.log.WarnContext(ctx, "items response failed while streaming", "path", r.URL.Path, "query", r.URL.RawQuery, "err", err)
			}
			panic(http.ErrAbortHandler)
		}
		return nil
	}
	if err != nil {
		return err
	}
	// Compressed only for a client that takes gzip: most scripts do not,
	// and a cold page's gzip cost as much as reading it. writeCached
	// compresses a kept entry on its first hit that wants it.
	e := rec.entry(s.gzip, acceptsGzip(r.Header.Get("Accept-Encoding")))
	s.responses.Set(key, e)
	return writeCached(w, r, e)
}

// maxHTMLBytes bounds the features' GeoJSON in an HTML page, which the
// page's template needs whole.
const maxHTMLBytes = 8 << 20

// itemsBody writes one items response into w, setting its headers before
// the first byte: a long page is sent while it is made.
func (s *Server) itemsBody(w http.ResponseWriter, r *http.Request, l geo.Layer, req itemsRequest, format string) error {
	ctx, name := r.Context(), l.Name
	matched, err := s.store.Count(ctx, name, req.query)
	if err != nil {
		return err
	}
	p := itemsPage{layer: l, query: req.query, schema: selectedSchema(l.Schema, req.properties), matched: matched}
	base := s.baseURL(r) + "/api/collections/" + url.PathEscape(name) + "/items"
	p.links = pageLinks(base, r.URL.Query(), req.query, matched, format)
	for _, lk := range p.links {
		if lk.Rel == "next" || lk.Rel == "prev" {
			w.Header().Add("Link", "<"+lk.Href+`>; rel="`+lk.Rel+`"`)
		}
	}
	cacheFor(w, 60)
	switch format {
	case formatCSV:
		return s.csvItems(ctx, w, p)
	case formatKML:
		return s.kmlItems(ctx, w, p)
	}
	return s.geoJSONItems(ctx, w, p, format == formatHTML)
}

// itemsPage is what an items response is made of.
type itemsPage struct {
	layer   geo.Layer
	query   geo.Query
	schema  geo.Schema // the layer's, or that of the properties asked for
	matched int64
	links   []link
}

// selectedSchema is the layer's schema with only the properties asked
// for, in their order; nil asks for all.
func selectedSchema(all geo.Schema, properties []string) geo.Schema {
	schema := all
	if properties != nil {
		schema.Columns = nil
		for _, p := range properties {
			c, _ := all.Column(p)
			schema.Columns = append(schema.Columns, c)
		}
	}
	return schema
}

func (s *Server) csvItems(ctx context.Context, w http.ResponseWriter, p itemsPage) error {
	name := p.layer.Name
	cw, err := csv.NewWriter(w, p.schema)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `inline; filename="`+name+`.csv"`)
	if err := s.store.Features(ctx, name, p.query, cw.Write); err != nil {
		return err
	}
	return cw.Flush()
}

func (s *Server) kmlItems(ctx context.Context, w http.ResponseWriter, p itemsPage) error {
	name := p.layer.Name
	w.Header().Set("Content-Type", kmlType)
	w.Header().Set("Content-Disposition", `inline; filename="`+name+`.kml"`)
	kw, err := kml.NewStream(w, p.layer.Title, p.schema)
	if err != nil {
		return err
	}
	if err := s.store.Features(ctx, name, p.query, kw.Write); err != nil {
		return err
	}
	return kw.Close()
}

// geoJSONItems writes the page as a GeoJSON FeatureCollection, or as
// the HTML page that shows it.
func (s *Server) geoJSONItems(ctx context.Context, w http.ResponseWriter, p itemsPage, asHTML bool) error {
	l, schema := p.layer, p.schema
	// GeoJSON goes to w feature by feature; the HTML page needs it whole,
	// in a buffer of bounded size.
	var out io.Writer = w
	var html bytes.Buffer
	if asHTML {
		out = &html
	} else {
		w.Header().Set("Content-Type", geoJSONType)
	}
	bw := bufio.NewWriterSize(out, 32<<10)
	bw.WriteString(`{"type":"FeatureCollection","features":[`)
	returned := 0
	var shown []geo.Feature // for the HTML table
	var err error
	if gs := s.cfg.GeoJSON; gs != nil && !asHTML {
		// Rows straight to bytes.
		err = gs.GeoJSONFeatures(ctx, l.Name, p.query, schema, func(feature []byte) error {
			if returned > 0 {
				bw.WriteByte(',')
			}
			returned++
			_, err := bw.Write(feature)
			return err
		})
	} else {
		enc := geojson.NewEncoder(schema)
		var scratch []byte
		err = s.store.Features(ctx, l.Name, p.query, func(f geo.Feature) error {
			if returned > 0 {
				bw.WriteByte(',')
			}
			var err error
			if scratch, err = enc.Append(scratch[:0], f); err != nil {
				return err
			}
			if asHTML {
				if html.Len()+bw.Buffered()+len(scratch) > maxHTMLBytes {
					return &ParamError{Name: "limit", Reason: "the HTML page of these features would be over " + strconv.Itoa(maxHTMLBytes>>20) +
						" MiB; ask for fewer, or for f=json, which has no such bound"}
				}
				shown = append(shown, f)
			}
			returned++
			_, err = bw.Write(scratch)
			return err
		})
	}
	if err != nil {
		return err
	}
	tail, err := marshal(map[string]any{
		"numberMatched":  p.matched,
		"numberReturned": returned,
		// The time the data was last changed: the same data gives the same
		// bytes, so the strong ETag stays true and caches work.
		"timeStamp": timeStamp(l.Changed),
		"links":     p.links,
	})
	if err != nil {
		return err
	}
	bw.WriteString("],")
	bw.Write(tail[1:])
	if !asHTML {
		bw.WriteByte('\n')
	}
	if err := bw.Flush(); err != nil || !asHTML {
		return err
	}
	return s.renderHTML(w, "items", map[string]any{
		"Layer": l, "Schema": schema, "GeoJSON": html.String(), "Links": p.links, "Features": shown,
		"Matched": p.matched, "Returned": returned, "Offset": p.query.Offset,
	})
}

func timeStamp(changed string) string {
	if t, err := time.Parse(time.RFC3339Nano, changed); err == nil {
		return t.UTC().Format(time.RFC3339)
	}
	return changed
}

// pageLinks are the self, alternate, next and prev links of an items page.
func pageLinks(base string, q url.Values, query geo.Query, matched int64, format string) []link {
	typ := map[string]string{formatJSON: geoJSONType, formatHTML: "text/html", formatCSV: "text/csv", formatKML: kmlType}
	links := []link{{Href: pageURL(base, q, query.Offset, query.Limit, format), Rel: "self", Type: typ[format], Title: "this page"}}
	for _, f := range []string{formatJSON, formatHTML, formatCSV, formatKML} {
		if f != format {
			links = append(links, link{Href: pageURL(base, q, query.Offset, query.Limit, f), Rel: "alternate", Type: typ[f], Title: "this page as " + f})
		}
	}
	if int64(query.Offset+query.Limit) < matched {
		links = append(links, link{Href: pageURL(base, q, query.Offset+query.Limit, query.Limit, format), Rel: "next", Type: typ[format], Title: "next page"})
	}
	if query.Offset > 0 {
		prev := max(0, min(query.Offset-query.Limit, int(matched)-query.Limit))
		links = append(links, link{Href: pageURL(base, q, prev, query.Limit, format), Rel: "prev", Type: typ[format], Title: "previous page"})
	}
	return links
}

// pageURL is the items URL with the same query and another page.
func pageURL(base string, q url.Values, offset, limit int, format string) string {
	q2 := url.Values{}
	for k, v := range q {
		q2[k] = v
	}
	q2.Set("f", format)
	q2.Set("limit", strconv.Itoa(limit))
	if offset > 0 {
		q2.Set("offset", strconv.Itoa(offset))
	} else {
		q2.Del("offset")
	}
	return base + "?" + q2.Encode()
}

func (s *Server) item(w http.ResponseWriter, r *http.Request, name, id string) error {
	format, err := documentFormat(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	l, err := s.store.Layer(ctx, name)
	if err != nil {
		return err
	}
	f, err := s.store.Feature(ctx, name, id)
	if err != nil {
		return err
	}
	// The ETag writes compare If-Match with (edit.go).
	if done, err := itemETag(w, r, f, l.Schema, format); err != nil || done {
		return err
	}
	body, err := geojson.AppendFeature(nil, f, l.Schema)
	if err != nil {
		return err
	}
	base := s.baseURL(r) + "/api/collections/" + url.PathEscape(name)
	self := base + "/items/" + url.PathEscape(id)
	links := selfLinks(self, format)
	links = append(links, link{Href: base + "?f=json", Rel: "collection", Type: "application/json", Title: l.Title})
	for i := range links {
		if links[i].Type == "application/json" && links[i].Rel != "collection" {
			links[i].Type = geoJSONType
		}
	}
	cacheFor(w, 60)
	if format == formatHTML {
		return s.renderHTML(w, "item", map[string]any{"Layer": l, "Feature": f, "GeoJSON": string(body), "Links": links})
	}
	linksJSON, err := marshal(links)
	if err != nil {
		return err
	}
	// The links go inside the feature object.
	body = append(body[:len(body)-1], `,"links":`...)
	body = append(append(body, linksJSON...), "}\n"...)
	w.Header().Set("Content-Type", geoJSONType)
	_, err = w.Write(body)
	return err
}
