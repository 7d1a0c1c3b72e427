package csv

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/internal/testio"
)

// FuzzCSVReader: any bytes as CSV, in any profile, never panic and fail
// only with input errors.
func FuzzCSVReader(f *testing.F) {
	f.Add([]byte("id,lat,lon,n\na,1,2,3\n"), "")
	f.Add([]byte(acledCSV), "acled")
	f.Add([]byte(gtdCSV), "gtd")
	f.Add([]byte(ucdpCSV), "ucdp")
	f.Add([]byte("x;y;wkt\n1;2;POINT(1 2)\n"), "generic")
	f.Fuzz(func(t *testing.T, data []byte, profile string) {
		r, _, err := NewReader(bytes.NewReader(data), Options{Profile: profile, DateOrder: "dmy"})
		if err != nil {
			if !geo.IsInvalid(err) {
				t.Fatalf("not an input error: %v", err)
			}
			return
		}
		testio.ReadRecords(t, r)
	})
}

// The exports of the profiles, in testdata/ (geo/gpkg's import tests read
// them too). GTD files are ISO-8859-1; imonth or iday 0 is unknown.
var (
	acledCSV = sample("acled.csv")
	ucdpCSV  = sample("ucdp.csv")
	gtdCSV   = sample("gtd.csv")
)

func sample(name string) string {
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		panic(err)
	}
	return string(b)
}
