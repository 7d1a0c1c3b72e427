// Package hostile sends a corpus of bad requests (malformed, extreme,
// duplicated, huge, stalled, chunked, wrong types) to a real khorasan
// serve and checks every answer: no 5xx, a problem+json that names the
// parameter, an answer within its budget, and the server's memory bounded.
//
// The corpus is testdata/corpus.jsonl (cases written by hand: bodies,
// headers, raw TCP) plus the cases cases.go generates (every endpoint ×
// parameter × bad value). Nothing in it is random, so every run gives the
// same verdict.
package hostile

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/khorasan/khorasan/tests/testserver"
)

// Case is one request of the corpus and what its answer must be.
type Case struct {
	Name   string            `json:"name"`
	Method string            `json:"method,omitempty"` // default GET
	Target string            `json:"target,omitempty"` // path and query, sent as they are
	Header map[string]string `json:"header,omitempty"`
	Body   string            `json:"body,omitempty"`
	// Auth adds the writer's bearer token.
	Auth bool `json:"auth,omitempty"`
	// Raw is the whole request, written to a TCP connection as it is
	// (stalled and chunked bodies, broken request lines); the connection
	// stays open until the server answers or closes it.
	Raw string `json:"raw,omitempty"`
	// Expect is the status: "400", a class "4xx", or alternatives
	// "3xx|404"; "closed" is the server closing the connection without
	// an answer.
	Expect string `json:"expect"`
	// Param is the parameter the problem must name (in invalid-params or
	// in its detail).
	Param string `json:"param,omitempty"`
	// Budget is the longest the whole answer may take; default 5 s.
	Budget string `json:"budget,omitempty"`
	// Allow503 lets an expensive request be refused for now (503 with
	// Retry-After) instead of answered.
	Allow503 bool `json:"allow503,omitempty"`
	// Transport marks requests net/http refuses before any handler runs
	// (a broken request line, headers past its limit): its answers are
	// plain text, so only the status and the time are checked.
	Transport bool `json:"transport,omitempty"`
	// NotContains is text the body must not hold (a leaked file).
	NotContains string `json:"notContains,omitempty"`
}

const (
	token         = "hostile-corpus-token-0123456789"
	defaultBudget = 5 * time.Second
	// maxUploadMB is the server's --max-upload-mb: small, so that bodies
	// past it are cheap to send.
	maxUploadMB = 1
	// rssBound is the most memory the server may hold at its peak
	// (VmHWM). /render's pixel budget allows two figures of 8192² pixels
	// at 4 bytes each drawing at once (512 MiB); the data, the tile
	// index and the caches take about 100 MiB; the rest is the garbage
	// collector's headroom. A request that costs memory out of proportion
	// (a body built from a repeated parameter) goes past it.
	rssBound = 1 << 30
	workers  = 4
)

// rep expands {{rep N TEXT}} to TEXT repeated N times, so that huge
// requests are written in a line.
var rep = regexp.MustCompile(`(?s)\{\{rep (\d+) (.*?)\}\}`)

func expand(s string) string {
	s = strings.ReplaceAll(s, "{{token}}", token)
	return rep.ReplaceAllStringFunc(s, func(m string) string {
		sub := rep.FindStringSubmatch(m)
		n, _ := strconv.Atoi(sub[1])
		return strings.Repeat(sub[2], n)
	})
}

func loadCorpus(t *testing.T) []Case {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "corpus.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []Case
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "//") {
			continue
		}
		var c Case
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			t.Fatalf("corpus.jsonl line %d: %v", n, err)
		}
		out = append(out, c)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// result is what one case got.
type result struct {
	c        Case
	status   int // 0: closed without an answer
	took     time.Duration
	problems []string
}

func (c Case) budget() time.Duration {
	if c.Budget == "" {
		return defaultBudget
	}
	d, err := time.ParseDuration(c.Budget)
	if err != nil {
		panic("case " + c.Name + ": budget " + c.Budget)
	}
	return d
}

