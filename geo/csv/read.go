// Package csv reads CSV files as features (the ACLED, GTD and UCDP GED exports in
// their own vocabulary, --columns mappings) and writes features as CSV; it imports geo.
package csv

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/khorasan/khorasan/geo"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkt"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// CSV import: a table with a header row and a point per row (latitude
// and longitude columns) or a WKT geometry column. The exports of ACLED,
// the Global Terrorism Database and UCDP GED are recognised by their
// headers and keep their own columns (profiles.go); any other file keeps
// its columns, or maps them through a ColumnMap.

// Options says how to read a CSV file.
type Options struct {
	// Profile is "" (or "auto") to recognise ACLED, GTD and UCDP GED
	// exports by their header, one of "acled", "gtd", "ucdp" to insist on
	// one, or "generic" for none.
	Profile string
	// Columns maps columns onto properties; see ParseColumnMap.
	Columns *ColumnMap
	// Encoding is "" (or "auto": UTF-8, or else Windows-1252, which reads
	// ISO-8859-1 too), "utf-8", "latin1" (= "iso-8859-1",
	// "windows-1252") or "utf-16" (with a byte order mark).
	Encoding string
	// Delimiter is 0 to guess among , ; tab and |.
	Delimiter rune
	// DateOrder reads dates such as 02/01/2006: "dmy" or "mdy". Without
	// it such dates are refused as ambiguous; ISO dates (2006-01-02) and
	// dates with month names (2 January 2006) always read.
	DateOrder string
}

// ColumnMap is a mapping of CSV columns onto properties, written as
// entries separated by commas or new lines (a file of them can have
// # comments):
//
//	property=Column Name     the column's text becomes the property
//	property:type=Column     ... converted to a type: integer, real,
//	                         text, boolean, date or datetime
//	property=#3              the third column (counting from 1)
//	property='a constant'    the same text on every row
//	lat=Y, lon=X             the coordinates (WGS 84 degrees)
//	wkt=Shape                a WKT geometry column instead
//	id=Event ID              the stable id (for upsert)
//	*                        keep every other column under its own name
//	-Column                  drop a column that * would keep
//
// Names match the header without regard to case or surrounding spaces;
// quote a name holding a comma or = with double quotes. The targets date
// and end_date are dates unless a type says otherwise. A mapping refines
// a recognised export's, which keeps its other columns as if * were given
// (give profile generic to start from nothing).
type ColumnMap struct {
	entries []mapEntry
	keepAll bool
	drop    []string
}

type mapEntry struct {
	target   string
	typ      geo.ColumnType // "" infers
	source   string         // a column name
	index    int            // 1-based column number, 0 when by name
	constant *string
}

var mapTypes = map[string]geo.ColumnType{
	"integer": geo.Integer, "int": geo.Integer, "real": geo.Real, "number": geo.Real, "float": geo.Real, "double": geo.Real,
	"text": geo.Text, "string": geo.Text, "boolean": geo.Boolean, "bool": geo.Boolean, "date": geo.Date, "datetime": geo.DateTime,
}

