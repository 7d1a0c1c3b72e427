package server

import (
	"net/url"
	"testing"
)

func FuzzItemsQuery(f *testing.F) {
	for _, s := range []string{"bbox=60,30,70,40", "limit=10&offset=5", "bbox=1,2,3", "limit=-1", "bbox=NaN,1,2,3&f=json", "x=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		req, err := parseItems(q)
		if err != nil {
			return
		}
		if req.limit < 1 || req.limit > maxLimit || req.offset < 0 {
			t.Fatalf("accepted limit %d offset %d", req.limit, req.offset)
		}
		if b := req.bbox; b != nil && (b.Min[0] > b.Max[0] || b.Min[1] > b.Max[1] || b.Min[0] < -180 || b.Max[1] > 90) {
			t.Fatalf("accepted bbox %v", b)
		}
	})
}
