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
	cacheFor(w, 60)
	return writeJSON(w, "application/json", l.Profile)
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
	l, err := ed.SetProfile(r.Context(), name, &p, actor)
	if err != nil {
		return writeErr(err)
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, "application/json", l.Profile)
}

func (s *Server) deleteProfile(w http.ResponseWriter, r *http.Request, actor, name string) error {
	ed, err := s.editor()
	if err != nil {
		return err
	}
	if err := allowParams(r.URL.Query()); err != nil {
		return err
	}
	l, err := ed.SetProfile(r.Context(), name, nil, actor)
	if err != nil {
		return writeErr(err)
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, "application/json", l.Profile)
}