// ParseColumnMap reads a mapping (see ColumnMap).
func ParseColumnMap(spec string) (*ColumnMap, error) {
	m := &ColumnMap{}
	for _, raw := range splitMapEntries(spec) {
		e := strings.TrimSpace(raw)
		if e == "" || strings.HasPrefix(e, "#") {
			continue
		}
		if e == "*" {
			m.keepAll = true
			continue
		}
		if strings.HasPrefix(e, "-") {
			m.drop = append(m.drop, unquoteName(strings.TrimSpace(e[1:])))
			continue
		}
		target, source, ok := cutUnquoted(e, '=')
		if !ok {
			return nil, geo.Invalidf("columns", "%q: want property=column", e)
		}
		target, source = strings.TrimSpace(target), strings.TrimSpace(source)
		me := mapEntry{}
		if name, typ, ok := strings.Cut(target, ":"); ok {
			t, known := mapTypes[strings.ToLower(strings.TrimSpace(typ))]
			if !known {
				return nil, geo.Invalidf("columns", "%q: type %q is not one of integer, real, text, boolean, date, datetime", e, typ)
			}
			target, me.typ = strings.TrimSpace(name), t
		}
		target = unquoteName(target)
		if target == "" {
			return nil, geo.Invalidf("columns", "%q: no property name before =", e)
		}
		switch {
		case len(source) >= 2 && source[0] == '\'' && source[len(source)-1] == '\'':
			c := source[1 : len(source)-1]
			me.constant = &c
		case strings.HasPrefix(source, "#"):
			n, err := strconv.Atoi(source[1:])
			if err != nil || n < 1 {
				return nil, geo.Invalidf("columns", "%q: %q is not a column number (#1, #2, ...)", e, source)
			}
			me.index = n
		case source == "":
			return nil, geo.Invalidf("columns", "%q: no column after =", e)
		default:
			me.source = unquoteName(source)
		}
		me.target = target
		m.entries = append(m.entries, me)
	}
	return m, nil
}

// splitMapEntries splits at commas and new lines outside double quotes.
func splitMapEntries(spec string) []string {
	var out []string
	var cur strings.Builder
	quoted := false
	for _, r := range spec {
		switch {
		case r == '"':
			quoted = !quoted
			cur.WriteRune(r)
		case !quoted && (r == ',' || r == '\n'):
			out = append(out, cur.String())
			cur.Reset()
		default:
			cur.WriteRune(r)
		}
	}
	return append(out, cur.String())
}

func cutUnquoted(s string, sep rune) (string, string, bool) {
	quoted := false
	for i, r := range s {
		if r == '"' {
			quoted = !quoted
		}
		if r == sep && !quoted {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

func unquoteName(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}

// csvField makes one property of a row.
type csvField struct {
	target string
	get    func(row []string) (any, error)
}

// csvPlan is how a header's rows become features.
type csvPlan struct {
	lat, lon, wkt int // column indexes, -1 when absent
	id            func(row []string) (string, error)
	fields        []csvField
}

type Reader struct {
	r       *csv.Reader
	budget  *geo.BudgetReader
	header  []string
	plan    *csvPlan
	order   []string
	utf8    bool // the text was read as UTF-8 (so check it)
	done    bool
	records int64
}

// NewReader reads the header and decides how rows become features.
// The profile it recognised is returned.
func NewReader(src io.Reader, opt Options) (*Reader, string, error) {
	switch strings.ToLower(opt.DateOrder) {
	case "", "dmy", "mdy":
	default:
		// Any other word read as none: 02/01/2006 was refused as
		// ambiguous, row by row, as if no order had been given.
		return nil, "", geo.Invalidf("date-order", "%q is not a date order; use dmy or mdy", opt.DateOrder)
	}
	text, isUTF8, err := decodeText(src, opt.Encoding)
	if err != nil {
		return nil, "", err
	}
	br := bufio.NewReaderSize(text, 64<<10)
	head, _ := br.Peek(64 << 10)
	delim := opt.Delimiter
	if delim == 0 {
		delim = guessDelimiter(head)
	}
	budget := &geo.BudgetReader{Src: br, Limit: geo.MaxRecordBytes}
	cr := csv.NewReader(budget)
	cr.Comma = delim
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err == io.EOF {
		return nil, "", &geo.InvalidError{Msg: "the CSV file is empty: it needs a header row"}
	}
	if err != nil {
		return nil, "", csvError(err)
	}
	for i, h := range header {
		if isUTF8 && !utf8.ValidString(h) {
			return nil, "", geo.Invalidf("line 1", "the header is not UTF-8 text; give the file's encoding (for example latin1)")
		}
		header[i] = strings.TrimSpace(strings.TrimPrefix(h, "\uFEFF"))
	}
	if err := checkHeader(header); err != nil {
		return nil, "", err
	}
	plan, profile, err := planCSV(header, opt)
	if err != nil {
		return nil, "", err
	}
	r := &Reader{r: cr, budget: budget, header: header, plan: plan, utf8: isUTF8}
	for _, f := range plan.fields {
		r.order = append(r.order, f.target)
	}
	return r, profile, nil
}

func checkHeader(header []string) error {
	if len(header) == 1 && len(header[0]) > 200 {
		return geo.Invalidf("line 1", "the first line is not a CSV header (one column of %d bytes); is the file CSV?", len(header[0]))
	}
	seen := map[string]int{}
	for i, h := range header {
		if strings.ContainsRune(h, 0) {
			return geo.Invalidf("line 1", "the header holds NUL bytes: this is binary data, not CSV text")
		}
		k := strings.ToLower(h)
		if h == "" {
			continue
		}
		if j, dup := seen[k]; dup {
			return geo.Invalidf("line 1", "columns %d and %d are both named %q", j+1, i+1, h)
		}
		seen[k] = i
	}
	return nil
}

// decodeText turns the input into UTF-8.
func decodeText(src io.Reader, encoding string) (io.Reader, bool, error) {
	br := bufio.NewReaderSize(src, 1<<20)
	head, err := br.Peek(1 << 20)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, false, err
	}
	enc := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(encoding), "_", "-"))
	switch {
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}), bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		if enc == "" || enc == "auto" || strings.HasPrefix(enc, "utf-16") || strings.HasPrefix(enc, "utf16") {
			return transform.NewReader(br, unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder()), false, nil
		}
	}
	switch enc {
	case "", "auto":
		if bytes.IndexByte(head, 0) >= 0 {
			return nil, false, &geo.InvalidError{Msg: "the file holds NUL bytes: it is binary data, or UTF-16 without a byte order mark, not CSV text"}
		}
		if !validUTF8Prefix(head) {
			return transform.NewReader(br, charmap.Windows1252.NewDecoder()), false, nil
		}
		return br, true, nil
	case "utf-8", "utf8":
		return br, true, nil
	case "latin1", "latin-1", "iso-8859-1", "iso8859-1", "windows-1252", "cp1252":
		return transform.NewReader(br, charmap.Windows1252.NewDecoder()), false, nil
	case "utf-16", "utf16", "utf-16le", "utf-16be":
		return nil, false, &geo.InvalidError{Msg: "a UTF-16 file needs its byte order mark"}
	}
	return nil, false, geo.Invalidf("encoding", "%q is not an encoding this reads; use utf-8, latin1 or utf-16", encoding)
}

