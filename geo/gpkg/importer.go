package gpkg

import (
	"bytes"
	"context"
	"errors"
	"io"

	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/ingest"
)

// ImportGeoJSON decodes a GeoJSON document and writes it as a layer,
// creating it or replacing what was there, in one transaction. It is the
// import used to seed the default data and to build layers in tests: no
// layer rules, no audit log, and the layer's title and description are
// exactly info's. People's imports go through Import.
func (s *Store) ImportGeoJSON(ctx context.Context, info geo.LayerInfo, data []byte) (int64, error) {
	if err := CheckLayerName(info.Name); err != nil {
		return 0, err
	}
	src := ingest.Source{Name: "input", Format: ingest.FormatGeoJSON, Size: int64(len(data)),
		Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }}
	rep, err := s.importSource(ctx, src, ingest.ImportOptions{Layer: info, Mode: ingest.ModeReplace, MaxErrors: 1}, true)
	if err != nil {
		var re *ingest.RejectedError
		if errors.As(err, &re) && len(re.Report.Errors) > 0 {
			return 0, &geo.InvalidError{Msg: re.Report.Errors[0].String()}
		}
		return 0, err
	}
	return rep.Inserted, nil
}
