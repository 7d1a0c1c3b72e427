package server

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/khorasan/khorasan/geo"
)

func TestWritesAreOffWithoutTokens(t *testing.T) {
	srv, _, _ := newEditServer(t, "", 0)
	base := srv.URL + "/api/collections/places/items"
	for _, c := range []struct{ method, url string }{
		{"POST", base}, {"PUT", base + "/kabul"}, {"PATCH", base + "/kabul"}, {"DELETE", base + "/kabul"}, {"GET", srv.URL + "/api/backup"},
	} {
		res := send(t, c.method, c.url, newFeature, bearer(aliceToken))
		if res.status != http.StatusForbidden || !strings.Contains(string(res.body), "token-file") {
			t.Errorf("%s %s: %d %s", c.method, c.url, res.status, res.body)
		}
	}
	if res := get(t, base+"/kabul", nil); res.status != 200 {
		t.Errorf("reads still work: %d", res.status)
	}
}

// A write without a token, or with a wrong one, is 401 and says nothing
// about the data: the same answer for a collection that exists and one
// that does not. Tokens never reach the log.
func TestWritesNeedAValidToken(t *testing.T) {
	srv, store, logs := newEditServer(t, "alice:"+aliceToken+"\n# a comment\nbob : "+bobToken+"\n", 0)
	bodies := map[string]bool{}
	for _, coll := range []string{"places", "no-such-layer"} {
		for name, h := range map[string]map[string]string{
			"none":         nil,
			"wrong token":  bearer("alice-0123456789abcdeX"),
			"prefix":       bearer(aliceToken[:20]),
			"longer":       bearer(aliceToken + "0"),
			"basic scheme": {"Authorization": "Basic " + aliceToken},
			"empty bearer": {"Authorization": "Bearer "},
			"token only":   {"Authorization": aliceToken},
		} {
			for _, method := range []string{"POST", "PUT", "DELETE"} {
				url := srv.URL + "/api/collections/" + coll + "/items"
				if method != "POST" {
					url += "/kabul"
				}
				res := send(t, method, url, newFeature, h)
				if res.status != http.StatusUnauthorized || res.header.Get("WWW-Authenticate") == "" {
					t.Errorf("%s %s (%s): %d %s", method, coll, name, res.status, res.body)
				}
				p := decode(t, res.body)
				bodies[p["detail"].(string)] = true
			}
		}
	}
	if len(bodies) != 1 {
		t.Errorf("401 answers differ: %v", bodies)
	}
	if n := len(featuresOf(t, store, "places")); n != 2 {
		t.Errorf("%d features after refused writes", n)
	}
	// Both tokens work; the log has neither.
	for _, tok := range []string{aliceToken, bobToken} {
		if res := send(t, "POST", srv.URL+"/api/collections/places/items", newFeature, with(bearer(tok), "Content-Type", "application/geo+json")); res.status != 201 {
			t.Errorf("valid token: %d %s", res.status, res.body)
		}
	}
	if l := logs.String(); strings.Contains(l, aliceToken) || strings.Contains(l, bobToken) || strings.Contains(l, aliceToken[:16]) {
		t.Error("a token is in the log")
	}
	h, _ := store.History(context.Background(), geo.HistoryQuery{Layer: "places", Limit: 2})
	if len(h) != 2 || h[0].Actor != "bob" || h[1].Actor != "alice" {
		t.Errorf("history actors: %+v", h)
	}
}

func TestTokenFileFormat(t *testing.T) {
	bad := map[string]string{
		"no colon":       "alice " + aliceToken,
		"short token":    "alice:short",
		"space in token": "alice:" + aliceToken[:10] + " " + aliceToken[10:],
		"bad name":       "al ice:" + aliceToken,
		"same name":      "alice:" + aliceToken + "\nalice:" + bobToken,
		"same token":     "alice:" + aliceToken + "\nbob:" + aliceToken,
	}
	for name, file := range bad {
		_, err := ParseTokens(strings.NewReader(file))
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		if strings.Contains(err.Error(), aliceToken[:10]) {
			t.Errorf("%s: the error shows the token: %v", name, err)
		}
	}
	tk, err := ParseTokens(strings.NewReader("# tokens\n\nalice:" + aliceToken + "\n"))
	if err != nil || tk.Len() != 1 {
		t.Fatalf("%v %v", tk, err)
	}
	if name, ok := tk.match(aliceToken); !ok || name != "alice" {
		t.Errorf("match: %q %v", name, ok)
	}
	if _, ok := tk.match(""); ok {
		t.Error("the empty token matches")
	}
}
