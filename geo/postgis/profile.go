package postgis

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/khorasan/khorasan/geo"
)

// A layer's profile is kept in its khorasan_layers row (the profile
// column, JSON); a table another tool wrote gets a row when one is set.

// SetProfile stores p as the layer's profile, or removes the stored one
// when p is nil (the dataset's then serves), in one transaction with its
// audit entry. A profile that does not fit the layer's columns
// (geo.Profile.Validate) is an *InvalidError naming the field, and the
// stored one stays as it was. It returns the layer as it is after.
func (s *Store) SetProfile(ctx context.Context, layer string, p *geo.Profile, actor string) (geo.Layer, error) {
	err := s.edit(ctx, layer, func(tx pgx.Tx, t *table) (*geo.Feature, error) {
		if p != nil {
			if err := p.Validate(t.Schema); err != nil {
				return nil, err
			}
		}
		old, err := profileJSON(t.StoredProfile)
		if err != nil {
			return nil, err
		}
		nw, err := profileJSON(p)
		if err != nil {
			return nil, err
		}
		if err := writeProfile(ctx, tx, layer, p); err != nil {
			return nil, err
		}
		e := auditEntry{Actor: actor, Action: "profile", Layer: layer}
		if old != nil {
			e.Old = *old
		}
		if nw != nil {
			e.New = *nw
		}
		return nil, writeAudit(ctx, tx, e)
	})
	if err != nil {
		return geo.Layer{}, err
	}
	return s.Layer(ctx, layer)
}

// profileJSON is a profile as the column keeps it; nil for none.
func profileJSON(p *geo.Profile) (*string, error) {
	if p == nil {
		return nil, nil
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	s := string(b)
	return &s, nil
}

// writeProfile sets the profile of a layer's row (which the caller made).
func writeProfile(ctx context.Context, tx pgx.Tx, name string, p *geo.Profile) error {
	doc, err := profileJSON(p)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `UPDATE `+layersTable+` SET profile = $2::jsonb WHERE name = $1`, name, doc)
	return err
}

// readProfile is the layer's stored profile; nil when it has none, or
// when someone else damaged it (the dataset's then serves, as for none).
func readProfile(ctx context.Context, db querier, name string) (*geo.Profile, error) {
	var doc *string
	err := db.QueryRow(ctx, `SELECT profile::text FROM `+layersTable+` WHERE name = $1`, name).Scan(&doc)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && doc == nil) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	p, err := geo.ParseProfile([]byte(*doc))
	if err != nil {
		return nil, nil
	}
	return &p, nil
}
