package server

import (
	"net/http"
)

// profile answers a layer's profile (geo.Profile, as the store gives it
// from the dataset description data/profiles.json): what the layer holds (reference,
// areas, events, places) and which of its properties carry the time, the
// magnitude and the categories. The page reads it to decide how to draw
// a layer instead of going by the layer's name. A layer the dataset does
// not describe is {"kind":"generic"}; a layer that does not exist is a
// 404, as on the other collection routes.
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
