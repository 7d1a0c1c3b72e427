package cql2

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits that keep any filter cheap to parse: the text is short and its
// nesting shallow, so no input can exhaust memory or the stack.
const (
	// MaxLength is the longest filter text accepted, in bytes.
	MaxLength = 64 << 10
	// MaxDepth is how deeply parentheses, NOT and geometry collections
	// may nest.
	MaxDepth = 100
)

type tokenKind int

const (
	tEOF    tokenKind = iota
	tName             // a plain identifier or keyword
	tQuoted           // a "double-quoted" identifier
	tString           // a 'quoted' character literal, unescaped
	tNumber
	tPunct // ( ) , = <> < <= > >=
)

type token struct {
	kind tokenKind
	text string
	pos  int // 1-based character position
}

// describe names a token the way an error message should.
func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of filter"
	case tName:
		if keywords[strings.ToUpper(t.text)] {
			return strings.ToUpper(t.text)
		}
		return "name " + shorten(t.text)
	case tQuoted:
		return `name "` + shorten(t.text) + `"`
	case tString:
		return "string '" + shorten(t.text) + "'"
	case tNumber:
		return "number " + shorten(t.text)
	}
	return "'" + t.text + "'"
}

func shorten(s string) string {
	if utf8.RuneCountInString(s) <= 40 {
		return s
	}
	return string([]rune(s)[:37]) + "..."
}

// keywords cannot be property names unless double-quoted.
var keywords = map[string]bool{
	"AND": true, "OR": true, "NOT": true, "LIKE": true, "IN": true, "BETWEEN": true,
	"IS": true, "NULL": true, "TRUE": true, "FALSE": true,
}

func lex(src string) ([]token, error) {
	if len(src) > MaxLength {
		return nil, &SyntaxError{Pos: utf8.RuneCountInString(src[:MaxLength]) + 1,
			Msg: fmt.Sprintf("filter is %d bytes long; the limit is %d", len(src), MaxLength)}
	}
	if !utf8.ValidString(src) {
		pos := 1
		for i, r := range src {
			if r == utf8.RuneError {
				if _, n := utf8.DecodeRuneInString(src[i:]); n == 1 {
					break
				}
			}
			pos++
		}
		return nil, &SyntaxError{Pos: pos, Msg: "filter is not valid UTF-8"}
	}
	if i := strings.IndexByte(src, 0); i >= 0 {
		// SQLite's string functions stop at NUL; better none at all.
		return nil, &SyntaxError{Pos: utf8.RuneCountInString(src[:i]) + 1, Msg: "filter contains a NUL character"}
	}
	rs := []rune(src)
	var toks []token
	for i := 0; i < len(rs); {
		r, pos := rs[i], i+1
		at := func(j int) rune {
			if j < len(rs) {
				return rs[j]
			}
			return 0
		}
		switch {
		case unicode.IsSpace(r):
			i++
		case r == '\'' || r == '"':
			text, end, ok := quoted(rs, i)
			if !ok {
				what := "string"
				if r == '"' {
					what = "quoted name"
				}
				return nil, &SyntaxError{Pos: pos, Msg: fmt.Sprintf("unterminated %s starting at character %d", what, pos)}
			}
			kind := tString
			if r == '"' {
				kind = tQuoted
				if text == "" {
					return nil, &SyntaxError{Pos: pos, Msg: `empty quoted name ""`}
				}
			}
			toks = append(toks, token{kind, text, pos})
			i = end
		case isDigit(r) || r == '.' && isDigit(at(i+1)) ||
			(r == '-' || r == '+') && (isDigit(at(i+1)) || at(i+1) == '.' && isDigit(at(i+2))):
			end := number(rs, i)
			toks = append(toks, token{tNumber, string(rs[i:end]), pos})
			i = end
		case isNameStart(r):
			end := i + 1
			for end < len(rs) && isNamePart(rs[end]) {
				end++
			}
			toks = append(toks, token{tName, string(rs[i:end]), pos})
			i = end
		case strings.ContainsRune("(),=", r):
			toks = append(toks, token{tPunct, string(r), pos})
			i++
		case r == '<' || r == '>':
			op := string(r)
			if next := at(i + 1); next == '=' || r == '<' && next == '>' {
				op += string(next)
			}
			toks = append(toks, token{tPunct, op, pos})
			i += len(op)
		case r == '!' && at(i+1) == '=':
			return nil, &SyntaxError{Pos: pos, Msg: "'!=' is not CQL2; write <> for not equal"}
		default:
			return nil, &SyntaxError{Pos: pos, Msg: fmt.Sprintf("unexpected character %q", r)}
		}
	}
	return append(toks, token{tEOF, "", len(rs) + 1}), nil
}

// quoted reads a literal opened by rs[start]; a doubled quote stands for
// itself. It returns the text and the index after the closing quote.
func quoted(rs []rune, start int) (string, int, bool) {
	q := rs[start]
	var b strings.Builder
	for i := start + 1; i < len(rs); i++ {
		if rs[i] != q {
			b.WriteRune(rs[i])
			continue
		}
		if i+1 < len(rs) && rs[i+1] == q {
			b.WriteRune(q)
			i++
			continue
		}
		return b.String(), i + 1, true
	}
	return "", 0, false
}

// number returns the end of the numeric literal starting at i: an
// optional sign, digits with an optional fraction, an optional exponent.
func number(rs []rune, i int) int {
	if rs[i] == '-' || rs[i] == '+' {
		i++
	}
	digits := func() {
		for i < len(rs) && isDigit(rs[i]) {
			i++
		}
	}
	digits()
	if i < len(rs) && rs[i] == '.' {
		i++
		digits()
	}
	if i < len(rs) && (rs[i] == 'e' || rs[i] == 'E') {
		j := i + 1
		if j < len(rs) && (rs[j] == '-' || rs[j] == '+') {
			j++
		}
		if j < len(rs) && isDigit(rs[j]) {
			i = j
			digits()
		}
	}
	return i
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

// Identifiers as CQL2 defines them: a letter, '_' or ':' first, then also
// digits, '.' and combining marks.
func isNameStart(r rune) bool { return unicode.IsLetter(r) || r == '_' || r == ':' }

func isNamePart(r rune) bool {
	return isNameStart(r) || isDigit(r) || r == '.' || unicode.In(r, unicode.Mn, unicode.Mc, unicode.Nd)
}