// validUTF8Prefix is utf8.Valid, allowing a rune cut at the end.
func validUTF8Prefix(b []byte) bool {
	for i := 0; i < 3 && len(b) > 0 && !utf8.Valid(b); i++ {
		b = b[:len(b)-1]
	}
	return utf8.Valid(b)
}

func guessDelimiter(head []byte) rune {
	line := head
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	best, bestN := ',', 0
	for _, d := range []rune{',', ';', '\t', '|'} {
		n := 0
		quoted := false
		for _, r := range string(line) {
			if r == '"' {
				quoted = !quoted
			}
			if r == d && !quoted {
				n++
			}
		}
		if n > bestN {
			best, bestN = d, n
		}
	}
	return best
}

func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return geo.Invalidf(fmt.Sprintf("line %d, column %d", pe.Line, pe.Column), "not valid CSV: %v", pe.Err)
	}
	return err
}

func (r *Reader) Properties() []string { return r.order }

// Read returns the next row as a feature.
func (r *Reader) Read() (geo.Record, error) {
	if r.done {
		return geo.Record{}, io.EOF
	}
	r.budget.Limit = r.budget.Used + geo.MaxRecordBytes + 128<<10
	row, err := r.r.Read()
	line, _ := r.r.FieldPos(0)
	if err == io.EOF {
		r.done = true
		return geo.Record{}, io.EOF
	}
	if errors.Is(err, geo.ErrRecordTooLong) {
		return geo.Record{}, geo.Invalidf(fmt.Sprintf("line %d", line), "a row longer than %d MiB: is a quote left open?", geo.MaxRecordBytes>>20)
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		if pe.Err == csv.ErrFieldCount {
			return geo.Record{Line: pe.StartLine, Err: &geo.InvalidError{Msg: fmt.Sprintf("row has %d fields; the header has %d", len(row), len(r.header))}}, nil
		}
		// The reader goes on at the next line.
		return geo.Record{Line: pe.StartLine, Err: &geo.InvalidError{Msg: fmt.Sprintf("not valid CSV (column %d): %v", pe.Column, pe.Err)}}, nil
	}
	if err != nil {
		return geo.Record{}, err
	}
	r.records++
	rec := geo.Record{Line: line}
	if len(row) != len(r.header) {
		if !(len(row) == 1 && strings.TrimSpace(row[0]) == "") {
			rec.Err = &geo.InvalidError{Msg: fmt.Sprintf("row has %d fields; the header has %d", len(row), len(r.header))}
			return rec, nil
		}
		return r.Read() // a blank line
	}
	if r.utf8 {
		for i, v := range row {
			if !utf8.ValidString(v) {
				rec.Err = &geo.InvalidError{Msg: fmt.Sprintf("column %q is not UTF-8 text; give the file's encoding (for example latin1)", r.header[i])}
				return rec, nil
			}
		}
	}
	f, err := r.plan.feature(row, r.header)
	if err != nil {
		rec.Err = &geo.InvalidError{Msg: err.Error()}
		rec.Feature = f
		return rec, nil
	}
	rec.Feature = f
	return rec, nil
}

