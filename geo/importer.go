package geo

import (
	"context"
)

// ImportGeoJSON decodes a GeoJSON document and writes it as a layer,
// creating it or replacing what was there, in one transaction.
func (s *Store) ImportGeoJSON(ctx context.Context, info LayerInfo, data []byte) (int64, error) {
	if err := CheckLayerName(info.Name); err != nil {
		return 0, err
	}
	doc, err := DecodeGeoJSON(data)
	if err != nil {
		return 0, err
	}
	schema, err := InferSchema(doc.Features, doc.PropertyOrder)
	if err != nil {
		return 0, err
	}
	return s.ReplaceLayer(ctx, info, schema, func(yield func(Feature, error) bool) {
		for _, f := range doc.Features {
			if !yield(f, nil) {
				return
			}
		}
	})
}
