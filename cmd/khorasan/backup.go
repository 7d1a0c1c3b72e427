package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/khorasan/khorasan/geo/gpkg"
)

func runBackup(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fl := newFlags("backup", "--db FILE --out FILE.gpkg",
		"Write a consistent copy of the whole database (layers and audit log) to a new\nGeoPackage, which GDAL and QGIS open as it is, while servers may be running and\nwriting. A GeoPackage is copied from one snapshot and checked with SQLite's\nintegrity check; a PostgreSQL database from one snapshot (a read-only\nrepeatable-read transaction).", stderr)
	dbPath := dbFlag(fl, getenv)
	out := fl.String("out", "", "the copy to write; must not exist (required)")
	if err := parseFlags(fl, args); err != nil {
		return err
	}
	if *out == "" {
		return &usageError{"backup needs --out FILE"}
	}
	if fl.NArg() > 0 {
		return &usageError{fmt.Sprintf("backup takes no arguments, got %q", fl.Args())}
	}
	if isPostgres(*dbPath) {
		store, err := openStore(ctx, *dbPath)
		if err != nil {
			return err
		}
		err = store.Backup(ctx, *out)
		store.Close()
		if err != nil {
			return err
		}
	} else if err := gpkg.BackupFile(ctx, *dbPath, *out); err != nil {
		return err
	}
	fi, err := os.Stat(*out)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backed up %s to %s (%d KiB)\n", shown(*dbPath), *out, fi.Size()>>10)
	return nil
}
