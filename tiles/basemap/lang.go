package basemap

import (
	"slices"
	"strings"
)

// Languages are the label languages the basemap takes (lang=), English
// first, the default: Russian, Persian, Pashto and Urdu besides. A name
// the data has not in the language is written in English (Natural
// Earth's places have Russian names but none in Persian, Pashto or Urdu;
// its rivers, lakes, ranges and peaks have none in any of them).
var Languages = []string{"en", "ru", "fa", "ps", "ur"}

// Lang is the label language named by s (case and spaces ignored; empty
// is English), and whether it is one of Languages.
func Lang(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return "en", true
	}
	return s, slices.Contains(Languages, s)
}

// names is a feature's name in the languages other than English that
// its properties give (name_ru, ...); nil when none.
type names map[string]string

// namesOf reads the name_LANG properties of Languages from get.
func namesOf(get func(key string) string) names {
	var out names
	for _, l := range Languages[1:] {
		if n := strings.TrimSpace(get("name_" + l)); n != "" {
			if out == nil {
				out = names{}
			}
			out[l] = n
		}
	}
	return out
}

// in is the name in lang, else the English one.
func (n names) in(lang, english string) string {
	if s, ok := n[lang]; ok {
		return s
	}
	return english
}
