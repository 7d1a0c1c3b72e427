package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestRenderHoldsItsDeadline pins issue 10.3: a 2048×2048 figure at scale
// 4 answered 200 after 22 s under a 20 s --render-timeout, because the
// PNG encoding after the drawing ignored the deadline. Such a figure takes
// seconds; with a 300 ms timeout the answer must be a 503 problem, soon.
func TestRenderHoldsItsDeadline(t *testing.T) {
	const timeout = 300 * time.Millisecond
	srv, _ := newRenderServer(t, Config{RenderTimeout: timeout})
	for _, format := range []string{"png"} {
		start := time.Now()
		res, body := fetch(t, srv.URL+"/render?width=2048&height=2048&scale=4&format="+format)
		took := time.Since(start)
		if res.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("%s: status %d after %s, want 503: %.300s", format, res.StatusCode, took, body)
		}
		if p := problemOf(t, res, body); !strings.Contains(p.Detail, "not drawn within 300ms") {
			t.Errorf("%s: detail %q", format, p.Detail)
		}
		if ra := res.Header.Get("Retry-After"); ra != "1" {
			t.Errorf("%s: Retry-After %q, want 1 (the timeout, at least a second)", format, ra)
		}
		// The drawing checks the deadline between bands of rows, layers and
		// 1,024 markers, and the encoder at every 32 KiB it writes: the
		// longest step between checks is a fraction of a second on a
		// loaded machine. The whole figure takes over 5 s.
		if limit := timeout + 3*time.Second; took > limit {
			t.Errorf("%s: answered after %s, past the %s timeout plus a margin", format, took, timeout)
		}
	}
}

// TestRenderPixelBudget pins issue 10.3's memory: eight 8192² renders at
// once peaked at 4.1 GB. Figures are admitted by their pixels; one larger
// than the budget is refused naming the parameter, and one that finds
// the budget spent is a 503 with Retry-After, not a wait without end.
func TestRenderPixelBudget(t *testing.T) {
	const budget = 1000 * 1000
	h, _ := newRenderHandler(t, Config{RenderPixels: budget, RenderTimeout: 2 * time.Second})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	rs := h.renders

	for _, tc := range []struct {
		name, query, param string
	}{
		{"scale-beyond-budget", "width=800&height=800&scale=2", "scale"},
		{"width-beyond-budget", "width=2000&height=600", "width"},
		{"vector-beyond-budget", "width=2000&height=600&format=svg", "width"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := fetch(t, srv.URL+"/render?"+tc.query)
			if res.StatusCode != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %.300s", res.StatusCode, body)
			}
			p := problemOf(t, res, body)
			if len(p.InvalidParams) != 1 || p.InvalidParams[0].Name != tc.param || !strings.Contains(p.Detail, "at most 1000000") {
				t.Errorf("problem %+v, want it to name %s and the budget", p, tc.param)
			}
		})
	}

	t.Run("budget-spent-is-503", func(t *testing.T) {
		// Other figures hold all but 1,000 pixels.
		if err := rs.pixels.Acquire(context.Background(), budget-1000); err != nil {
			t.Fatal(err)
		}
		res, body := fetch(t, srv.URL+"/render?width=600&height=400")
		if res.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("status %d, want 503: %.300s", res.StatusCode, body)
		}
		if ra := res.Header.Get("Retry-After"); ra != "1" {
			t.Errorf("Retry-After %q, want 1 (a quarter of the 2 s timeout, at least a second)", ra)
		}
		if p := problemOf(t, res, body); !strings.Contains(p.Detail, "drawing other figures") {
			t.Errorf("detail %q", p.Detail)
		}
		// A figure that fits in what is left is drawn meanwhile.
		if res, body := fetch(t, srv.URL+"/render?width=40&height=25&legend=false"); res.StatusCode != http.StatusOK {
			t.Errorf("small figure: status %d: %.300s", res.StatusCode, body)
		}
		rs.pixels.Release(budget - 1000)
		if res, body := fetch(t, srv.URL+"/render?width=600&height=400"); res.StatusCode != http.StatusOK {
			t.Fatalf("after the others finished: status %d: %.300s", res.StatusCode, body)
		}
		// Every figure gave its pixels back. The handler releases them
		// after its response has gone out, so the client can be a step
		// ahead: wait for it, a bounded while.
		whole := false
		for deadline := time.Now().Add(5 * time.Second); !whole && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			whole = rs.pixels.TryAcquire(budget)
		}
		if !whole {
			t.Error("the budget is not whole again after the figures finished")
		}
	})
}
