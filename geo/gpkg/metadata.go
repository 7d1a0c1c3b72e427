package gpkg

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/khorasan/khorasan/geo"
)

// Layer metadata that GeoPackage has no column for (the attribution) is
// kept with the GeoPackage metadata extension (F.8): one JSON document per
// layer in gpkg_metadata, referenced by table in gpkg_metadata_reference.

// metadataURI names our JSON document's schema in md_standard_uri.
const metadataURI = "https://github.com/khorasan/khorasan/layer-metadata"

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

// writeMetadata replaces the layer's metadata document. (The unique
// constraint of gpkg_extensions does not catch repeats with a NULL column,
// hence NOT EXISTS above.)
func writeMetadata(ctx context.Context, tx *sql.Tx, info geo.LayerInfo) error {
	if _, err := tx.ExecContext(ctx, metadataSchemaSQL); err != nil {
		return err
	}
	ours := `SELECT md_file_id FROM gpkg_metadata_reference r JOIN gpkg_metadata m ON m.id = r.md_file_id
		WHERE r.reference_scope = 'table' AND r.table_name = ? AND m.md_standard_uri = ?`
	var ids []any
	rows, err := tx.QueryContext(ctx, ours, info.Name, metadataURI)
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
	if info.Attribution == "" && info.Version == "" {
		return nil
	}
	doc, err := json.Marshal(layerMetadata{Attribution: info.Attribution, Version: info.Version})
	if err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO gpkg_metadata (md_scope, md_standard_uri, mime_type, metadata) VALUES ('dataset', ?, 'application/json', ?)`,
		metadataURI, string(doc))
	if err != nil {
		return err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO gpkg_metadata_reference (reference_scope, table_name, md_file_id) VALUES ('table', ?, ?)`, info.Name, id)
	return err
}

// readMetadata finds the layer's metadata document; files without the
// extension, or layers without a document, have none.
func readMetadata(ctx context.Context, db querier, name string) (layerMetadata, error) {
	var md layerMetadata
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('gpkg_metadata', 'gpkg_metadata_reference')`).Scan(&n); err != nil || n != 2 {
		return md, err
	}
	var doc string
	err := db.QueryRowContext(ctx, `SELECT m.metadata FROM gpkg_metadata_reference r JOIN gpkg_metadata m ON m.id = r.md_file_id
		WHERE r.reference_scope = 'table' AND r.table_name = ? AND m.md_standard_uri = ? ORDER BY m.id DESC LIMIT 1`, name, metadataURI).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return md, nil
	}
	if err != nil {
		return md, err
	}
	// A document someone else damaged is ignored rather than fatal.
	_ = json.Unmarshal([]byte(doc), &md)
	return md, nil
}
