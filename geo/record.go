package geo

// Limits on outside input, so that a hostile or broken file costs bounded
// memory: the reader refuses at the first element past a limit, before
// holding it.
const (
	// MaxGeometryPositions caps the positions (coordinate pairs) of one
	// geometry. A country border at 1:10m has about 100,000.
	MaxGeometryPositions = 1_000_000
	// MaxNesting caps how deep JSON arrays and objects may nest inside a
	// feature's properties (and in members that are skipped).
	MaxNesting = 64
	// MaxStringBytes caps one JSON string or CSV/KML field.
	MaxStringBytes = 16 << 20
)

// Record is one feature read from outside input, with where it was found.
type Record struct {
	Feature Feature
	// Line is the 1-based line where the record starts.
	Line int
	// Err, when set, says why this record cannot be used; the input can
	// still be read past it.
	Err error
}

// RecordReader reads features one at a time from outside input. Read
// returns io.EOF after the last record; any other error means the input
// cannot be read on (a syntax or encoding error) and is an *InvalidError
// that names the line.
type RecordReader interface {
	Read() (Record, error)
	// Properties is the property names in the order they first appeared.
	Properties() []string
}

// MaxRecordBytes caps one CSV row (or one KML Placemark): an unclosed
// quote cannot make the reader hold the rest of a large file.
const MaxRecordBytes = 64 << 20