func (p *csvPlan) feature(row, header []string) (geo.Feature, error) {
	f := geo.Feature{Properties: make(map[string]any, len(p.fields))}
	if p.id != nil {
		id, err := p.id(row)
		if err != nil {
			return f, err
		}
		f.ID = id
	}
	switch {
	case p.wkt >= 0:
		s := strings.TrimSpace(row[p.wkt])
		if s != "" {
			g, err := wkt.Unmarshal(s)
			if err != nil {
				return f, fmt.Errorf("column %q: not WKT: %v", header[p.wkt], err)
			}
			if n := geo.CountPositions(g); n > geo.MaxGeometryPositions {
				return f, fmt.Errorf("column %q: a geometry of %d positions, more than the %d one feature may have", header[p.wkt], n, geo.MaxGeometryPositions)
			}
			f.Geometry = g
		} else {
			return f, fmt.Errorf("no geometry: column %q is empty", header[p.wkt])
		}
	default:
		ys, xs := strings.TrimSpace(row[p.lat]), strings.TrimSpace(row[p.lon])
		if ys == "" && xs == "" {
			return f, fmt.Errorf("no coordinates: %q and %q are empty", header[p.lat], header[p.lon])
		}
		y, err := parseCoordinate(ys)
		if err != nil {
			return f, fmt.Errorf("latitude (%s) %q is not a number", header[p.lat], ys)
		}
		x, err := parseCoordinate(xs)
		if err != nil {
			return f, fmt.Errorf("longitude (%s) %q is not a number", header[p.lon], xs)
		}
		f.Geometry = orb.Point{x, y}
	}
	for _, fd := range p.fields {
		v, err := fd.get(row)
		if err != nil {
			return f, err
		}
		f.Properties[fd.target] = v
	}
	return f, nil
}

// parseCoordinate reads a decimal number, with a decimal comma too.
func parseCoordinate(s string) (float64, error) {
	if strings.Count(s, ",") == 1 && !strings.Contains(s, ".") {
		s = strings.Replace(s, ",", ".", 1)
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, errors.New("not a number")
	}
	return v, nil
}

var (
	latNames = []string{"latitude", "lat", "y", "point_y", "decimallatitude", "lat_dd"}
	lonNames = []string{"longitude", "lon", "lng", "long", "x", "point_x", "decimallongitude", "lon_dd"}
	wktNames = []string{"wkt", "wkt_geom", "geometry", "geom", "the_geom"}
)

