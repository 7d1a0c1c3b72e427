package postgis

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/khorasan/khorasan/geo"
)

// Snapshot reads the database as it was at one moment: everything read
// through it (the layers, their features, the audit log) is one committed
// state, whatever other servers write meanwhile, as a consistent backup
// needs. It holds one read-only REPEATABLE READ transaction on the
// primary, and one connection, until Close; it is for one reader at a
// time.
type Snapshot struct {
	view *Store
	tx   pgx.Tx
}

// Snapshot starts a snapshot of the database.
func (s *Store) Snapshot(ctx context.Context) (*Snapshot, error) {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, busy(err)
	}
	// The view reads through the transaction only. Its descriptions need
	// no rechecking: nothing changes inside a snapshot.
	view := &Store{pool: s.pool, read: s.pool, reader: tx, dataset: s.dataset,
		tables: map[string]*table{}, notices: map[string]uint64{}, recheck: 100 * 365 * 24 * time.Hour}
	return &Snapshot{view: view, tx: tx}, nil
}

// Layers lists the layers as they were.
func (n *Snapshot) Layers(ctx context.Context) ([]geo.Layer, error) { return n.view.Layers(ctx) }

// Layer describes one layer as it was.
func (n *Snapshot) Layer(ctx context.Context, name string) (geo.Layer, error) {
	return n.view.Layer(ctx, name)
}

// Features calls fn for each feature the query selects, as they were.
func (n *Snapshot) Features(ctx context.Context, layer string, q geo.Query, fn func(geo.Feature) error) error {
	return n.view.Features(ctx, layer, q, fn)
}

// EachAudit calls fn for every audit entry written before the snapshot,
// oldest first.
func (n *Snapshot) EachAudit(ctx context.Context, fn func(geo.AuditEntry) error) error {
	return n.view.EachAudit(ctx, fn)
}

// Close ends the snapshot's transaction and gives its connection back.
func (n *Snapshot) Close() error {
	return n.tx.Rollback(context.Background())
}
