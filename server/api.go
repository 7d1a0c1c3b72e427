package server

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

type link struct {
	Href  string `json:"href"`
	Rel   string `json:"rel"`
	Type  string `json:"type,omitempty"`
	Title string `json:"title,omitempty"`
}

func writeJSON(w http.ResponseWriter, contentType string, v any) error {
	body, err := marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", contentType)
	_, err = w.Write(append(body, '\n'))
	return err
}

// marshal is json.Marshal without HTML escapes, so URLs stay readable.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.store.Layers(r.Context()); err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, "application/json", map[string]string{"status": "ok"})
}

// static serves the page; a missing file is a problem+json 404 like
// every other.
func (s *Server) static() http.Handler {
	files := http.FileServerFS(s.cfg.Static)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
		if name == "" {
			name = "."
		}
		if _, err := fs.Stat(s.cfg.Static, name); err != nil {
			unrouted(r) // counted as "other" in /metrics, like the router's 404
			s.notFound(w, r)
			return
		}
		if name == embedPage {
			s.embedHeaders(w.Header())
		}
		fe := &fileErrors{ResponseWriter: w}
		files.ServeHTTP(fe, r)
		if fe.status != 0 {
			s.writeError(w, r, &statusError{fe.status, strings.TrimSpace(fe.msg.String())})
		}
	})
}

// fileErrors holds back the plain-text errors http.FileServer writes (a
// 416 for a Range past the end of a file, ...), so that static answers
// them with a problem+json like every other error.
type fileErrors struct {
	http.ResponseWriter
	status int // the error status, once http.FileServer chose one
	msg    bytes.Buffer
}

func (f *fileErrors) WriteHeader(code int) {
	if code >= 400 {
		f.status = code
		return
	}
	f.ResponseWriter.WriteHeader(code)
}

func (f *fileErrors) Write(b []byte) (int, error) {
	if f.status != 0 {
		if f.msg.Len() < 200 { // http.Error's one line
			f.msg.Write(b)
		}
		return len(b), nil
	}
	return f.ResponseWriter.Write(b)
}

func (f *fileErrors) Unwrap() http.ResponseWriter { return f.ResponseWriter }
