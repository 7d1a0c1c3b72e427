package geojson

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"

	"github.com/khorasan/khorasan/geo"
)

// AppendFeature appends f as a GeoJSON Feature, properties in the
// schema's column order. Features of a layer without its own ids get
// their fid as a number.
func AppendFeature(buf []byte, f geo.Feature, schema geo.Schema) ([]byte, error) {
	buf = append(buf, `{"type":"Feature","id":`...)
	if schema.HasID {
		buf = appendString(buf, f.ID)
	} else {
		buf = append(buf, f.ID...)
	}
	buf = append(buf, `,"geometry":`...)
	var err error
	if buf, err = AppendGeometry(buf, f.Geometry); err != nil {
		return nil, err
	}
	buf = append(buf, `,"properties":{`...)
	for i, c := range schema.Columns {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(appendString(buf, c.Name), ':')
		if buf, err = appendValue(buf, f.Properties[c.Name]); err != nil {
			return nil, err
		}
	}
	return append(buf, "}}"...), nil
}

// appendJSON appends v as JSON without the HTML escapes of json.Marshal,
// which would turn every & of a URL into \u0026.
func appendJSON(buf []byte, v any) ([]byte, error) {
	b := bytes.NewBuffer(buf)
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	out := b.Bytes()
	return out[:len(out)-1], nil // Encode adds a newline
}

// ETag is the strong entity tag of a feature's state: a hash of
// its GeoJSON as the API serves it (properties in the layer's column
// order). The API's GET of the feature and every write return it, and
// If-Match is compared with it.
func ETag(f geo.Feature, schema geo.Schema) (string, error) {
	b, err := AppendFeature(nil, f, schema)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return `"f` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`, nil
}

// Compare says whether two features of a layer read the same as the API
// serves them, and gives the GeoJSON of each (an audit entry keeps both).
func Compare(schema geo.Schema, a, b geo.Feature) (same bool, aJSON, bJSON string, err error) {
	ja, err := AppendFeature(nil, a, schema)
	if err != nil {
		return false, "", "", err
	}
	jb, err := AppendFeature(nil, b, schema)
	if err != nil {
		return false, "", "", err
	}
	return bytes.Equal(ja, jb), string(ja), string(jb), nil
}
