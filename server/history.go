package server

import (
	"bytes"
	"net/http"
	"strconv"
	"time"

	"github.com/khorasan/khorasan/geo"
)

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
