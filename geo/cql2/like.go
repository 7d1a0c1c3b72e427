package cql2

import "strings"

// LIKE patterns: % matches any run of characters, _ exactly one, and a
// backslash makes the character after it literal (a trailing backslash is
// itself). Matching is case-sensitive, as CQL2 says. SQLite's LIKE folds
// ASCII case, so the store runs patterns as GLOB, which does not: Glob
// translates a pattern, and Match is the same pattern matched in Go.

type patternItem struct {
	r    rune
	kind byte // 'c' one literal character, '_' any one, '%' any run
}

func compilePattern(pattern string) []patternItem {
	var items []patternItem
	rs := []rune(pattern)
	for i := 0; i < len(rs); i++ {
		switch r := rs[i]; {
		case r == '\\' && i+1 < len(rs):
			i++
			items = append(items, patternItem{rs[i], 'c'})
		case r == '%':
			items = append(items, patternItem{kind: '%'})
		case r == '_':
			items = append(items, patternItem{kind: '_'})
		default:
			items = append(items, patternItem{r, 'c'})
		}
	}
	return items
}

// Glob is the SQLite GLOB pattern that matches what the LIKE pattern
// does. GLOB has no escape character, so the characters it gives meaning
// to (* ? [) stand for themselves inside brackets.
func Glob(pattern string) string {
	var b strings.Builder
	for _, it := range compilePattern(pattern) {
		switch {
		case it.kind == '%':
			b.WriteByte('*')
		case it.kind == '_':
			b.WriteByte('?')
		case it.r == '*' || it.r == '?' || it.r == '[':
			b.WriteByte('[')
			b.WriteRune(it.r)
			b.WriteByte(']')
		default:
			b.WriteRune(it.r)
		}
	}
	return b.String()
}

// Match reports whether s matches the LIKE pattern.
func Match(pattern, s string) bool {
	pat := compilePattern(pattern)
	str := []rune(s)
	// The classic wildcard walk: on a mismatch, go back to the last %
	// and let it swallow one more character. Linear in practice,
	// O(len(s)·len(pattern)) at worst.
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(str) {
		switch {
		case p < len(pat) && (pat[p].kind == '_' || pat[p].kind == 'c' && pat[p].r == str[i]):
			p++
			i++
		case p < len(pat) && pat[p].kind == '%':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pat) && pat[p].kind == '%' {
		p++
	}
	return p == len(pat)
}
