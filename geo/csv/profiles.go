package csv

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/khorasan/khorasan/geo"
)

// The exports analysts bring keep their own columns, under their own
// names, and come with a profile in their own vocabulary (ExportProfile):
// the import fills its categories with the values it finds. The reader
// only turns what must be typed into its type, and makes a date where the
// export has none:
//
//	ACLED   event_id_cnty is the id; event_date a date; fatalities a
//	        count (empty or negative is null)
//	GTD     eventid is the id; iyear, imonth, iday make date (a 0 month
//	        or day is unknown: date is the first day of the year or month
//	        and end_date its last); nkill and nwound are counts (GTD's
//	        -9 and -99 are null). GTD files are ISO-8859-1: the encoding
//	        is detected.
//	UCDP    id is the id; date_start and date_end dates; best, low and
//	        high counts
//
// Every other column is kept as it is, typed by its values. The id may be
// a column named id instead (a layer's own CSV export reads back in).

// profileColumns are the columns each export must have; its id column
// (idColumns) may be "id" instead, as in the layer's own CSV export.
var profileColumns = map[string][]string{
	"acled": {"event_date", "latitude", "longitude", "fatalities"},
	"gtd":   {"iyear", "imonth", "iday", "latitude", "longitude"},
	"ucdp":  {"date_start", "latitude", "longitude", "best"},
}

var idColumns = map[string]string{"acled": "event_id_cnty", "gtd": "eventid", "ucdp": "id"}

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

// exportProfiles are the profiles of the exports, before the import
// fills their categories' values: the names are the exports' own columns
// (ACLED's codebook, the GTD codebook, UCDP GED's codebook), and the
// labels of coded values are the codebooks' words for them.
var exportProfiles = map[string]geo.Profile{
	"acled": {
		Kind: geo.KindEvents, Noun: "an ACLED event", Time: "event_date",
		Magnitude: "fatalities", Counts: []string{"fatalities"},
		Categories: []geo.Category{
			{Property: "event_type", Title: "Event type", Open: true},
			{Property: "sub_event_type", Title: "Sub-event type", Open: true},
			{Property: "disorder_type", Title: "Disorder type", Open: true},
			{Property: "actor1", Title: "Actor 1", Open: true},
		},
		Label: "location", Source: "source",
		Popup: []string{"event_date", "event_type", "sub_event_type", "actor1", "actor2", "fatalities", "location", "admin1", "country", "notes", "source"},
	},
	"gtd": {
		Kind: geo.KindEvents, Noun: "a GTD incident", Time: "date", EndTime: "end_date",
		Magnitude: "nkill", Counts: []string{"nkill", "nwound"},
		Categories: []geo.Category{
			{Property: "attacktype1_txt", Title: "Attack type", Open: true},
			{Property: "gname", Title: "Perpetrator group", Open: true},
			{Property: "claimed", Title: "Claimed", Open: true, Labels: map[string]string{"1": "Claimed", "0": "Not claimed", "-9": "Unknown"}},
			{Property: "targtype1_txt", Title: "Target type", Open: true},
		},
		Label: "city", Source: "scite1",
		Popup: []string{"date", "end_date", "attacktype1_txt", "targtype1_txt", "target1", "gname", "claimed", "nkill", "nwound", "city", "provstate", "country_txt", "summary", "scite1"},
	},
	"ucdp": {
		Kind: geo.KindEvents, Noun: "a UCDP event", Time: "date_start", EndTime: "date_end",
		Magnitude: "best", MagnitudeLow: "low", MagnitudeHigh: "high", Counts: []string{"best", "low", "high"},
		Categories: []geo.Category{
			{Property: "type_of_violence", Title: "Type of violence", Open: true, Labels: map[string]string{"1": "State-based conflict", "2": "Non-state conflict", "3": "One-sided violence"}},
			{Property: "side_a", Title: "Side A", Open: true},
		},
		Label: "where_coordinates", Source: "source_article",
		Popup: []string{"date_start", "date_end", "type_of_violence", "side_a", "side_b", "best", "low", "high", "where_coordinates", "adm_1", "country", "source_article"},
	},
}

// ExportProfile is the profile of a recognised export ("acled", "gtd",
// "ucdp"), its categories without values; false for any other.
func ExportProfile(export string) (geo.Profile, bool) {
	p, ok := exportProfiles[export]
	return p.Clone(), ok
}

func profilePlan(p *csvPlan, profile string, header []string, find func(string) int, used map[int]bool, dates dateReader) error {
	var missing []string
	idCol := idColumns[profile]
	if find(idCol) < 0 && find("id") >= 0 {
		idCol = "id"
	}
	for _, c := range append([]string{idCol}, profileColumns[profile]...) {
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
	c := exportColumns{find: find, header: header, used: used, dates: dates}
	p.id = columnID(header, c.use(idCol))
	switch profile {
	case "acled":
		c.setDate(p, "event_date")
		c.setCount(p, "fatalities")
	case "gtd":
		gtdPlan(p, c)
		c.setCount(p, "nkill")
		c.setCount(p, "nwound")
	case "ucdp":
		c.setDate(p, "date_start")
		c.setDate(p, "date_end")
		for _, n := range []string{"best", "low", "high"} {
			c.setCount(p, n)
		}
	}
	return nil
}

// exportColumns reads an export's columns. The columns it reads are
// marked used, so that the rest are kept as they are after them.
type exportColumns struct {
	find   func(string) int
	header []string
	used   map[int]bool
	dates  dateReader
}

// use marks a column used and returns its index (the caller knows it is
// there).
func (c exportColumns) use(name string) int {
	i := c.find(name)
	c.used[i] = true
	return i
}

// col reads a column's trimmed text; a column the file lacks reads "".
func (c exportColumns) col(name string) func([]string) string {
	i := c.find(name)
	if i < 0 {
		return func([]string) string { return "" }
	}
	return func(row []string) string { return strings.TrimSpace(row[i]) }
}

// setDate keeps a column, under its own name, as a date in any of the
// forms dateReader knows; "" is null. A column the file lacks is left out.
func (c exportColumns) setDate(p *csvPlan, name string) {
	i := c.find(name)
	if i < 0 {
		return
	}
	c.used[i] = true
	get := c.col(name)
	p.setField(c.header[i], func(row []string) (any, error) {
		s := get(row)
		if s == "" {
			return nil, nil
		}
		d, err := c.dates.read(s)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		return d, nil
	})
}

// setCount keeps a column, under its own name, as a whole number; empty
// or negative (-9, -99: unknown in GTD) is null.
func (c exportColumns) setCount(p *csvPlan, name string) {
	i := c.find(name)
	if i < 0 {
		return
	}
	c.used[i] = true
	get := c.col(name)
	p.setField(c.header[i], func(row []string) (any, error) {
		s := get(row)
		if s == "" {
			return nil, nil
		}
		n, ok := geo.WholeNumber(geo.Cell(s))
		if !ok {
			return nil, fmt.Errorf("%s %q is not a whole number", name, s)
		}
		if n < 0 {
			return nil, nil
		}
		return n, nil
	})
}

// gtdPlan adds date and end_date, which GTD gives as iyear, imonth and
// iday; those stay as they are too.
func gtdPlan(p *csvPlan, c exportColumns) {
	span := gtdSpan(c.col("iyear"), c.col("imonth"), c.col("iday"))
	p.setField("date", func(row []string) (any, error) {
		d, _, err := span(row)
		return d, err
	})
	p.setField("end_date", func(row []string) (any, error) {
		_, e, err := span(row)
		if e == "" {
			return nil, err
		}
		return e, err
	})
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

func firstOf(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