func TestHostileCorpus(t *testing.T) {
	cases := append(loadCorpus(t), generated()...)
	names := map[string]bool{}
	for _, c := range cases {
		if names[c.Name] {
			t.Fatalf("two cases are named %q", c.Name)
		}
		names[c.Name] = true
		if c.Expect == "" {
			t.Fatalf("case %q expects nothing", c.Name)
		}
	}
	if len(cases) < 500 {
		t.Fatalf("the corpus has %d cases; the issue asks for at least 500", len(cases))
	}

	bin := testserver.Build(t)
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens")
	if err := os.WriteFile(tokens, []byte("hostile:"+token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := testserver.Start(t, bin, filepath.Join(dir, "hostile.gpkg"),
		"--token-file", tokens, "--max-upload-mb", strconv.Itoa(maxUploadMB), "--render-timeout", "10s")
	host := strings.TrimPrefix(srv.URL, "http://")

	mem := watchMemory(srv.PID)
	client := &http.Client{
		Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: workers},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}

	start := time.Now()
	results := make([]result, len(cases))
	var wg sync.WaitGroup
	jobs := make(chan int)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				results[i] = run(client, srv.URL, host, cases[i])
			}
		}()
	}
	for i, c := range cases {
		if c.Raw != "" {
			// Raw cases stall for up to the server's read timeout: each
			// has its own goroutine rather than holding a worker.
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i] = run(client, srv.URL, host, c)
			}()
			continue
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	elapsed := time.Since(start)

	// The server is still there and well.
	res, err := client.Get(srv.URL + "/healthz")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Errorf("after the corpus /healthz: %v %v", res, err)
	}
	if res != nil {
		res.Body.Close()
	}
	peakRSS, hwm := mem.stop()

	// The stalled cases wait for the server's read timeout by design;
	// the slowest of the rest says more about the server.
	fives, protocolFives, slowest, slowestAnswer := 0, 0, results[0], result{}
	failed := 0
	for _, r := range results {
		if r.status >= 500 {
			fives++
			if r.c.Transport && expectOK(r.c.Expect, r.status) {
				protocolFives++
			}
		}
		if r.took > slowest.took {
			slowest = r
		}
		if !strings.HasPrefix(r.c.Name, "stalled-") && r.took > slowestAnswer.took {
			slowestAnswer = r
		}
		if len(r.problems) > 0 {
			failed++
			t.Errorf("%s: %s %s: got %s in %s: %s", r.c.Name, method(r.c), shorten(target(r.c)), statusText(r.status),
				r.took.Round(time.Millisecond), strings.Join(r.problems, "; "))
		}
	}
	if hwm > rssBound {
		t.Errorf("the server's peak memory (VmHWM) was %d MiB; the bound is %d MiB", hwm>>20, rssBound>>20)
	}
	t.Logf("corpus: %d requests in %s, %d failed, %d answered 5xx (%d of them net/http's 501/505 to a transfer coding or HTTP version it lacks); slowest %s (%s, %s), not counting stalled bodies %s (%s, %s); peak RSS %d MiB (VmHWM; sampled VmRSS %d MiB)",
		len(results), elapsed.Round(time.Millisecond), failed, fives, protocolFives, slowest.c.Name, slowest.took.Round(time.Millisecond),
		statusText(slowest.status), slowestAnswer.c.Name, slowestAnswer.took.Round(time.Millisecond), statusText(slowestAnswer.status), hwm>>20, peakRSS>>20)
}

func method(c Case) string {
	if c.Raw != "" {
		return "raw"
	}
	if c.Method == "" {
		return http.MethodGet
	}
	return c.Method
}

func target(c Case) string {
	if c.Raw != "" {
		line, _, _ := strings.Cut(expand(c.Raw), "\r\n")
		return line
	}
	return expand(c.Target)
}

func shorten(s string) string {
	if len(s) > 160 {
		return s[:120] + fmt.Sprintf("… (%d bytes)", len(s))
	}
	return s
}

func statusText(status int) string {
	if status == 0 {
		return "no answer (closed)"
	}
	return strconv.Itoa(status)
}

// run sends one case and checks its answer.
func run(client *http.Client, base, host string, c Case) result {
	r := result{c: c}
	budget := c.budget()
	start := time.Now()
	var (
		res  *http.Response
		body []byte
		err  error
	)
	if c.Raw != "" {
		res, body, err = sendRaw(host, expand(c.Raw), budget+10*time.Second)
	} else {
		res, body, err = send(client, base, c, budget+10*time.Second)
	}
	r.took = time.Since(start)
	if err != nil {
		if !(c.Expect == "closed" || strings.Contains(c.Expect, "closed|") || strings.HasSuffix(c.Expect, "|closed")) || !isClosed(err) {
			r.problems = append(r.problems, "no answer: "+err.Error())
		}
		if r.took > budget {
			r.problems = append(r.problems, fmt.Sprintf("took %s, budget %s", r.took.Round(time.Millisecond), budget))
		}
		return r
	}
	r.status = res.StatusCode
	r.problems = check(c, res, body, r.took, budget)
	return r
}

func isClosed(err error) bool {
	return err == io.EOF || err == io.ErrUnexpectedEOF || strings.Contains(err.Error(), "connection reset") ||
		strings.Contains(err.Error(), "EOF")
}

// maxKept is how much of a body is kept for the checks; the rest is read
// and counted, so that the time covers the whole answer.
const maxKept = 1 << 20

func readBody(r io.Reader) ([]byte, error) {
	var buf bytes.Buffer
	if _, err := io.CopyN(&buf, r, maxKept); err != nil && err != io.EOF {
		return buf.Bytes(), err
	}
	_, err := io.Copy(io.Discard, r)
	return buf.Bytes(), err
}

