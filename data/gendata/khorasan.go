package main

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/planar"
)

// khorasanFacts is what gendata reads from khorasan.md.
type khorasanFacts struct {
	Main, Broad                     orb.Polygon
	MainDefinition, BroadDefinition string
	SourceURLs                      []string // every URL of the definitions table, in order, once
	Anchors                         []anchorCity
}

// anchorCity is one row of the anchor-city table (section 3).
type anchorCity struct {
	Name, Role, Country string
	Point               orb.Point
	InMain, InBroad     bool
}

// mdSection returns the text of the "## <number>." section, up to the next
// "## " heading.
func mdSection(md, number string) (string, error) {
	lines := strings.Split(md, "\n")
	start := -1
	for i, l := range lines {
		if start < 0 && strings.HasPrefix(l, "## "+number+". ") {
			start = i + 1
			continue
		}
		if start >= 0 && strings.HasPrefix(l, "## ") {
			return strings.Join(lines[start:i], "\n"), nil
		}
	}
	if start < 0 {
		return "", fmt.Errorf("khorasan.md: no section \"## %s.\"", number)
	}
	return strings.Join(lines[start:], "\n"), nil
}

// mdTable parses the first pipe table in text: its header cells and its
// rows (the |---| line is skipped). Every row must have as many cells as
// the header.
func mdTable(text string) ([]string, [][]string, error) {
	var header []string
	var rows [][]string
	inTable := false
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		if !strings.HasPrefix(l, "|") {
			if inTable {
				break
			}
			continue
		}
		inTable = true
		cells := strings.Split(strings.Trim(l, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		switch {
		case header == nil:
			header = cells
		case strings.Trim(strings.Join(cells, ""), "-: ") == "":
			// the separator line
		default:
			if len(cells) != len(header) {
				return nil, nil, fmt.Errorf("table row %q has %d cells, want %d", l, len(cells), len(header))
			}
			rows = append(rows, cells)
		}
	}
	if header == nil || len(rows) == 0 {
		return nil, nil, errors.New("no table")
	}
	return header, rows, nil
}

// columnIndex finds the header cell that starts with prefix.
func columnIndex(header []string, prefix string) (int, error) {
	for i, h := range header {
		if strings.HasPrefix(h, prefix) {
			return i, nil
		}
	}
	return 0, fmt.Errorf("table has no column %q (header %q)", prefix, header)
}

// findURLs returns the http(s) URLs in text, in order, each once, without
// trailing sentence punctuation.
func findURLs(text string) []string {
	var out []string
	seen := map[string]bool{}
	for _, u := range regexp.MustCompile(`https?://[^\s;|<>()]+`).FindAllString(text, -1) {
		u = strings.TrimRight(u, ".,:")
		if !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	return out
}

// plainText removes Markdown emphasis markers.
func plainText(s string) string {
	return strings.NewReplacer("**", "", "*", "", "`", "").Replace(strings.TrimSpace(s))
}

func parseKhorasan(md string) (khorasanFacts, error) {
	var f khorasanFacts

	defs, err := mdSection(md, "1")
	if err != nil {
		return f, err
	}
	header, rows, err := mdTable(defs)
	if err != nil {
		return f, fmt.Errorf("khorasan.md section 1: %w", err)
	}
	srcCol, err := columnIndex(header, "Source")
	if err != nil {
		return f, fmt.Errorf("khorasan.md section 1: %w", err)
	}
	var cells []string
	for _, r := range rows {
		cells = append(cells, r[srcCol])
	}
	f.SourceURLs = findURLs(strings.Join(cells, "\n"))
	if len(f.SourceURLs) == 0 {
		return f, errors.New("khorasan.md section 1: no source URLs")
	}

	cities, err := mdSection(md, "3")
	if err != nil {
		return f, err
	}
	if f.Anchors, err = parseAnchors(cities); err != nil {
		return f, fmt.Errorf("khorasan.md section 3: %w", err)
	}

	poly, err := mdSection(md, "4")
	if err != nil {
		return f, err
	}
	if err := parsePolygons(poly, &f); err != nil {
		return f, fmt.Errorf("khorasan.md section 4: %w", err)
	}
	for _, a := range f.Anchors {
		if got := planar.PolygonContains(f.Main, a.Point); got != a.InMain {
			return f, fmt.Errorf("khorasan.md: anchor %s: table says in main polygon %v, the polygon says %v", a.Name, a.InMain, got)
		}
		if got := planar.PolygonContains(f.Broad, a.Point); got != a.InBroad {
			return f, fmt.Errorf("khorasan.md: anchor %s: table says in broad polygon %v, the polygon says %v", a.Name, a.InBroad, got)
		}
	}
	return f, nil
}

func parseAnchors(text string) ([]anchorCity, error) {
	header, rows, err := mdTable(text)
	if err != nil {
		return nil, err
	}
	var idx [7]int
	for i, prefix := range []string{"City", "Historical role", "Lat", "Lon", "Country", "In main", "In broad"} {
		if idx[i], err = columnIndex(header, prefix); err != nil {
			return nil, err
		}
	}
	yesNo := func(s string) (bool, error) {
		switch s {
		case "yes":
			return true, nil
		case "no":
			return false, nil
		}
		return false, fmt.Errorf("%q is neither yes nor no", s)
	}
	out := make([]anchorCity, 0, len(rows))
	for _, r := range rows {
		a := anchorCity{Name: plainText(r[idx[0]]), Role: plainText(r[idx[1]]), Country: plainText(r[idx[4]])}
		lat, err := parseCoord(r[idx[2]], 90)
		if err != nil {
			return nil, fmt.Errorf("%s: lat: %w", a.Name, err)
		}
		lon, err := parseCoord(r[idx[3]], 180)
		if err != nil {
			return nil, fmt.Errorf("%s: lon: %w", a.Name, err)
		}
		a.Point = orb.Point{lon, lat}
		if a.InMain, err = yesNo(r[idx[5]]); err != nil {
			return nil, fmt.Errorf("%s: in main polygon: %w", a.Name, err)
		}
		if a.InBroad, err = yesNo(r[idx[6]]); err != nil {
			return nil, fmt.Errorf("%s: in broadest variant: %w", a.Name, err)
		}
		if a.Name == "" || a.Country == "" || a.Role == "" {
			return nil, fmt.Errorf("row %q has an empty name, role or country", r)
		}
		out = append(out, a)
	}
	return out, nil
}

// parsePolygons reads the two JSON code blocks of section 4 (main, then
// broad) and the prose that describes each.
func parsePolygons(text string, f *khorasanFacts) error {
	const mainLabel = "**Choice (main polygon):**"
	const broadLabel = "**Optional broadest variant (Transoxiana included):**"
	blocks := regexp.MustCompile("(?s)```json\n(.*?)```").FindAllStringSubmatchIndex(text, -1)
	if len(blocks) != 2 {
		return fmt.Errorf("found %d ```json blocks, want 2 (main, broad)", len(blocks))
	}
	mainAt, broadAt := strings.Index(text, mainLabel), strings.Index(text, broadLabel)
	if mainAt < 0 || broadAt < 0 || !(mainAt < blocks[0][0] && blocks[0][1] < broadAt && broadAt < blocks[1][0]) {
		return fmt.Errorf("want %q, its json block, %q, its json block, in that order", mainLabel, broadLabel)
	}
	var err error
	if f.Main, err = parsePolygonBlock(text[blocks[0][2]:blocks[0][3]]); err != nil {
		return fmt.Errorf("main polygon: %w", err)
	}
	if f.Broad, err = parsePolygonBlock(text[blocks[1][2]:blocks[1][3]]); err != nil {
		return fmt.Errorf("broad polygon: %w", err)
	}

	// Main: the lead sentence and its bullet list (up to the first blank
	// line after the list).
	var parts []string
	for _, l := range strings.Split(text[mainAt:blocks[0][0]], "\n") {
		l = strings.TrimSpace(l)
		if l == "" && len(parts) > 1 {
			break
		}
		switch {
		case strings.HasPrefix(l, mainLabel):
			parts = append(parts, plainText(strings.TrimPrefix(l, mainLabel)))
		case strings.HasPrefix(l, "- ") && len(parts) > 0:
			s := plainText(strings.TrimPrefix(l, "- "))
			if !strings.HasSuffix(s, ".") {
				s += "."
			}
			parts = append(parts, s)
		}
	}
	if len(parts) < 2 {
		return errors.New("main polygon: no description bullets")
	}
	f.MainDefinition = strings.Join(parts, " ")

	// Broad: the paragraph after its label, less the sentence on how the
	// ring was checked.
	para, _, _ := strings.Cut(strings.TrimSpace(text[broadAt+len(broadLabel):blocks[1][0]]), "\n\n")
	var keep []string
	for _, s := range strings.SplitAfter(plainText(para), ". ") {
		if !strings.Contains(s, "counter-clockwise") {
			keep = append(keep, strings.TrimSpace(s))
		}
	}
	f.BroadDefinition = strings.Join(keep, " ")
	if f.BroadDefinition == "" {
		return errors.New("broad polygon: no description")
	}
	return nil
}

// parsePolygonBlock decodes a GeoJSON Polygon and checks it is a closed,
// counter-clockwise ring in lon/lat range.
func parsePolygonBlock(block string) (orb.Polygon, error) {
	g, err := geojson.UnmarshalGeometry([]byte(block))
	if err != nil {
		return nil, err
	}
	p, ok := g.Geometry().(orb.Polygon)
	if !ok {
		return nil, fmt.Errorf("is a %s, want Polygon", g.Geometry().GeoJSONType())
	}
	if len(p) != 1 {
		return nil, fmt.Errorf("has %d rings, want 1", len(p))
	}
	r := p[0]
	if len(r) < 4 || !r.Closed() {
		return nil, errors.New("ring is not closed")
	}
	for _, pt := range r {
		if err := checkPoint(pt); err != nil {
			return nil, err
		}
	}
	if r.Orientation() != orb.CCW {
		return nil, errors.New("ring is not counter-clockwise (RFC 7946)")
	}
	return p, nil
}

// slug makes an id from a name: lower-case ASCII letters and digits,
// words joined by "-".
func slug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
			continue
		}
		dash = true
	}
	return b.String()
}

func khorasanFeatures(f khorasanFacts) []feature {
	sources := strings.Join(f.SourceURLs, " | ")
	note := "Hand-drawn approximation for small-scale maps: straight edges follow deserts, mountain lines and " +
		"the Amu Darya/Panj only roughly, so errors of tens of kilometres are expected; historical Khorasan never " +
		"had one fixed border. This is NOT the territory claimed by ISIS-K (Islamic State Khorasan Province): " +
		"ISIS-K has never published boundaries for its \"Wilayat Khorasan\"."
	mk := func(id, name, def string, p orb.Polygon) feature {
		return newFeature(id, p, props{
			{"name", name},
			{"definition", def},
			{"sources", sources},
			{"approximation", true},
			{"note", note},
		})
	}
	return []feature{
		mk("main", "Greater Khorasan (main outline, Amu Darya limit)", f.MainDefinition, f.Main),
		mk("broad", "Greater Khorasan (broad variant, with Transoxiana)", f.BroadDefinition, f.Broad),
	}
}
