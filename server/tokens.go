package server

import (
	"bufio"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
)

// Tokens are named bearer tokens, kept only as SHA-256 digests.
type Tokens struct {
	entries []tokenEntry
}

type tokenEntry struct {
	name   string
	digest [32]byte
}

// MinTokenLength is the shortest token accepted: 16 characters of
// printable ASCII, such as `openssl rand -hex 32` makes.
const MinTokenLength = 16

var tokenNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$`)

// LoadTokens reads a token file: one "name:token" a line, where the name
// (letters, digits, . _ @ -) is what the audit log records and the token
// is at least 16 printable characters without spaces. Blank lines and
// lines starting with # are skipped. Errors name lines, never tokens.
func LoadTokens(path string) (*Tokens, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	t, err := ParseTokens(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// ParseTokens reads the token file format (see LoadTokens).
func ParseTokens(r io.Reader) (*Tokens, error) {
	t := &Tokens{}
	names := map[string]bool{}
	digests := map[[32]byte]bool{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, tok, ok := strings.Cut(line, ":")
		name, tok = strings.TrimSpace(name), strings.TrimSpace(tok)
		switch {
		case !ok:
			return nil, fmt.Errorf("line %d: want name:token", n)
		case !tokenNameRE.MatchString(name):
			return nil, fmt.Errorf("line %d: the name must be letters, digits, . _ @ or -, at most 64", n)
		case len(tok) < MinTokenLength:
			return nil, fmt.Errorf("line %d: the token is shorter than %d characters", n, MinTokenLength)
		case strings.ContainsFunc(tok, func(r rune) bool { return r <= ' ' || r > '~' }):
			return nil, fmt.Errorf("line %d: the token must be printable ASCII without spaces", n)
		case names[name]:
			return nil, fmt.Errorf("line %d: the name %q is given twice", n, name)
		}
		d := sha256.Sum256([]byte(tok))
		if digests[d] {
			return nil, fmt.Errorf("line %d: the same token as an earlier line", n)
		}
		names[name], digests[d] = true, true
		t.entries = append(t.entries, tokenEntry{name: name, digest: d})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return t, nil
}

// Len is the number of tokens.
func (t *Tokens) Len() int {
	if t == nil {
		return 0
	}
	return len(t.entries)
}

// match finds a token's name. It compares digests (so the time does not
// depend on the token's length) in constant time, against every entry
// (so it does not depend on which one matched).
func (t *Tokens) match(token string) (string, bool) {
	d := sha256.Sum256([]byte(token))
	name, found := "", 0
	for _, e := range t.entries {
		eq := subtle.ConstantTimeCompare(d[:], e.digest[:])
		if eq == 1 {
			name = e.name
		}
		found |= eq
	}
	return name, found == 1 && token != ""
}

// authorized wraps a write: no tokens configured is 403, a missing or
// wrong token 401, both before anything is read, so the answer says
// nothing about the data. The token's name goes to the handler as the
// actor; the token itself is never logged or stored.
func (s *Server) authorized(h func(w http.ResponseWriter, r *http.Request, actor string) error) http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		if s.cfg.Writes.Tokens.Len() == 0 {
			return &statusError{http.StatusForbidden, "writes are off: this server was started without a token file (serve --token-file)"}
		}
		auth := r.Header.Get("Authorization")
		scheme, token, _ := strings.Cut(auth, " ")
		name, ok := s.cfg.Writes.Tokens.match(strings.TrimSpace(token))
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			w.Header().Set("WWW-Authenticate", `Bearer realm="khorasan"`)
			return &statusError{http.StatusUnauthorized, "writing needs a valid bearer token (Authorization: Bearer TOKEN)"}
		}
		return h(w, r, name)
	})
}
