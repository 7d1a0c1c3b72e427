package csv

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/khorasan/khorasan/geo"
)

// The exports analysts bring, mapped onto the attack properties of the
// default data (date, end_date, name, city, admin1, country, iso3,
// precision, killed, killed_low, killed_high, wounded, target,
// attack_type, attribution, source_url, notes), plus perpetrator: the
// group the dataset names. Ids get the dataset as a prefix (acled:,
// gtd:, ucdp:) so that datasets never collide in one layer, and a second
// import of the same export upserts onto the first.
//
//	ACLED   event_id_cnty → id, event_date → date, fatalities → killed,
//	        actor1 → perpetrator, actor2 → target, sub_event_type (or
//	        event_type) → attack_type, location → city, admin1, country,
//	        geo_precision 1/2/3 → city/district/region, source →
//	        source_url, notes; attribution "attributed"
//	GTD     eventid → id; iyear, imonth, iday → date (a 0 month or day is
//	        unknown: date is the first day of the year or month and
//	        end_date its last); nkill → killed, nwound → wounded, gname →
//	        perpetrator, claimed 1 → "claimed" else "attributed",
//	        attacktype1_txt → attack_type, targtype1_txt and target1 →
//	        target, city, provstate → admin1, country_txt → country,
//	        specificity 1..5 → precision, scite1..3 → source_url,
//	        summary → notes. GTD files are ISO-8859-1: the encoding is
//	        detected.
//	UCDP    id → id, date_start/date_end → date/end_date, best/low/high →
//	        killed/killed_low/killed_high, side_a → perpetrator, side_b →
//	        target, type_of_violence → attack_type, where_coordinates →
//	        city, adm_1 → admin1, country, where_prec 1..7 → precision,
//	        source_article → source_url, where_description → notes;
//	        attribution "attributed"

// profileColumns are the columns each export must have.
var profileColumns = map[string][]string{
	"acled": {"event_id_cnty", "event_date", "latitude", "longitude", "fatalities"},
	"gtd":   {"eventid", "iyear", "imonth", "iday", "latitude", "longitude"},
	"ucdp":  {"id", "date_start", "latitude", "longitude", "best"},
}

var profileNames = map[string]string{"acled": "ACLED", "gtd": "GTD", "ucdp": "UCDP GED"}

func detectProfile(find func(string) int) string {
	has := func(names ...string) bool {
		for _, n := range names {
			if find(n) < 0 {
				return false
			}
		}
		return true
	}
	switch {
	case has("event_id_cnty") || has("event_date", "fatalities", "sub_event_type"):
		return "acled"
	case has("eventid", "iyear") || has("iyear", "imonth", "iday"):
		return "gtd"
	case has("date_start", "where_prec") || has("date_start", "best", "side_a"):
		return "ucdp"
	}
	return "generic"
}

// regionISO3 are the ISO 3166 codes of the countries of the region (and
// those its attacks reached), for exports that give only a name.
var regionISO3 = map[string]string{
	"afghanistan": "AFG", "pakistan": "PAK", "iran": "IRN", "uzbekistan": "UZB", "tajikistan": "TJK",
	"turkmenistan": "TKM", "kyrgyzstan": "KGZ", "kazakhstan": "KAZ", "russia": "RUS", "turkey": "TUR",
	"india": "IND", "china": "CHN", "iraq": "IRQ", "syria": "SYR", "bangladesh": "BGD",
}

