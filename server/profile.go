package server

import (
	"mime"
	"net/http"
	"strconv"

	"github.com/khorasan/khorasan/geo"
)

// profile answers a layer's profile (geo.Profile): the one stored with
// the layer, else the dataset description's (data/profiles.json). It
// says what the layer holds (reference, areas, events, places) and which
// of its properties carry the time, the magnitude and the categories,
// with their values' labels and colours. The page reads it to decide how
// to draw a layer instead of going by the layer's name. A layer with
// neither is {"kind":"generic"}; a layer that does not exist is a 404,
// as on the other collection routes.
func (s *Server) profile(w http.ResponseWriter, r *http.Request, name string) error {
	if err := allowParams(r.URL.Query(), "f"); err != nil {
		return err
	}
	// JSON only: a profile has no HTML page.
	if _, err := negotiate(r, formatJSON); err != nil {
		return err
	}
	l, err := s.store.Layer(r.Context(), name)
	if err != nil {
		return err
	}
	body, etag, err := profileBody(l.Profile)
	if err != nil {
		return err
	}
	cacheFor(w, 60)
	if notModified(w, r, etag) {
		return nil
	}
	return writeProfileBody(w, body, etag)
}

// profileBody is a profile's JSON answer and its ETag, the hash of those
// bytes: what GET gives is what If-Match of a write is compared with.
func profileBody(p geo.Profile) ([]byte, string, error) {
	body, err := marshal(p)
	if err != nil {
		return nil, "", err
	}
	body = append(body, '\n')
	return body, bodyETag(body), nil
}

func writeProfileBody(w http.ResponseWriter, body []byte, etag string) error {
	w.Header().Set("ETag", etag)
	w.Header().Set("Content-Type", "application/json")
	_, err := w.Write(body)
	return err
}

// profileMatches checks If-Match against the layer's profile as GET
// answers it: absent passes (last write wins, as before), * passes, any
// other list must hold the profile's ETag (its gzip variant names the
// same profile).
func profileMatches(r *http.Request, layer string, p geo.Profile) error {
	im := r.Header.Get("If-Match")
	if im == "" {
		return nil
	}
	_, etag, err := profileBody(p)
	if err != nil {
		return err
	}
	if ifMatchHolds(im, etag) {
		return nil
	}
	return &statusError{http.StatusPreconditionFailed, "the profile of " + strconv.Quote(layer) + " changed since you read it (If-Match does not match its ETag); read it again and retry"}
}

// putProfile stores the body (a profile's JSON) as the layer's profile
// and answers the profile the layer has after; deleteProfile removes the
// stored one, so that the dataset's (or a generic one) serves again. A
// profile that does not fit the layer is a 400 naming the field, and
// the stored one stays as it was.
func (s *Server) putProfile(w http.ResponseWriter, r *http.Request, actor, name string) error {
	ed, err := s.editor()
	if err != nil {
		return err
	}
	if err := allowParams(r.URL.Query()); err != nil {
		return err
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return &statusError{http.StatusUnsupportedMediaType, "Content-Type " + strconv.Quote(ct) + " is not taken here; send the profile as application/json"}
		}
	}
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	p, err := geo.ParseProfile(body)
	if err != nil {
		return err
	}
	return s.setProfile(w, r, ed, actor, name, &p)
}

// setProfile stores p (nil: removes the stored one) when If-Match holds
// and answers the profile after, with its ETag. The check and the write
// hold profileWrites, so two writers through this server cannot both
// pass one ETag; writers through another server on the same PostGIS
// database are not serialised with them.
func (s *Server) setProfile(w http.ResponseWriter, r *http.Request, ed Editor, actor, name string, p *geo.Profile) error {
	s.profileWrites.Lock()
	defer s.profileWrites.Unlock()
	if r.Header.Get("If-Match") != "" {
		l, err := s.store.Layer(r.Context(), name)
		if err != nil {
			return err
		}
		if err := profileMatches(r, name, l.Profile); err != nil {
			return err
		}
	}
	l, err := ed.SetProfile(r.Context(), name, p, actor)
	if err != nil {
		return writeErr(err)
	}
	out, etag, err := profileBody(l.Profile)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeProfileBody(w, out, etag)
}

func (s *Server) deleteProfile(w http.ResponseWriter, r *http.Request, actor, name string) error {
	ed, err := s.editor()
	if err != nil {
		return err
	}
	if err := allowParams(r.URL.Query()); err != nil {
		return err
	}
	return s.setProfile(w, r, ed, actor, name, nil)
}
