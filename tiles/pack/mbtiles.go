package pack

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"os"

	"github.com/mattn/go-sqlite3"
)

// MBTiles writes an MBTiles 1.3 tile archive: an SQLite file with a
// metadata table and a tiles table keyed by zoom, column and TMS row.
type MBTiles struct {
	path string
	db   *sql.DB
	tx   *sql.Tx
	put  *sql.Stmt
}

// CreateMBTiles makes a new MBTiles file at path (which must not exist)
// with the given metadata rows (name, format, bounds, center, minzoom,
// maxzoom, json, ...). Tiles go in one transaction: nothing is visible
// until Close, and Abort removes the file.
func CreateMBTiles(ctx context.Context, path string, metadata map[string]string) (*MBTiles, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	f.Close()
	m := &MBTiles{path: path, db: sql.OpenDB(connector{dsn: "file:" + (&url.URL{Path: path}).EscapedPath() + "?_journal_mode=DELETE&_synchronous=OFF"})}
	m.db.SetMaxOpenConns(1)
	if err := m.init(ctx, metadata); err != nil {
		m.Abort()
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	return m, nil
}

func (m *MBTiles) init(ctx context.Context, metadata map[string]string) error {
	var err error
	if m.tx, err = m.db.BeginTx(ctx, nil); err != nil {
		return err
	}
	_, err = m.tx.ExecContext(ctx, `
CREATE TABLE metadata (name TEXT PRIMARY KEY, value TEXT);
CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);
CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);`)
	if err != nil {
		return err
	}
	for k, v := range metadata {
		if _, err := m.tx.ExecContext(ctx, `INSERT INTO metadata (name, value) VALUES (?, ?)`, k, v); err != nil {
			return err
		}
	}
	m.put, err = m.tx.PrepareContext(ctx, `INSERT OR REPLACE INTO tiles (zoom_level, tile_column, tile_row, tile_data) VALUES (?, ?, ?, ?)`)
	return err
}

// Put stores the tile z/x/y (XYZ, y down; stored as the TMS row).
func (m *MBTiles) Put(ctx context.Context, z, x, y int, data []byte) error {
	_, err := m.put.ExecContext(ctx, z, x, (1<<z)-1-y, data)
	return err
}

// Close commits the tiles and closes the file.
func (m *MBTiles) Close() error {
	err := m.put.Close()
	if err == nil {
		err = m.tx.Commit()
	}
	if err != nil {
		m.Abort()
		return err
	}
	return m.db.Close()
}

// Abort drops what was written and removes the file.
func (m *MBTiles) Abort() {
	if m.tx != nil {
		m.tx.Rollback()
	}
	m.db.Close()
	err := os.Remove(m.path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return
	}
}

// connector opens the archive through the driver directly rather than a
// name registered in database/sql, as the GeoPackage store does.
type connector struct{ dsn string }

func (c connector) Connect(context.Context) (driver.Conn, error) { return c.Driver().Open(c.dsn) }

func (c connector) Driver() driver.Driver { return &sqlite3.SQLiteDriver{} }