func profilePlan(p *csvPlan, profile string, header []string, find func(string) int, used map[int]bool, dates dateReader) error {
	var missing []string
	for _, c := range profileColumns[profile] {
		if find(c) < 0 {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return &geo.InvalidError{Msg: fmt.Sprintf("this looks like a %s export but has no column %s; the columns are %s",
			profileNames[profile], strings.Join(missing, ", "), listColumns(header))}
	}
	lat, lon := find("latitude"), find("longitude")
	p.lat, p.lon = lat, lon
	used[lat], used[lon] = true, true
	c := exportColumns{find: find, used: used, dates: dates}
	switch profile {
	case "acled":
		acledPlan(p, c)
	case "gtd":
		gtdPlan(p, c)
	case "ucdp":
		ucdpPlan(p, c)
	}
	return nil
}

// exportColumns reads an export's columns for a profile's mapping. The
// columns it reads are marked used, so that * does not keep them again.
type exportColumns struct {
	find  func(string) int
	used  map[int]bool
	dates dateReader
}

// col reads a column's trimmed text; a column the file lacks reads "".
func (c exportColumns) col(name string) func([]string) string {
	i := c.find(name)
	if i < 0 {
		return func([]string) string { return "" }
	}
	c.used[i] = true
	return func(row []string) string { return strings.TrimSpace(row[i]) }
}

// date reads a date in any of the forms dateReader knows; "" is null.
func (c exportColumns) date(name string, get func([]string) string) func([]string) (any, error) {
	return func(row []string) (any, error) {
		s := get(row)
		if s == "" {
			return nil, nil
		}
		d, err := c.dates.read(s)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		return d, nil
	}
}

// textValue is the text, or null when empty.
func textValue(get func([]string) string) func([]string) (any, error) {
	return func(row []string) (any, error) {
		if s := get(row); s != "" {
			return s, nil
		}
		return nil, nil
	}
}

// countValue is a whole number; empty or negative is null.
func countValue(name string, get func([]string) string) func([]string) (any, error) {
	return func(row []string) (any, error) {
		s := get(row)
		if s == "" {
			return nil, nil
		}
		n, ok := geo.WholeNumber(geo.Cell(s))
		if !ok {
			return nil, fmt.Errorf("%s %q is not a whole number", name, s)
		}
		if n < 0 { // -9, -99: unknown in GTD
			return nil, nil
		}
		return n, nil
	}
}

func constantValue(v string) func([]string) (any, error) {
	return func([]string) (any, error) { return v, nil }
}

// iso3Value is the ISO code of a country of the region, else null.
func iso3Value(get func([]string) string) func([]string) (any, error) {
	return func(row []string) (any, error) {
		if c, ok := regionISO3[strings.ToLower(get(row))]; ok {
			return c, nil
		}
		return nil, nil
	}
}

// precisionValue names an export's precision code; other codes are null.
func precisionValue(get func([]string) string, table map[string]string) func([]string) (any, error) {
	return func(row []string) (any, error) {
		if v, ok := table[get(row)]; ok {
			return v, nil
		}
		return nil, nil
	}
}

// prefixedID is the export's id with the dataset's prefix.
func prefixedID(prefix string, get func([]string) string, name string) func([]string) (string, error) {
	return func(row []string) (string, error) {
		id := get(row)
		if id == "" {
			return "", fmt.Errorf("no id: column %s is empty", name)
		}
		return prefix + id, nil
	}
}

func acledPlan(p *csvPlan, c exportColumns) {
	location, subType, eventType := c.col("location"), c.col("sub_event_type"), c.col("event_type")
	country := c.col("country")
	set := p.setField
	p.id = prefixedID("acled:", c.col("event_id_cnty"), "event_id_cnty")
	set("date", c.date("event_date", c.col("event_date")))
	set("name", func(row []string) (any, error) {
		kind := firstOf(subType(row), eventType(row), "Event")
		if l := location(row); l != "" {
			return kind + " in " + l, nil
		}
		return kind, nil
	})
	set("city", textValue(location))
	set("admin1", textValue(c.col("admin1")))
	set("country", textValue(country))
	set("iso3", iso3Value(country))
	set("precision", precisionValue(c.col("geo_precision"), map[string]string{"1": "city", "2": "district", "3": "region"}))
	set("killed", countValue("fatalities", c.col("fatalities")))
	set("target", textValue(c.col("actor2")))
	set("attack_type", func(row []string) (any, error) { return nilIfEmpty(firstOf(subType(row), eventType(row))), nil })
	set("attribution", constantValue("attributed"))
	set("perpetrator", textValue(c.col("actor1")))
	set("source_url", textValue(c.col("source")))
	set("notes", textValue(c.col("notes")))
}

func gtdPlan(p *csvPlan, c exportColumns) {
	year, month, day := c.col("iyear"), c.col("imonth"), c.col("iday")
	city, prov, country := c.col("city"), c.col("provstate"), c.col("country_txt")
	attack := c.col("attacktype1_txt")
	targType, target := c.col("targtype1_txt"), c.col("target1")
	approx := c.col("approxdate")
	set := p.setField
	p.id = prefixedID("gtd:", c.col("eventid"), "eventid")
	span := gtdSpan(year, month, day)
	set("date", func(row []string) (any, error) {
		d, _, err := span(row)
		return d, err
	})
	set("end_date", func(row []string) (any, error) {
		_, e, err := span(row)
		return nilIfEmpty(e), err
	})
	set("name", gtdName(city, prov, country, attack))
	set("city", func(row []string) (any, error) {
		if name := city(row); name != "" && !strings.EqualFold(name, "unknown") {
			return name, nil
		}
		return nil, nil
	})
	set("admin1", textValue(prov))
	set("country", textValue(country))
	set("iso3", iso3Value(country))
	set("precision", precisionValue(c.col("specificity"), map[string]string{"1": "city", "2": "district", "3": "district", "4": "admin1", "5": "unknown"}))
	set("killed", countValue("nkill", c.col("nkill")))
	set("wounded", countValue("nwound", c.col("nwound")))
	set("target", gtdTarget(targType, target))
	set("attack_type", textValue(attack))
	claimed := c.col("claimed")
	set("attribution", func(row []string) (any, error) {
		if claimed(row) == "1" {
			return "claimed", nil
		}
		return "attributed", nil
	})
	set("perpetrator", textValue(c.col("gname")))
	set("source_url", gtdSources(c.col("scite1"), c.col("scite2"), c.col("scite3")))
	set("notes", gtdNotes(c.col("summary"), month, day, approx))
}

// gtdSpan reads iyear, imonth and iday as a date, and as the last day of
// the year or month when the month or day is 0 (unknown).
func gtdSpan(year, month, day func([]string) string) func([]string) (string, string, error) {
	return func(row []string) (string, string, error) {
		y, err1 := strconv.Atoi(year(row))
		m, err2 := strconv.Atoi(firstOf(month(row), "0"))
		d, err3 := strconv.Atoi(firstOf(day(row), "0"))
		if err1 != nil || err2 != nil || err3 != nil || y < 1 || m < 0 || m > 12 || d < 0 || d > 31 {
			return "", "", fmt.Errorf("iyear/imonth/iday %q/%q/%q is not a date", year(row), month(row), day(row))
		}
		switch {
		case m == 0:
			return fmt.Sprintf("%04d-01-01", y), fmt.Sprintf("%04d-12-31", y), nil
		case d == 0:
			first := time.Date(y, time.Month(m), 1, 0, 0, 0, 0, time.UTC)
			return first.Format(time.DateOnly), first.AddDate(0, 1, -1).Format(time.DateOnly), nil
		}
		t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
		if t.Day() != d {
			return "", "", fmt.Errorf("iyear/imonth/iday %d/%d/%d is not a date", y, m, d)
		}
		return t.Format(time.DateOnly), "", nil
	}
}

// gtdName is the attack type in the city, or else the province or
// country.
func gtdName(city, prov, country, attack func([]string) string) func([]string) (any, error) {
	return func(row []string) (any, error) {
		place := city(row)
		if place == "" || strings.EqualFold(place, "unknown") {
			place = firstOf(prov(row), country(row))
		}
		kind := firstOf(attack(row), "Attack")
		if place == "" {
			return kind, nil
		}
		return kind + " in " + place, nil
	}
}

// gtdTarget is the target type and the target, as "type: target".
func gtdTarget(targType, target func([]string) string) func([]string) (any, error) {
	return func(row []string) (any, error) {
		t, tt := target(row), targType(row)
		switch {
		case t != "" && tt != "" && !strings.EqualFold(t, "unknown"):
			return tt + ": " + t, nil
		case tt != "":
			return tt, nil
		}
		return nilIfEmpty(t), nil
	}
}

// gtdSources joins the citations that are there with " | ".
func gtdSources(s1, s2, s3 func([]string) string) func([]string) (any, error) {
	return func(row []string) (any, error) {
		var parts []string
		for _, s := range []string{s1(row), s2(row), s3(row)} {
			if s != "" {
				parts = append(parts, s)
			}
		}
		return nilIfEmpty(strings.Join(parts, " | ")), nil
	}
}

// gtdNotes is the summary, saying so when the date is approximate.
func gtdNotes(summary, month, day, approx func([]string) string) func([]string) (any, error) {
	return func(row []string) (any, error) {
		n := summary(row)
		if month(row) == "0" || day(row) == "0" {
			note := "date approximate (GTD month or day unknown)"
			if a := approx(row); a != "" {
				note += ": " + a
			}
			n = strings.TrimSpace(n + " " + note)
		}
		return nilIfEmpty(n), nil
	}
}

func ucdpPlan(p *csvPlan, c exportColumns) {
	start, end := c.col("date_start"), c.col("date_end")
	where, country := c.col("where_coordinates"), c.col("country")
	violence := c.col("type_of_violence")
	kinds := map[string]string{"1": "state-based conflict", "2": "non-state conflict", "3": "one-sided violence"}
	set := p.setField
	p.id = prefixedID("ucdp:", c.col("id"), "id")
	set("date", c.date("date_start", start))
	set("end_date", func(row []string) (any, error) {
		e, err := c.date("date_end", end)(row)
		if err != nil || e == nil {
			return e, err
		}
		s, _ := c.date("date_start", start)(row)
		if s == e {
			return nil, nil
		}
		return e, nil
	})
	set("name", func(row []string) (any, error) {
		kind := firstOf(kinds[violence(row)], "event")
		if w := where(row); w != "" {
			return kind + " in " + w, nil
		}
		return kind, nil
	})
	set("city", textValue(where))
	set("admin1", textValue(c.col("adm_1")))
	set("country", textValue(country))
	set("iso3", iso3Value(country))
	set("precision", precisionValue(c.col("where_prec"), map[string]string{"1": "site", "2": "city", "3": "district", "4": "admin1", "5": "region", "6": "country", "7": "unknown"}))
	set("killed", countValue("best", c.col("best")))
	set("killed_low", countValue("low", c.col("low")))
	set("killed_high", countValue("high", c.col("high")))
	set("target", textValue(c.col("side_b")))
	set("attack_type", func(row []string) (any, error) { return nilIfEmpty(kinds[violence(row)]), nil })
	set("attribution", constantValue("attributed"))
	set("perpetrator", textValue(c.col("side_a")))
	set("source_url", textValue(c.col("source_article")))
	set("notes", textValue(c.col("where_description")))
}

func firstOf(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
