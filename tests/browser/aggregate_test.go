package browser

import (
	"testing"
	"time"
)

// TestAggregates runs aggregate.test.mjs: the page's choropleth (per
// country and per hexagon) and its month-by-month comparison, on the
// default data with the ACLED sample (geo/csv/testdata/acled.csv)
// imported as a second events layer, every number held to the API's
// /aggregate.
func TestAggregates(t *testing.T) {
	needBrowser(t)
	srv := serveWithACLED(t)
	runNode(t, 4*time.Minute, []string{"KHORASAN_URL=" + srv.URL, "EXPECTED={}"}, "aggregate.test.mjs")
}