// planCSV decides how the header's rows become features.
func planCSV(header []string, opt Options) (*csvPlan, string, error) {
	find := headerFinder(header)
	profile := strings.ToLower(strings.TrimSpace(opt.Profile))
	if profile == "" || profile == "auto" {
		profile = detectProfile(find)
	}
	p := &csvPlan{lat: -1, lon: -1, wkt: -1}
	used := map[int]bool{}
	dates := dateReader{order: strings.ToLower(opt.DateOrder)}
	switch profile {
	case "acled", "gtd", "ucdp":
		if err := profilePlan(p, profile, header, find, used, dates); err != nil {
			return nil, "", err
		}
	case "generic":
	default:
		return nil, "", geo.Invalidf("profile", "%q is not a profile; use auto, acled, gtd, ucdp or generic", opt.Profile)
	}
	m := opt.Columns
	if m == nil {
		m = &ColumnMap{}
	}
	// An export keeps its own columns; a plain file without a mapping too.
	keepAll := m.keepAll || profile != "generic" || opt.Columns == nil
	for _, e := range m.entries {
		if err := p.mapEntry(e, header, find, used, dates); err != nil {
			return nil, "", err
		}
	}
	if err := p.findGeometry(header, find); err != nil {
		return nil, "", err
	}
	for _, i := range []int{p.lat, p.lon, p.wkt} {
		if i >= 0 {
			used[i] = true
		}
	}
	if p.id == nil && profile == "generic" {
		if i := find("id"); i >= 0 {
			used[i] = true
			p.id = columnID(header, i)
		}
	}
	if keepAll {
		if err := p.keepOthers(m.drop, header, find, used); err != nil {
			return nil, "", err
		}
	}
	return p, profile, nil
}

// headerFinder finds a column by name, without regard to case; -1 when
// the header has no such column.
func headerFinder(header []string) func(string) int {
	return func(name string) int {
		for i, h := range header {
			if strings.EqualFold(h, strings.TrimSpace(name)) {
				return i
			}
		}
		return -1
	}
}

// findAny is the first of the names the header has, or -1.
func findAny(find func(string) int, names []string) int {
	for _, n := range names {
		if i := find(n); i >= 0 {
			return i
		}
	}
	return -1
}

// mapEntry applies one entry of a ColumnMap: the coordinates, the
// geometry, the id or a property.
func (p *csvPlan) mapEntry(e mapEntry, header []string, find func(string) int, used map[int]bool, dates dateReader) error {
	idx := -1
	switch {
	case e.constant != nil:
	case e.index > 0:
		if e.index > len(header) {
			return geo.Invalidf("columns", "%s=#%d: the file has %d columns", e.target, e.index, len(header))
		}
		idx = e.index - 1
	default:
		if idx = find(e.source); idx < 0 {
			return geo.Invalidf("columns", "%s=%s: the file has no column %q; its columns are %s", e.target, e.source, e.source, listColumns(header))
		}
	}
	if idx >= 0 {
		used[idx] = true
	}
	switch strings.ToLower(e.target) {
	case "lat", "latitude":
		if idx < 0 {
			return geo.Invalidf("columns", "lat must name a column")
		}
		p.lat = idx
		return nil
	case "lon", "lng", "longitude":
		if idx < 0 {
			return geo.Invalidf("columns", "lon must name a column")
		}
		p.lon = idx
		return nil
	case "wkt":
		if idx < 0 {
			return geo.Invalidf("columns", "wkt must name a column")
		}
		p.wkt = idx
		return nil
	case "id":
		if idx < 0 {
			return geo.Invalidf("columns", "id must name a column")
		}
		p.id = columnID(header, idx)
		return nil
	}
	typ := e.typ
	if typ == "" && (e.target == "date" || e.target == "end_date") {
		typ = geo.Date
	}
	p.setField(e.target, typedGetter(idx, e.constant, typ, header, dates))
	return nil
}

