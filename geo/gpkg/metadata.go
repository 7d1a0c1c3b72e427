package gpkg

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/khorasan/khorasan/geo"
)

// Layer metadata that GeoPackage has no column for (the attribution, the
// profile) is kept with the GeoPackage metadata extension (F.8): JSON
// documents in gpkg_metadata, referenced by table in
// gpkg_metadata_reference, which GDAL and QGIS show as the layer's
// metadata. Each kind has its md_standard_uri, so that one is replaced
// without touching the other.

// metadataURI names the schema of our document of texts (attribution,
// version); profileURI that of the layer's profile (geo.Profile's JSON).
const (
	metadataURI = "https://github.com/khorasan/khorasan/layer-metadata"
	profileURI  = "https://github.com/khorasan/khorasan/layer-profile"
)

type layerMetadata struct {
	Attribution string `json:"attribution,omitempty"`
	Version     string `json:"version,omitempty"` // LayerInfo.Version
}

const metadataSchemaSQL = `
CREATE TABLE IF NOT EXISTS gpkg_metadata (
  id INTEGER CONSTRAINT m_pk PRIMARY KEY ASC NOT NULL,
  md_scope TEXT NOT NULL DEFAULT 'dataset',
  md_standard_uri TEXT NOT NULL,
  mime_type TEXT NOT NULL DEFAULT 'text/xml',
  metadata TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS gpkg_metadata_reference (
  reference_scope TEXT NOT NULL,
  table_name TEXT,
  column_name TEXT,
  row_id_value INTEGER,
  timestamp DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  md_file_id INTEGER NOT NULL,
  md_parent_id INTEGER,
  CONSTRAINT crmr_mfi_fk FOREIGN KEY (md_file_id) REFERENCES gpkg_metadata(id),
  CONSTRAINT crmr_mpi_fk FOREIGN KEY (md_parent_id) REFERENCES gpkg_metadata(id));
INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope)
  SELECT t, NULL, 'gpkg_metadata', 'http://www.geopackage.org/spec/#extension_metadata', 'read-write'
  FROM (SELECT 'gpkg_metadata' AS t UNION ALL SELECT 'gpkg_metadata_reference')
  WHERE NOT EXISTS (SELECT 1 FROM gpkg_extensions e WHERE e.table_name = t AND e.extension_name = 'gpkg_metadata');
`

// writeMetadata replaces the layer's metadata document.
func writeMetadata(ctx context.Context, tx *sql.Tx, info geo.LayerInfo) error {
	doc := ""
	if info.Attribution != "" || info.Version != "" {
		b, err := json.Marshal(layerMetadata{Attribution: info.Attribution, Version: info.Version})
		if err != nil {
			return err
		}
		doc = string(b)
	}
	return writeDocument(ctx, tx, info.Name, metadataURI, doc)
}

// writeProfile replaces the layer's profile document; nil removes it.
func writeProfile(ctx context.Context, tx *sql.Tx, name string, p *geo.Profile) error {
	doc := ""
	if p != nil {
		b, err := json.MarshalIndent(p, "", "  ")
		if err != nil {
			return err
		}
		doc = string(b)
	}
	return writeDocument(ctx, tx, name, profileURI, doc)
}

// writeDocument replaces the layer's document of schema uri by doc; ""
// leaves none. (The unique constraint of gpkg_extensions does not catch
// repeats with a NULL column, hence NOT EXISTS above.)
func writeDocument(ctx context.Context, tx *sql.Tx, name, uri, doc string) error {
	if _, err := tx.ExecContext(ctx, metadataSchemaSQL); err != nil {
		return err
	}
	ours := `SELECT md_file_id FROM gpkg_metadata_reference r JOIN gpkg_metadata m ON m.id = r.md_file_id
		WHERE r.reference_scope = 'table' AND r.table_name = ? AND m.md_standard_uri = ?`
	var ids []any
	rows, err := tx.QueryContext(ctx, ours, name, uri)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return err
	}
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, `DELETE FROM gpkg_metadata_reference WHERE md_file_id = ?`, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM gpkg_metadata WHERE id = ?`, id); err != nil {
			return err
		}
	}
	if doc == "" {
		return nil
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO gpkg_metadata (md_scope, md_standard_uri, mime_type, metadata) VALUES ('dataset', ?, 'application/json', ?)`,
		uri, doc)
	if err != nil {
		return err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO gpkg_metadata_reference (reference_scope, table_name, md_file_id) VALUES ('table', ?, ?)`, name, id)
	return err
}

// readMetadata finds the layer's metadata document; files without the
// extension, or layers without a document, have none.
func readMetadata(ctx context.Context, db querier, name string) (layerMetadata, error) {
	var md layerMetadata
	doc, err := readDocument(ctx, db, name, metadataURI)
	if err != nil || doc == "" {
		return md, err
	}
	// A document someone else damaged is ignored rather than fatal.
	_ = json.Unmarshal([]byte(doc), &md)
	return md, nil
}

// readProfile finds the layer's profile; nil when it has none, or when
// someone else damaged it (the dataset's then serves, as for none).
func readProfile(ctx context.Context, db querier, name string) (*geo.Profile, error) {
	doc, err := readDocument(ctx, db, name, profileURI)
	if err != nil || doc == "" {
		return nil, err
	}
	p, err := geo.ParseProfile([]byte(doc))
	if err != nil {
		return nil, nil
	}
	return &p, nil
}

// readDocument is the layer's latest document of schema uri, or "".
func readDocument(ctx context.Context, db querier, name, uri string) (string, error) {
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('gpkg_metadata', 'gpkg_metadata_reference')`).Scan(&n); err != nil || n != 2 {
		return "", err
	}
	var doc string
	err := db.QueryRowContext(ctx, `SELECT m.metadata FROM gpkg_metadata_reference r JOIN gpkg_metadata m ON m.id = r.md_file_id
		WHERE r.reference_scope = 'table' AND r.table_name = ? AND m.md_standard_uri = ? ORDER BY m.id DESC LIMIT 1`, name, uri).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return doc, err
}
