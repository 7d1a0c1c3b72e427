package server

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/khorasan/khorasan/internal/testio"
)

// newBodyServer is a write server with the short read timeout of a test
// (serve's is 30 s) and the map style, so /render reads its body too.
func newBodyServer(t *testing.T) (*httptest.Server, *Server) {
	t.Helper()
	style, err := os.ReadFile("../static/style.json")
	if err != nil {
		t.Fatal(err)
	}
	h, _, _ := newEditHandler(t, "alice:"+aliceToken, 1<<20, Config{Style: style,
		Writes: WriteConfig{UploadIdleTimeout: 300 * time.Millisecond}})
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ReadTimeout = 300 * time.Millisecond
	srv.Config.WriteTimeout = 10 * time.Second
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, h
}

// rawRequest writes head and body to a new connection as they are, then
// reads the answer (within 10 s: a test must not hang on a server that
// never answers).
func rawRequest(t *testing.T, addr, head, body string) (*http.Response, []byte) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, head+"\r\n"+body); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	return res, b
}

// TestBodyErrorsAreTheClients pins issue 10.4 and 10.5: a body that stalls
// short of its Content-Length got an empty 200 after 30 s (PATCH, POST
// /render) or a 503 (PUT); a chunked body with a bad chunk size got a 500.
// A write that did nothing never looks like success: 408, or 400.
func TestBodyErrorsAreTheClients(t *testing.T) {
	srv, _ := newBodyServer(t)
	addr := srv.Listener.Addr().String()
	auth := "Authorization: Bearer " + aliceToken + "\r\n"
	item := "/api/collections/places/items/kabul"
	const patch = `{"properties":{"killed":99}}`
	for _, tc := range []struct {
		name, head, body string
		status           int
		detail           string
	}{
		{"patch-stalls", "PATCH " + item + " HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Type: application/merge-patch+json\r\nContent-Length: 100\r\n",
			patch, 408, "did not arrive"},
		{"put-stalls", "PUT " + item + " HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Type: application/geo+json\r\nContent-Length: 500\r\n",
			`{"type":"Feature","geometry":`, 408, "did not arrive"},
		{"render-post-stalls", "POST /render HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n",
			`{"width":`, 408, "did not arrive"},
		{"upload-stalls", "POST /api/collections/places/items HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Type: text/csv\r\nContent-Length: 1000\r\n",
			"id,lat,lon,name,killed\nkandahar,31.6,65.7,Kandahar,1\n", 408, "did not arrive"},
		{"patch-bad-chunk-size", "PATCH " + item + " HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Type: application/merge-patch+json\r\nTransfer-Encoding: chunked\r\n",
			"zz\r\n" + patch + "\r\n0\r\n\r\n", 400, "malformed"},
		{"put-bad-chunk-size", "PUT " + item + " HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Type: application/geo+json\r\nTransfer-Encoding: chunked\r\n",
			"1g\r\n{}\r\n0\r\n\r\n", 400, "malformed"},
		{"upload-bad-chunk-size", "POST /api/collections/places/items HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Type: text/csv\r\nTransfer-Encoding: chunked\r\n",
			"5\r\nid,la\r\nxyz\r\n", 400, "malformed"},
		{"render-post-bad-chunk-size", "POST /render HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n",
			"-1\r\n{}\r\n0\r\n\r\n", 400, "malformed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := rawRequest(t, addr, tc.head, tc.body)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %.300s", res.StatusCode, tc.status, body)
			}
			if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("Content-Type %q: %.300s", ct, body)
			}
			var p problem
			if err := json.Unmarshal(body, &p); err != nil || !strings.Contains(p.Detail, tc.detail) || p.Status != tc.status {
				t.Errorf("problem %s (%v), want a %d whose detail says %q", body, err, tc.status, tc.detail)
			}
		})
	}
	// Nothing was written.
	res, body := rawRequest(t, addr, "GET "+item+" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n", "")
	if res.StatusCode != 200 || strings.Contains(string(body), "99") || strings.Contains(string(body), "Kandahar") {
		t.Errorf("after the refused writes: %d %s", res.StatusCode, body)
	}
	res, body = rawRequest(t, addr, "GET /api/collections/places/items/kandahar HTTP/1.1\r\nHost: x\r\nConnection: close\r\n", "")
	if res.StatusCode != 404 {
		t.Errorf("the stalled upload was imported: %d %s", res.StatusCode, body)
	}
}

