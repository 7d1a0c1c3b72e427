package main

import (
	"context"

	"github.com/khorasan/khorasan/data"
	"github.com/khorasan/khorasan/geo/gpkg"
)

// openStore opens the GeoPackage at path with the default data's
// profiles, whose rules every write to their layers passes.
func openStore(ctx context.Context, path string) (*gpkg.Store, error) {
	ds, err := data.Dataset()
	if err != nil {
		return nil, err
	}
	return gpkg.Open(ctx, path, gpkg.WithDataset(ds))
}

// createStore makes a new, empty GeoPackage at path, as openStore opens it.
func createStore(ctx context.Context, path string) (*gpkg.Store, error) {
	ds, err := data.Dataset()
	if err != nil {
		return nil, err
	}
	return gpkg.Create(ctx, path, gpkg.WithDataset(ds))
}