// columnID reads the id from a column; an empty one is an error.
func columnID(header []string, col int) func([]string) (string, error) {
	return func(row []string) (string, error) {
		id := strings.TrimSpace(row[col])
		if id == "" {
			return "", fmt.Errorf("no id: column %q is empty", header[col])
		}
		return id, nil
	}
}

// findGeometry finds the coordinates by their usual names, or else a WKT
// column, when neither the profile nor the mapping gave them.
func (p *csvPlan) findGeometry(header []string, find func(string) int) error {
	if p.wkt >= 0 || (p.lat >= 0 && p.lon >= 0) {
		return nil
	}
	lat, lon := p.lat, p.lon
	if lat < 0 {
		lat = findAny(find, latNames)
	}
	if lon < 0 {
		lon = findAny(find, lonNames)
	}
	if lat >= 0 && lon >= 0 {
		p.lat, p.lon = lat, lon
	} else if w := findAny(find, wktNames); w >= 0 {
		p.wkt = w
	} else {
		return &geo.InvalidError{Msg: "no coordinate columns: name them latitude and longitude (or lat/lon, y/x), give a WKT column, or map them, as in lat=COLUMN,lon=COLUMN; the columns are " + listColumns(header)}
	}
	return nil
}

// keepOthers keeps, for *, every column not used nor dropped under its
// own name (column_N when it has none), as text.
func (p *csvPlan) keepOthers(drop []string, header []string, find func(string) int, used map[int]bool) error {
	dropped := map[int]bool{}
	for _, d := range drop {
		i := find(d)
		if i < 0 {
			return geo.Invalidf("columns", "-%s: the file has no column %q", d, d)
		}
		dropped[i] = true
	}
	for i, h := range header {
		if used[i] || dropped[i] || p.has(h) {
			continue
		}
		if h == "" {
			h = fmt.Sprintf("column_%d", i+1)
		}
		col := i
		p.fields = append(p.fields, csvField{target: h, get: func(row []string) (any, error) {
			if row[col] == "" {
				return nil, nil
			}
			return geo.Cell(row[col]), nil
		}})
	}
	return nil
}

func (p *csvPlan) has(target string) bool {
	for _, f := range p.fields {
		if strings.EqualFold(f.target, target) {
			return true
		}
	}
	return false
}

// setField adds a property, or replaces the profile's.
func (p *csvPlan) setField(target string, get func([]string) (any, error)) {
	for i := range p.fields {
		if p.fields[i].target == target {
			p.fields[i].get = get
			return
		}
	}
	p.fields = append(p.fields, csvField{target: target, get: get})
}

func listColumns(header []string) string {
	if len(header) > 40 {
		return strings.Join(header[:40], ", ") + fmt.Sprintf(" (and %d more)", len(header)-40)
	}
	return strings.Join(header, ", ")
}

func typedGetter(idx int, constant *string, typ geo.ColumnType, header []string, dates dateReader) func([]string) (any, error) {
	return func(row []string) (any, error) {
		var s string
		name := "constant"
		if constant != nil {
			s = *constant
		} else {
			s = row[idx]
			name = fmt.Sprintf("column %q", header[idx])
		}
		if typ == "" {
			if s == "" {
				return nil, nil
			}
			return geo.Cell(s), nil
		}
		v, err := convertText(s, typ, dates)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		return v, nil
	}
}

// convertText reads text as a type; "" is null.
func convertText(s string, typ geo.ColumnType, dates dateReader) (any, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return nil, nil
	}
	switch typ {
	case geo.Integer:
		if n, ok := geo.WholeNumber(geo.Cell(t)); ok {
			return n, nil
		}
		return nil, fmt.Errorf("%.40q is not a whole number", s)
	case geo.Real:
		v, err := parseCoordinate(t)
		if err != nil {
			return nil, fmt.Errorf("%.40q is not a number", s)
		}
		return v, nil
	case geo.Boolean:
		switch strings.ToLower(t) {
		case "true", "yes", "y", "1":
			return true, nil
		case "false", "no", "n", "0":
			return false, nil
		}
		return nil, fmt.Errorf("%.40q is not true or false", s)
	case geo.Date:
		return dates.read(t)
	case geo.DateTime:
		if geo.IsDateTime(t) || geo.IsDate(t) {
			return t, nil
		}
		if d, err := dates.read(t); err == nil {
			return d, nil
		}
		return nil, fmt.Errorf("%.40q is not a date-time (RFC 3339)", s)
	}
	return s, nil
}

