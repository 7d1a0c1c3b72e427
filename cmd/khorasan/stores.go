package main

import (
	"context"
	"io"

	"github.com/khorasan/khorasan/data"
	"github.com/khorasan/khorasan/geo"
	"github.com/khorasan/khorasan/geo/gpkg"
	"github.com/khorasan/khorasan/geo/storecopy"
	"github.com/khorasan/khorasan/server"
)

// store is what the commands need of a database; each store package
// gives one (gpkg.Store for a GeoPackage file).
type store interface {
	server.Store
	server.Editor
	storecopy.Source
	storecopy.Target
	// ImportGeoJSON loads a layer without its profile's rules or an audit
	// entry: the embedded default data.
	ImportGeoJSON(ctx context.Context, info geo.LayerInfo, data []byte) (int64, error)
	io.Closer
}

// openStore opens the GeoPackage at path with the default data's
// profiles, whose rules every write to their layers passes.
func openStore(ctx context.Context, path string) (store, error) {
	ds, err := data.Dataset()
	if err != nil {
		return nil, err
	}
	s, err := gpkg.Open(ctx, path, gpkg.WithDataset(ds))
	if err != nil {
		return nil, err
	}
	return s, nil
}

// createStore makes a new, empty GeoPackage at path, as openStore opens it.
func createStore(ctx context.Context, path string) (store, error) {
	ds, err := data.Dataset()
	if err != nil {
		return nil, err
	}
	s, err := gpkg.Create(ctx, path, gpkg.WithDataset(ds))
	if err != nil {
		return nil, err
	}
	return s, nil
}
