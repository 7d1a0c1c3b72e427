package gpkg

import "fmt"

// reserved columns of every feature table: the names ingest refuses as
// properties of a new layer.
const (
	fidColumn  = "fid"
	geomColumn = "geom"
	idColumn   = "id"
)

func featureWhere(i int, id string) string {
	if id != "" {
		return fmt.Sprintf("feature %d (id %q)", i+1, id)
	}
	return fmt.Sprintf("feature %d", i+1)
}