// dateReader reads the dates found in exports and spreadsheets as
// YYYY-MM-DD.
type dateReader struct{ order string }

var (
	isoDateTimeRE = regexp.MustCompile(`^(\d{4}-\d{2}-\d{2})[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$`)
	numericDateRE = regexp.MustCompile(`^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$`)
	dateLayouts   = []string{"2006-01-02", "2006/01/02", "2006-1-2", "2006/1/2", "2 January 2006", "2 Jan 2006", "January 2, 2006", "Jan 2, 2006", "2-January-2006", "2-Jan-2006", "02-Jan-06", "2 January, 2006", "20060102"}
)

func (d dateReader) read(s string) (string, error) {
	if geo.IsDate(s) {
		return s, nil
	}
	if m := isoDateTimeRE.FindStringSubmatch(s); m != nil && geo.IsDate(m[1]) {
		return m[1], nil
	}
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Format(time.DateOnly), nil
		}
	}
	if m := numericDateRE.FindStringSubmatch(s); m != nil {
		a, _ := strconv.Atoi(m[1])
		b, _ := strconv.Atoi(m[2])
		y, _ := strconv.Atoi(m[3])
		var day, month int
		switch d.order {
		case "dmy":
			day, month = a, b
		case "mdy":
			month, day = a, b
		default:
			return "", fmt.Errorf("%q is ambiguous (day/month or month/day?); give the date order (dmy or mdy)", s)
		}
		t := time.Date(y, time.Month(month), day, 0, 0, 0, 0, time.UTC)
		if month < 1 || month > 12 || t.Day() != day {
			return "", fmt.Errorf("%q is not a date", s)
		}
		return t.Format(time.DateOnly), nil
	}
	return "", fmt.Errorf("%.40q is not a date (want YYYY-MM-DD)", s)
}

// numberKind reads s as [+-](0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?:
// Integer without a fraction or exponent, Real with one, "" when it is
// not such a number.
func numberKind(s string) geo.ColumnType {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	start := i
	n := digits()
	if n == 0 || (n > 1 && s[start] == '0') {
		return ""
	}
	kind := geo.Integer
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return ""
		}
		kind = geo.Real
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return ""
		}
		kind = geo.Real
	}
	if i != len(s) {
		return ""
	}
	return kind
}

// CellKind is the column type text suggests. Text that would not come
// back the same ("007", " 12") stays text.
func CellKind(s string) geo.ColumnType {
	switch numberKind(s) {
	case geo.Integer:
		if _, err := strconv.ParseInt(s, 10, 64); err == nil {
			return geo.Integer
		}
		return geo.Real
	case geo.Real:
		return geo.Real
	}
	switch {
	case strings.EqualFold(s, "true") || strings.EqualFold(s, "false"):
		return geo.Boolean
	case geo.IsDate(s):
		return geo.Date
	case geo.IsDateTime(s):
		return geo.DateTime
	}
	return geo.Text
}

// CellValue converts text to what a column keeps.
func CellValue(c geo.Column, s string) (any, error) {
	if c.Type == geo.Text {
		if s == "" {
			return nil, nil
		}
		return s, nil
	}
	v, err := convertText(s, c.Type, dateReader{})
	if err != nil {
		return nil, fmt.Errorf("property %q: %v", c.Name, err)
	}
	if c.Type == geo.DateTime {
		if d, ok := v.(string); ok && !geo.IsDateTime(d) && !geo.IsDate(d) {
			return nil, fmt.Errorf("property %q: %q is not a date-time", c.Name, s)
		}
	}
	return v, nil
}
