package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/khorasan/khorasan/geo/storecopy"
)

func runCopy(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fl := newFlags("copy", "--from DB --to DB",
		"Copy every layer, with its title, description, attribution, version and last change,\n"+
			"and the audit log, from one database to another: a GeoPackage file or a PostgreSQL\n"+
			"URL (postgres://...), either way. A new file is written whole or not at all; into a\n"+
			"database that exists, each layer lands whole, replacing a layer of the same name,\n"+
			"and the audit log is appended.", stderr)
	from := fl.String("from", "", "the database to copy (required)")
	to := fl.String("to", "", "the database to write (required)")
	if err := parseFlags(fl, args); err != nil {
		return err
	}
	switch {
	case fl.NArg() > 0:
		return &usageError{fmt.Sprintf("copy takes no arguments, got %q", fl.Args())}
	case *from == "" || *to == "":
		return &usageError{"copy needs --from DB and --to DB"}
	case *from == *to || sameFile(*from, *to):
		return &usageError{fmt.Sprintf("--from and --to are the same database %q", shown(*from))}
	}
	src, err := openStore(ctx, *from)
	if err != nil {
		return err
	}
	defer src.Close()
	rep, err := copyInto(ctx, *to, src)
	if err != nil {
		return err
	}
	for _, l := range rep.Layers {
		fmt.Fprintf(stdout, "copied layer %q: %d features\n", l.Name, l.Features)
	}
	fmt.Fprintf(stdout, "copied %d layers and %d audit entries from %s to %s\n", len(rep.Layers), rep.Audit, shown(*from), shown(*to))
	return nil
}

// copyInto copies src into the database at to: a PostgreSQL database or
// a GeoPackage that exists, layer by layer; a new GeoPackage whole or not
// at all.
func copyInto(ctx context.Context, to string, src storecopy.Source) (storecopy.Report, error) {
	there, err := exists(to)
	if err != nil {
		return storecopy.Report{}, err
	}
	if !there {
		return copyIntoNewFile(ctx, to, func(dst store) (storecopy.Report, error) { return storecopy.Copy(ctx, dst, src) })
	}
	dst, err := openStore(ctx, to)
	if err != nil {
		return storecopy.Report{}, err
	}
	defer dst.Close()
	return storecopy.Copy(ctx, dst, src)
}

// copyIntoNewFile makes a GeoPackage beside path, fills it, and links it
// into place once whole, so a failure leaves no file; path must not exist.
func copyIntoNewFile(ctx context.Context, path string, fill func(dst store) (storecopy.Report, error)) (storecopy.Report, error) {
	if _, err := os.Stat(path); err == nil {
		return storecopy.Report{}, fmt.Errorf("%s exists; give a new file", path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return storecopy.Report{}, err
	}
	var suffix [6]byte
	rand.Read(suffix[:])
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".partial-"+hex.EncodeToString(suffix[:]))
	defer func() {
		for _, f := range []string{tmp, tmp + "-wal", tmp + "-shm"} {
			os.Remove(f)
		}
	}()
	dst, err := createStore(ctx, tmp)
	if err != nil {
		return storecopy.Report{}, err
	}
	rep, err := fill(dst)
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return rep, err
	}
	// Link, not rename: it fails rather than replace a file made meanwhile.
	return rep, os.Link(tmp, path)
}

// sameFile reports whether two paths name one file (both existing).
func sameFile(a, b string) bool {
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(fa, fb)
}
