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
	col := func(name string) func([]string) string {
		i := find(name)
		if i < 0 {
			return func([]string) string { return "" }
		}
		used[i] = true
		return func(row []string) string { return strings.TrimSpace(row[i]) }
	}
	text := func(get func([]string) string) func([]string) (any, error) {
		return func(row []string) (any, error) {
			if s := get(row); s != "" {
				return s, nil
			}
			return nil, nil
		}
	}
	count := func(name string, get func([]string) string) func([]string) (any, error) {
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
	date := func(name string, get func([]string) string) func([]string) (any, error) {
		return func(row []string) (any, error) {
			s := get(row)
			if s == "" {
				return nil, nil
			}
			d, err := dates.read(s)
			if err != nil {
				return nil, fmt.Errorf("%s: %v", name, err)
			}
			return d, nil
		}
	}
	constant := func(v string) func([]string) (any, error) {
		return func([]string) (any, error) { return v, nil }
	}
	iso3 := func(get func([]string) string) func([]string) (any, error) {
		return func(row []string) (any, error) {
			if c, ok := regionISO3[strings.ToLower(get(row))]; ok {
				return c, nil
			}
			return nil, nil
		}
	}
	precision := func(get func([]string) string, table map[string]string) func([]string) (any, error) {
		return func(row []string) (any, error) {
			if v, ok := table[get(row)]; ok {
				return v, nil
			}
			return nil, nil
		}
	}
	lat, lon := find("latitude"), find("longitude")
	p.lat, p.lon = lat, lon
	used[lat], used[lon] = true, true
	idOf := func(prefix string, get func([]string) string, name string) func([]string) (string, error) {
		return func(row []string) (string, error) {
			id := get(row)
			if id == "" {
				return "", fmt.Errorf("no id: column %s is empty", name)
			}
			return prefix + id, nil
		}
	}
	set := p.setField
	switch profile {
	case "acled":
		location, subType, eventType := col("location"), col("sub_event_type"), col("event_type")
		country := col("country")
		p.id = idOf("acled:", col("event_id_cnty"), "event_id_cnty")
		set("date", date("event_date", col("event_date")))
		set("name", func(row []string) (any, error) {
			kind := firstOf(subType(row), eventType(row), "Event")
			if l := location(row); l != "" {
				return kind + " in " + l, nil
			}
			return kind, nil
		})
		set("city", text(location))
		set("admin1", text(col("admin1")))
		set("country", text(country))
		set("iso3", iso3(country))
		set("precision", precision(col("geo_precision"), map[string]string{"1": "city", "2": "district", "3": "region"}))
		set("killed", count("fatalities", col("fatalities")))
		set("target", text(col("actor2")))
		set("attack_type", func(row []string) (any, error) { return nilIfEmpty(firstOf(subType(row), eventType(row))), nil })
		set("attribution", constant("attributed"))
		set("perpetrator", text(col("actor1")))
		set("source_url", text(col("source")))
		set("notes", text(col("notes")))
	case "gtd":
		year, month, day := col("iyear"), col("imonth"), col("iday")
		city, prov, country := col("city"), col("provstate"), col("country_txt")
		attack := col("attacktype1_txt")
		targType, target := col("targtype1_txt"), col("target1")
		approx := col("approxdate")
		p.id = idOf("gtd:", col("eventid"), "eventid")
		span := func(row []string) (string, string, error) {
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
		set("date", func(row []string) (any, error) {
			d, _, err := span(row)
			return d, err
		})
		set("end_date", func(row []string) (any, error) {
			_, e, err := span(row)
			return nilIfEmpty(e), err
		})
		set("name", func(row []string) (any, error) {
			place := city(row)
			if place == "" || strings.EqualFold(place, "unknown") {
				place = firstOf(prov(row), country(row))
			}
			kind := firstOf(attack(row), "Attack")
			if place == "" {
				return kind, nil
			}
			return kind + " in " + place, nil
		})
		set("city", func(row []string) (any, error) {
			if c := city(row); c != "" && !strings.EqualFold(c, "unknown") {
				return c, nil
			}
			return nil, nil
		})
		set("admin1", text(prov))
		set("country", text(country))
		set("iso3", iso3(country))
		set("precision", precision(col("specificity"), map[string]string{"1": "city", "2": "district", "3": "district", "4": "admin1", "5": "unknown"}))
		set("killed", count("nkill", col("nkill")))
		set("wounded", count("nwound", col("nwound")))
		set("target", func(row []string) (any, error) {
			t, tt := target(row), targType(row)
			switch {
			case t != "" && tt != "" && !strings.EqualFold(t, "unknown"):
				return tt + ": " + t, nil
			case tt != "":
				return tt, nil
			}
			return nilIfEmpty(t), nil
		})
		set("attack_type", text(attack))
		claimed := col("claimed")
		set("attribution", func(row []string) (any, error) {
			if claimed(row) == "1" {
				return "claimed", nil
			}
			return "attributed", nil
		})
		set("perpetrator", text(col("gname")))
		s1, s2, s3 := col("scite1"), col("scite2"), col("scite3")
		set("source_url", func(row []string) (any, error) {
			var parts []string
			for _, s := range []string{s1(row), s2(row), s3(row)} {
				if s != "" {
					parts = append(parts, s)
				}
			}
			return nilIfEmpty(strings.Join(parts, " | ")), nil
		})
		summary := col("summary")
		set("notes", func(row []string) (any, error) {
			n := summary(row)
			if month(row) == "0" || day(row) == "0" {
				note := "date approximate (GTD month or day unknown)"
				if a := approx(row); a != "" {
					note += ": " + a
				}
				n = strings.TrimSpace(n + " " + note)
			}
			return nilIfEmpty(n), nil
		})
	case "ucdp":
		start, end := col("date_start"), col("date_end")
		where, country := col("where_coordinates"), col("country")
		violence := col("type_of_violence")
		kinds := map[string]string{"1": "state-based conflict", "2": "non-state conflict", "3": "one-sided violence"}
		p.id = idOf("ucdp:", col("id"), "id")
		set("date", date("date_start", start))
		set("end_date", func(row []string) (any, error) {
			e, err := date("date_end", end)(row)
			if err != nil || e == nil {
				return e, err
			}
			s, _ := date("date_start", start)(row)
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
		set("city", text(where))
		set("admin1", text(col("adm_1")))
		set("country", text(country))
		set("iso3", iso3(country))
		set("precision", precision(col("where_prec"), map[string]string{"1": "site", "2": "city", "3": "district", "4": "admin1", "5": "region", "6": "country", "7": "unknown"}))
		set("killed", count("best", col("best")))
		set("killed_low", count("low", col("low")))
		set("killed_high", count("high", col("high")))
		set("target", text(col("side_b")))
		set("attack_type", func(row []string) (any, error) { return nilIfEmpty(kinds[violence(row)]), nil })
		set("attribution", constant("attributed"))
		set("perpetrator", text(col("side_a")))
		set("source_url", text(col("source_article")))
		set("notes", text(col("where_description")))
	}
	return nil
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
