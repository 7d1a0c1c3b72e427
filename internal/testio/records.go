package testio

import (
	"io"
	"testing"

	"github.com/khorasan/khorasan/geo"
)

// ReadRecords reads the records of r (at most 100,000) until the end or
// an input error the reader cannot go past, and returns them. It fails
// the test on an error, of the reader or of a record, that is not an
// input error: the readers' fuzz targets and their tests share it.
func ReadRecords(t testing.TB, r geo.RecordReader) []geo.Record {
	t.Helper()
	var out []geo.Record
	for range 100000 {
		rec, err := r.Read()
		if err == io.EOF {
			return out
		}
		if err != nil {
			if !geo.IsInvalid(err) {
				t.Fatalf("not an input error: %v", err)
			}
			return out
		}
		if rec.Err != nil && !geo.IsInvalid(rec.Err) {
			t.Fatalf("record error is not an input error: %v", rec.Err)
		}
		out = append(out, rec)
	}
	return out
}
