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
		"Write a consistent copy of the whole GeoPackage (layers and audit log) while the\nserver may be running and writing: one snapshot, checked with SQLite's integrity\ncheck, written to a new file that GDAL and QGIS open as it is.", stderr)
	dbPath := fl.String("db", envOr(getenv, "KHORASAN_DB", "khorasan.gpkg"), "GeoPackage file (env KHORASAN_DB)")
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
	if err := gpkg.BackupFile(ctx, *dbPath, *out); err != nil {
		return err
	}
	fi, err := os.Stat(*out)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backed up %s to %s (%d KiB)\n", *dbPath, *out, fi.Size()>>10)
	return nil
}