func send(client *http.Client, base string, c Case, timeout time.Duration) (*http.Response, []byte, error) {
	m := method(c)
	var body io.Reader
	if c.Body != "" {
		body = strings.NewReader(expand(c.Body))
	}
	req, err := http.NewRequest(m, base+"/", body)
	if err != nil {
		return nil, nil, err
	}
	// The target goes on the wire byte for byte: url.Parse would refuse
	// some of the garbage the corpus sends, and the client would tidy the
	// rest.
	req.URL = &url.URL{Scheme: "http", Host: req.URL.Host, Opaque: expand(c.Target)}
	for k, v := range c.Header {
		req.Header.Set(k, expand(v))
	}
	if c.Auth {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	client2 := *client
	client2.Timeout = timeout
	res, err := client2.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer res.Body.Close()
	b, err := readBody(res.Body)
	return res, b, err
}

func sendRaw(host, raw string, timeout time.Duration) (*http.Response, []byte, error) {
	conn, err := net.Dial("tcp", host)
	if err != nil {
		return nil, nil, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(timeout))
	if _, err := io.WriteString(conn, raw); err != nil {
		return nil, nil, err
	}
	br := bufio.NewReader(conn)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		return nil, nil, err
	}
	defer res.Body.Close()
	b, err := readBody(res.Body)
	if err != nil && len(b) == 0 && res.ContentLength != 0 && res.ContentLength != -1 {
		return nil, nil, err
	}
	return res, b, nil
}

func expectOK(expect string, status int) bool {
	for _, alt := range strings.Split(expect, "|") {
		switch {
		case alt == "closed":
		case len(alt) == 3 && strings.HasSuffix(alt, "xx"):
			if status/100 == int(alt[0]-'0') {
				return true
			}
		default:
			if n, err := strconv.Atoi(alt); err == nil && n == status {
				return true
			}
		}
	}
	return false
}

// check is the corpus's verdict on one answer.
func check(c Case, res *http.Response, body []byte, took, budget time.Duration) []string {
	var bad []string
	status := res.StatusCode
	switch {
	case status == http.StatusServiceUnavailable && c.Allow503:
		if res.Header.Get("Retry-After") == "" {
			bad = append(bad, "503 without Retry-After")
		}
	case status >= 500 && !(c.Transport && expectOK(c.Expect, status)):
		bad = append(bad, "a 5xx")
	case !expectOK(c.Expect, status):
		bad = append(bad, "want "+c.Expect)
	}
	if took > budget {
		bad = append(bad, fmt.Sprintf("took %s, budget %s", took.Round(time.Millisecond), budget))
	}
	if c.NotContains != "" && bytes.Contains(body, []byte(c.NotContains)) {
		bad = append(bad, fmt.Sprintf("the body holds %q", c.NotContains))
	}
	if status < 400 || c.Transport {
		return bad
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
		bad = append(bad, fmt.Sprintf("Content-Type %q, not application/problem+json (body %.80q)", ct, body))
		return bad
	}
	if method(c) == http.MethodHead {
		return bad
	}
	var p struct {
		Title         string `json:"title"`
		Status        int    `json:"status"`
		Detail        string `json:"detail"`
		InvalidParams []struct {
			Name string `json:"name"`
		} `json:"invalid-params"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return append(bad, fmt.Sprintf("the problem is not JSON: %v (%.80q)", err, body))
	}
	if p.Title == "" || p.Status != status || (status < 500 && p.Detail == "") {
		bad = append(bad, fmt.Sprintf("the problem lacks title, status or detail: %.200s", body))
	}
	if c.Param != "" {
		named := strings.Contains(p.Detail, c.Param) ||
			slices.ContainsFunc(p.InvalidParams, func(ip struct {
				Name string `json:"name"`
			}) bool {
				return ip.Name == c.Param
			})
		if !named {
			bad = append(bad, fmt.Sprintf("the problem does not name %q: %.200s", c.Param, p.Detail))
		}
	}
	return bad
}

// memoryWatch samples the server's resident memory while the corpus runs.
type memoryWatch struct {
	pid  int
	done chan struct{}
	wg   sync.WaitGroup
	peak int64
}

func watchMemory(pid int) *memoryWatch {
	m := &memoryWatch{pid: pid, done: make(chan struct{})}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			if rss, _ := procStatus(pid); rss > m.peak {
				m.peak = rss
			}
			select {
			case <-m.done:
				return
			case <-tick.C:
			}
		}
	}()
	return m
}

// stop returns the largest sampled VmRSS and the kernel's own peak,
// VmHWM, which no sample can miss.
func (m *memoryWatch) stop() (peak, hwm int64) {
	close(m.done)
	m.wg.Wait()
	_, hwm = procStatus(m.pid)
	return m.peak, hwm
}

// procStatus reads VmRSS and VmHWM, in bytes, from /proc/PID/status.
func procStatus(pid int) (rss, hwm int64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		fields := strings.Fields(v)
		if len(fields) != 2 || fields[1] != "kB" {
			continue
		}
		n, _ := strconv.ParseInt(fields[0], 10, 64)
		switch k {
		case "VmRSS":
			rss = n << 10
		case "VmHWM":
			hwm = n << 10
		}
	}
	return rss, hwm
}
