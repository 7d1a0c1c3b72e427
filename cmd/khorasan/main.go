// Command khorasan serves the Khorasan map and manages its GeoPackage: flags and wiring only,
// for every subcommand; it may import every package of the product but tests.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "khorasan:", err)
		}
		os.Exit(exitCode(err))
	}
}

func exitCode(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	var ue *usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

// usageError is a mistake in the command line itself.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

const usage = `khorasan: a self-contained map of the historical Khorasan region, its
modern borders and the sites of ISIS-K attacks, kept in a GeoPackage.

Usage:
  khorasan serve  [--addr 127.0.0.1:8080] [--db khorasan.gpkg]   serve the map and the API
  khorasan import --db FILE --layer NAME [--mode M] FILE          GeoJSON, CSV (ACLED, GTD, UCDP) or KML into a layer
  khorasan export --db FILE --layer NAME [--format F] [--out FILE] a layer as GeoJSON, CSV, KML or GeoPackage
  khorasan layer profile --db FILE --layer NAME [--set k=v|--file F] show or edit what a layer holds (its profile)
  khorasan history --db FILE [--layer NAME] [--feature ID]        who changed what (the audit log)
  khorasan backup --db FILE --out FILE.gpkg                       a consistent copy, while the server runs
  khorasan tiles export --layers A,B --out FILE.pmtiles|.mbtiles  vector tiles for static hosting
  khorasan render --db FILE --out map.png|.svg|.pdf [--bbox ...]  a static map figure for reports
  khorasan copy --from DB --to DB                                 every layer and the audit log into another database

Run "khorasan COMMAND --help" for the flags of a command.
`

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) < 2 {
		fmt.Fprint(stderr, usage)
		return &usageError{"no command given"}
	}
	cmd, rest := args[1], args[2:]
	switch cmd {
	case "serve":
		return runServe(ctx, rest, getenv, stderr)
	case "import":
		return runImport(ctx, rest, getenv, stdout, stderr)
	case "export":
		return runExport(ctx, rest, getenv, stdout, stderr)
	case "layer":
		return runLayer(ctx, rest, getenv, stdout, stderr)
	case "history":
		return runHistory(ctx, rest, getenv, stdout, stderr)
	case "backup":
		return runBackup(ctx, rest, getenv, stdout, stderr)
	case "tiles":
		return runTiles(ctx, rest, getenv, stdout, stderr)
	case "render":
		return runRender(ctx, rest, getenv, stdout, stderr)
	case "copy":
		return runCopy(ctx, rest, getenv, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return &usageError{fmt.Sprintf("unknown command %q", cmd)}
}

// newFlags makes a flag set whose --help prints what the command does.
func newFlags(name, synopsis, about string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: khorasan %s %s\n\n%s\n\nFlags:\n", name, synopsis, about)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses and turns flag errors into usage errors.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &usageError{err.Error()}
	}
	return nil
}

// envOr is the environment's value for a flag default.
func envOr(getenv func(string) string, key, fallback string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return fallback
}
