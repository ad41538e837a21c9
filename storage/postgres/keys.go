package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-id/gatehouse/storage"
	"github.com/gatehouse-id/gatehouse/storage/internal/keyset"
)

const keyColumns = `id, algorithm, private_key, public_jwk, created_at, sign_from, retire_at`

func scanKey(row pgx.Row) (storage.Key, error) {
	var (
		k                 storage.Key
		created, signFrom time.Time
		retire            *time.Time
	)
	if err := row.Scan(&k.ID, &k.Algorithm, &k.PrivateKey, &k.PublicJWK, &created, &signFrom, &retire); err != nil {
		return storage.Key{}, mapErr(err)
	}
	k.CreatedAt, k.SignFrom, k.RetireAt = fromTime(created), fromTime(signFrom), fromOptTime(retire)
	return k, nil
}

// CreateKey stores k; ErrAlreadyExists when the id is taken.
func (s *Store) CreateKey(ctx context.Context, k storage.Key) error {
	_, err := s.q(ctx).Exec(ctx, `INSERT INTO keys (`+keyColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		k.ID, k.Algorithm, k.PrivateKey, k.PublicJWK, toTime(k.CreatedAt), toTime(k.SignFrom),
		toOptTime(k.RetireAt))
	if err != nil {
		return fmt.Errorf("postgres: create key %q: %w", k.ID, mapErr(err))
	}
	return nil
}

// ListKeys returns every key, oldest SignFrom first.
func (s *Store) ListKeys(ctx context.Context) ([]storage.Key, error) {
	ks, err := queryAll(ctx, s.q(ctx), scanKey, `SELECT `+keyColumns+` FROM keys ORDER BY sign_from, id`)
	if err != nil {
		return nil, fmt.Errorf("postgres: list keys: %w", err)
	}
	return ks, nil
}

// DeleteKey removes the key with id.
func (s *Store) DeleteKey(ctx context.Context, id string) error {
	tag, err := s.q(ctx).Exec(ctx, `DELETE FROM keys WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("postgres: delete key %q: %w", id, mapErr(err))
	}
	return affected(tag, fmt.Sprintf("postgres: delete key %q", id))
}

// UpdateKeys replaces the key set with what fn makes of it, in one
// transaction that first locks the key table against other writers until
// it ends (plain reads go on), so two nodes rotating at once run one
// after the other.
func (s *Store) UpdateKeys(ctx context.Context, fn func(old []storage.Key) ([]storage.Key, error)) error {
	return storage.InTx(ctx, s, func(ctx context.Context) error {
		if _, err := s.q(ctx).Exec(ctx, `LOCK TABLE keys IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return fmt.Errorf("postgres: update keys: lock: %w", mapErr(err))
		}
		old, err := s.ListKeys(ctx)
		if err != nil {
			return err
		}
		next, err := fn(old)
		if err != nil {
			return err
		}
		if err := keyset.Apply(ctx, s, old, next); err != nil {
			return fmt.Errorf("postgres: %w", err)
		}
		return nil
	})
}
