package gpkg

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/khorasan/khorasan/geo"
)

// Backup writes a consistent copy of the whole GeoPackage to path, while
// the server goes on reading and writing: VACUUM INTO reads one snapshot
// (WAL lets writers go on meanwhile) and writes a compact file, which is
// checked (PRAGMA integrity_check), switched to a single-file journal,
// synced and only then renamed to path. path must not exist.
func (s *Store) Backup(ctx context.Context, path string) error {
	return busy(s.backup(ctx, path))
}

func (s *Store) backup(ctx context.Context, path string) error {
	return backupFile(ctx, s.path, path)
}

// BackupFile is Backup for a file no Store in this process holds (the
// khorasan backup command, while another process serves it).
func BackupFile(ctx context.Context, src, path string) error {
	if _, err := os.Stat(src); err != nil {
		return err
	}
	probe := sql.OpenDB(connector{dsn: "file:" + escapePath(src) + "?mode=ro"})
	err := check(ctx, probe, src)
	probe.Close()
	if err != nil {
		return err
	}
	return backupFile(ctx, src, path)
}

func backupFile(ctx context.Context, src, path string) error {
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("%s exists; give a new file", path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	var suffix [6]byte
	rand.Read(suffix[:])
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".partial-"+hex.EncodeToString(suffix[:]))
	defer os.Remove(tmp)
	// A connection of its own, not the pool's: VACUUM INTO may run long.
	db := sql.OpenDB(connector{dsn: "file:" + escapePath(src) + "?_busy_timeout=10000"})
	_, err := db.ExecContext(ctx, `VACUUM INTO ?`, tmp)
	db.Close()
	if err != nil {
		return fmt.Errorf("backup of %s: %w", src, err)
	}
	out := sql.OpenDB(connector{dsn: "file:" + escapePath(tmp) + "?_journal_mode=DELETE"})
	err = func() error {
		defer out.Close()
		var mode string
		if err := out.QueryRowContext(ctx, `PRAGMA journal_mode = DELETE`).Scan(&mode); err != nil {
			return err
		}
		return integrity(ctx, out)
	}()
	if err != nil {
		return fmt.Errorf("backup of %s: the copy does not check out: %w", src, err)
	}
	f, err := os.Open(tmp)
	if err != nil {
		return err
	}
	err = f.Sync()
	f.Close()
	if err != nil {
		return err
	}
	if err := os.Link(tmp, path); err != nil { // fails rather than replace a file made meanwhile
		return err
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// integrity runs PRAGMA integrity_check (which checks R-trees too).
func integrity(ctx context.Context, db *sql.DB) error {
	rows, err := db.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return err
	}
	defer rows.Close()
	var msgs []string
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			return err
		}
		msgs = append(msgs, m)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(msgs) != 1 || msgs[0] != "ok" {
		return fmt.Errorf("integrity_check: %q", msgs)
	}
	return nil
}

// IntegrityCheck runs SQLite's integrity check on the file.
func (s *Store) IntegrityCheck(ctx context.Context) error {
	return integrity(ctx, s.reader)
}

// ExportLayer writes one layer as a new GeoPackage at path (which must
// not exist), with its title, description and attribution.
func (s *Store) ExportLayer(ctx context.Context, layer, path string) error {
	return busy(s.exportLayer(ctx, layer, path))
}

func (s *Store) exportLayer(ctx context.Context, layer, path string) error {
	l, err := s.Layer(ctx, layer)
	if err != nil {
		return err
	}
	out, err := Create(ctx, path)
	if err != nil {
		return err
	}
	stop := errors.New("stop")
	_, err = out.ReplaceLayer(ctx, geo.LayerInfo{Name: l.Name, Title: l.Title, Description: l.Description, Attribution: l.Attribution, Version: l.Version, Profile: l.StoredProfile}, l.Schema,
		func(yield func(geo.Feature, error) bool) {
			err := s.Features(ctx, layer, geo.Query{}, func(f geo.Feature) error {
				if !l.Schema.HasID {
					f.ID = ""
				}
				if !yield(f, nil) {
					return stop
				}
				return nil
			})
			if err != nil && !errors.Is(err, stop) {
				yield(geo.Feature{}, err)
			}
		})
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		os.Remove(path + "-wal")
		os.Remove(path + "-shm")
		return err
	}
	return nil
}
