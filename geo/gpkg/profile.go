package gpkg

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/khorasan/khorasan/geo"
)

// SetProfile stores p as the layer's profile, or removes the stored one
// when p is nil (the dataset's then serves), in one transaction with its
// audit entry. A profile that does not fit the layer's columns
// (geo.Profile.Validate) is an *InvalidError naming the field, and the
// stored one stays as it was. It returns the layer as it is after.
func (s *Store) SetProfile(ctx context.Context, layer string, p *geo.Profile, actor string) (geo.Layer, error) {
	err := s.edit(ctx, layer, func(tx *sql.Tx, t *table) (*geo.Feature, error) {
		if p != nil {
			if err := p.Validate(t.Schema); err != nil {
				return nil, err
			}
		}
		old, err := profileText(t.StoredProfile)
		if err != nil {
			return nil, err
		}
		nw, err := profileText(p)
		if err != nil {
			return nil, err
		}
		if err := writeProfile(ctx, tx, layer, p); err != nil {
			return nil, err
		}
		return nil, writeAudit(ctx, tx, auditEntry{Actor: actor, Action: "profile", Layer: layer, Old: old, New: nw})
	})
	if err != nil {
		return geo.Layer{}, err
	}
	return s.Layer(ctx, layer)
}

// profileText is a profile's JSON for the audit log; "" for none.
func profileText(p *geo.Profile) (string, error) {
	if p == nil {
		return "", nil
	}
	b, err := json.Marshal(p)
	return string(b), err
}
