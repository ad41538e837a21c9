package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-id/gatehouse/storage"
)

// updatable describes a table whose rows UpdateUser, UpdateClient and
// UpdateKey change by read-modify-write.
type updatable[T any] struct {
	what string // "user", for messages
	// lock selects the row with id $1 FOR UPDATE.
	lock string
	scan func(pgx.Row) (T, error)
	id   func(T) string
	// write returns the UPDATE of the row with id (its last parameter).
	write func(v T, id string) (string, []any)
}

// update locks the row with id, applies fn and writes the result, in one
// transaction (joining the one in ctx): concurrent updates on any node wait
// for the row lock and none is lost. fn may not change the id; ErrNotFound
// when there is no such row (fn is not called).
func (u updatable[T]) update(ctx context.Context, s *Store, id string, fn func(*T) error) error {
	return storage.InTx(ctx, s, func(ctx context.Context) error {
		v, err := u.scan(s.q(ctx).QueryRow(ctx, u.lock, id))
		if err != nil {
			return fmt.Errorf("postgres: update %s %q: %w", u.what, id, err)
		}
		if err := fn(&v); err != nil {
			return err
		}
		if u.id(v) != id {
			return fmt.Errorf("postgres: update %s %q: the id cannot change", u.what, id)
		}
		query, args := u.write(v, id)
		tag, err := s.q(ctx).Exec(ctx, query, args...)
		if err != nil {
			return fmt.Errorf("postgres: update %s %q: %w", u.what, id, mapErr(err))
		}
		return affected(tag, fmt.Sprintf("postgres: update %s %q", u.what, id))
	})
}

var users = updatable[storage.User]{
	what: "user",
	lock: `SELECT ` + userColumns + ` FROM users WHERE id = $1 FOR UPDATE`,
	scan: scanUser,
	id:   func(u storage.User) string { return u.ID },
	write: func(u storage.User, id string) (string, []any) {
		return `UPDATE users SET email = $1, email_verified = $2, name = $3, password_hash = $4,
			roles = $5, disabled = $6, created_at = $7, updated_at = $8, given_name = $9,
			family_name = $10, preferred_username = $11, locale = $12, picture = $13 WHERE id = $14`,
			[]any{u.Email, u.EmailVerified, u.Name, u.PasswordHash, toList(u.Roles), u.Disabled,
				toTime(u.CreatedAt), toTime(u.UpdatedAt), u.Profile.GivenName, u.Profile.FamilyName,
				u.Profile.PreferredUsername, u.Profile.Locale, u.Profile.Picture, id}
	},
}

var clients = updatable[storage.Client]{
	what: "client",
	lock: `SELECT ` + clientColumns + ` FROM clients WHERE id = $1 FOR UPDATE`,
	scan: scanClient,
	id:   func(c storage.Client) string { return c.ID },
	write: func(c storage.Client, id string) (string, []any) {
		return `UPDATE clients SET name = $1, secret_hash = $2, public = $3, redirect_uris = $4,
			post_logout_redirect_uris = $5, grant_types = $6, response_types = $7, scopes = $8,
			audience = $9, created_at = $10, updated_at = $11, introspect_any = $12,
			backchannel_logout_uri = $13, backchannel_logout_session_required = $14,
			config_managed = $15, disabled = $16, require_mfa = $17, origin = $18,
			registration_token_hash = $19, metadata = $20, last_used_at = $21, pkce_optional = $22,
			require_par = $23, require_dpop = $24, allow_impersonation = $25
			WHERE id = $26`,
			append(clientArgs(c), id)
	},
}

var keys = updatable[storage.Key]{
	what: "key",
	lock: `SELECT ` + keyColumns + ` FROM keys WHERE id = $1 FOR UPDATE`,
	scan: scanKey,
	id:   func(k storage.Key) string { return k.ID },
	write: func(k storage.Key, id string) (string, []any) {
		return `UPDATE keys SET algorithm = $1, private_key = $2, public_jwk = $3, created_at = $4,
			sign_from = $5, retire_at = $6 WHERE id = $7`,
			[]any{k.Algorithm, k.PrivateKey, k.PublicJWK, toTime(k.CreatedAt), toTime(k.SignFrom),
				toOptTime(k.RetireAt), id}
	},
}

// UpdateUser locks the user's row, applies fn and writes the result.
func (s *Store) UpdateUser(ctx context.Context, id string, fn func(*storage.User) error) error {
	return users.update(ctx, s, id, fn)
}

// UpdateClient locks the client's row, applies fn and writes the result.
func (s *Store) UpdateClient(ctx context.Context, id string, fn func(*storage.Client) error) error {
	return clients.update(ctx, s, id, fn)
}

// UpdateKey locks the key's row, applies fn and writes the result.
func (s *Store) UpdateKey(ctx context.Context, id string, fn func(*storage.Key) error) error {
	return keys.update(ctx, s, id, fn)
}
