package browser

import (
	"testing"
	"time"
)

// TestTwoEventsLayers runs layers.test.mjs: the default data with the
// ACLED sample (geo/csv/testdata/acled.csv) imported as a second events
// layer, picked beside the attacks in the map page, carried by the link
// and drawn by the embed page.
func TestTwoEventsLayers(t *testing.T) {
	needBrowser(t)
	srv := serveWithACLED(t)
	runNode(t, 3*time.Minute, []string{"KHORASAN_URL=" + srv.URL, "EXPECTED={}"}, "layers.test.mjs")
}