// TestWritesNeedAFeature pins issue 10.5: PUT of an empty
// FeatureCollection was a 500 (the reader's EOF); it is the client's
// mistake, a 400 that says what is wanted.
func TestWritesNeedAFeature(t *testing.T) {
	srv, _, _ := newEditServer(t, "alice:"+aliceToken, 1<<20)
	item := srv.URL + "/api/collections/places/items/kabul"
	auth := with(bearer(aliceToken), "Content-Type", "application/geo+json")
	for _, tc := range []struct {
		name, method, url, body string
		status                  int
		detail                  string
	}{
		{"put-empty-collection", "PUT", item, `{"type":"FeatureCollection","features":[]}`, 400, "want one GeoJSON Feature, found a FeatureCollection with no features"},
		{"put-collection-of-two", "PUT", item, `{"type":"FeatureCollection","features":[` + newFeature + `,` + newFeature + `]}`, 400, "want one Feature"},
		{"put-geometry", "PUT", item, `{"type":"Point","coordinates":[69.17,34.53]}`, 400, `want a GeoJSON Feature, found "Point"`},
		{"put-empty", "PUT", item, ``, 400, "empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := send(t, tc.method, tc.url, tc.body, auth)
			if res.status != tc.status {
				t.Fatalf("status %d, want %d: %s", res.status, tc.status, res.body)
			}
			var p problem
			if err := json.Unmarshal(res.body, &p); err != nil || !strings.Contains(p.Detail, tc.detail) {
				t.Errorf("problem %s, want its detail to say %q", res.body, tc.detail)
			}
		})
	}
}

// A geometry of ten million points is refused at the millionth-and-first
// (400), without reading it whole; a body past the limit is 413.
func TestHugeGeometry(t *testing.T) {
	srv, _, _ := newEditServer(t, "alice:"+aliceToken, 0)
	url := srv.URL + "/api/collections/places/items"
	body := func(points int) io.Reader {
		head := `{"type":"Feature","properties":{},"geometry":{"type":"MultiPoint","coordinates":[`
		return io.MultiReader(strings.NewReader(head), testio.Repeat([]byte("[69.123456,34.123456],"), points), strings.NewReader("[1,2]]}}"))
	}
	req, _ := http.NewRequest("POST", url, body(10_000_000))
	req.Header.Set("Authorization", "Bearer "+aliceToken)
	req.Header.Set("Content-Type", "application/geo+json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 400 || !strings.Contains(string(b), "more than 1000000 positions") {
		t.Errorf("10 million points: %d %s", res.StatusCode, b)
	}
	// Over the limit of a PUT (64 MiB for one feature).
	req, _ = http.NewRequest("PUT", url+"/kabul", body(4_000_000))
	req.Header.Set("Authorization", "Bearer "+aliceToken)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 413 {
		t.Errorf("88 MB PUT: %d", res.StatusCode)
	}
}

// A streamed items page asks the gzip writer under etags' buffer for
// best speed, and it takes it only before its header.
func TestPreferGzipSpeedReachesTheGzipWriter(t *testing.T) {
	for name, c := range map[string]struct {
		decided bool
		want    gzipLevel
	}{
		"before the header": {false, gzipFast},
		"after the header":  {true, gzipDefault},
	} {
		t.Run(name, func(t *testing.T) {
			g := &gzipWriter{ResponseWriter: httptest.NewRecorder(), pool: &gzipPool{}, decided: c.decided}
			preferGzipSpeed(&bufferedWriter{w: g})
			if g.level != c.want {
				t.Errorf("level %d, want %d", g.level, c.want)
			}
		})
	}
}
