package gpkg

// reserved columns of every feature table: the names ingest refuses as
// properties of a new layer.
const (
	fidColumn  = "fid"
	geomColumn = "geom"
	idColumn   = "id"
)
