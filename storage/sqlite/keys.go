package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/gatehouse-id/gatehouse/storage"
	"github.com/gatehouse-id/gatehouse/storage/internal/keyset"
)

const keyColumns = `id, algorithm, private_key, public_jwk, created_at, sign_from, retire_at`

func scanKey(row scanner) (storage.Key, error) {
	var (
		k                 storage.Key
		created, signFrom int64
		retire            sql.NullInt64
	)
	if err := row.Scan(&k.ID, &k.Algorithm, &k.PrivateKey, &k.PublicJWK, &created, &signFrom, &retire); err != nil {
		return storage.Key{}, mapErr(err)
	}
	k.CreatedAt, k.SignFrom, k.RetireAt = fromTime(created), fromTime(signFrom), fromOptTime(retire)
	return k, nil
}

// CreateKey stores k; ErrAlreadyExists when the id is taken.
func (s *Store) CreateKey(ctx context.Context, k storage.Key) error {
	_, err := s.q(ctx).ExecContext(ctx, `INSERT INTO keys (`+keyColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		k.ID, k.Algorithm, k.PrivateKey, k.PublicJWK, toTime(k.CreatedAt), toTime(k.SignFrom),
		toOptTime(k.RetireAt))
	if err != nil {
		return fmt.Errorf("sqlite: create key %q: %w", k.ID, mapErr(err))
	}
	return nil
}

// ListKeys returns every key, oldest SignFrom first.
func (s *Store) ListKeys(ctx context.Context) ([]storage.Key, error) {
	ks, err := queryAll(ctx, s.rq(ctx), scanKey,
		`SELECT `+keyColumns+` FROM keys ORDER BY sign_from, id`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list keys: %w", err)
	}
	return ks, nil
}

// UpdateKey reads the key, applies fn and writes the result, in one
// transaction (joining the one in ctx). fn may not change the id.
func (s *Store) UpdateKey(ctx context.Context, id string, fn func(*storage.Key) error) error {
	return storage.InTx(ctx, s, func(ctx context.Context) error {
		k, err := scanKey(s.q(ctx).QueryRowContext(ctx, `SELECT `+keyColumns+` FROM keys WHERE id = ?`, id))
		if err != nil {
			return fmt.Errorf("sqlite: update key %q: %w", id, err)
		}
		if err := fn(&k); err != nil {
			return err
		}
		if k.ID != id {
			return fmt.Errorf("sqlite: update key %q: the id cannot change", id)
		}
		res, err := s.q(ctx).ExecContext(ctx, `UPDATE keys SET algorithm = ?, private_key = ?,
			public_jwk = ?, created_at = ?, sign_from = ?, retire_at = ? WHERE id = ?`,
			k.Algorithm, k.PrivateKey, k.PublicJWK, toTime(k.CreatedAt), toTime(k.SignFrom),
			toOptTime(k.RetireAt), id)
		if err != nil {
			return fmt.Errorf("sqlite: update key %q: %w", id, mapErr(err))
		}
		return affected(res, fmt.Sprintf("sqlite: update key %q", id))
	})
}

// DeleteKey removes the key with id.
func (s *Store) DeleteKey(ctx context.Context, id string) error {
	res, err := s.q(ctx).ExecContext(ctx, `DELETE FROM keys WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("sqlite: delete key %q: %w", id, mapErr(err))
	}
	return affected(res, fmt.Sprintf("sqlite: delete key %q", id))
}

// UpdateKeys replaces the key set with what fn makes of it, in one write
// transaction: SQLite has one writer, so concurrent calls run one after
// the other and each fn sees what the one before stored.
func (s *Store) UpdateKeys(ctx context.Context, fn func(old []storage.Key) ([]storage.Key, error)) error {
	return storage.InTx(ctx, s, func(ctx context.Context) error {
		old, err := s.ListKeys(ctx)
		if err != nil {
			return err
		}
		next, err := fn(old)
		if err != nil {
			return err
		}
		if err := keyset.Apply(ctx, s, old, next); err != nil {
			return fmt.Errorf("sqlite: %w", err)
		}
		return nil
	})
}
