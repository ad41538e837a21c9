package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-id/gatehouse/storage"
	"github.com/gatehouse-id/gatehouse/storage/internal/sqlutil"
)

const clientColumns = `id, name, secret_hash, public, redirect_uris, post_logout_redirect_uris,
	grant_types, response_types, scopes, audience, created_at, updated_at, introspect_any,
	backchannel_logout_uri, backchannel_logout_session_required, config_managed, disabled, require_mfa,
	origin, registration_token_hash, metadata, last_used_at, pkce_optional,
	require_par, require_dpop, allow_impersonation`

func scanClient(row pgx.Row) (storage.Client, error) {
	var (
		c                storage.Client
		created, updated time.Time
		lastUsed         *time.Time
	)
	if err := row.Scan(&c.ID, &c.Name, &c.SecretHash, &c.Public, &c.RedirectURIs,
		&c.PostLogoutRedirectURIs, &c.GrantTypes, &c.ResponseTypes, &c.Scopes, &c.Audience,
		&created, &updated, &c.IntrospectAny,
		&c.BackchannelLogoutURI, &c.BackchannelLogoutSessionRequired, &c.ConfigManaged, &c.Disabled, &c.RequireMFA,
		&c.Origin, &c.RegistrationTokenHash, &c.Metadata, &lastUsed, &c.PKCEOptional,
		&c.RequirePAR, &c.RequireDPoP, &c.AllowImpersonation); err != nil {
		return storage.Client{}, mapErr(err)
	}
	for _, l := range []*[]string{&c.RedirectURIs, &c.PostLogoutRedirectURIs, &c.GrantTypes,
		&c.ResponseTypes, &c.Scopes, &c.Audience} {
		*l = fromList(*l)
	}
	c.CreatedAt, c.UpdatedAt, c.LastUsedAt = fromTime(created), fromTime(updated), fromOptTime(lastUsed)
	return c, nil
}

// clientArgs lists c's columns after id, in clientColumns order.
func clientArgs(c storage.Client) []any {
	return []any{c.Name, c.SecretHash, c.Public, toList(c.RedirectURIs),
		toList(c.PostLogoutRedirectURIs), toList(c.GrantTypes), toList(c.ResponseTypes),
		toList(c.Scopes), toList(c.Audience), toTime(c.CreatedAt), toTime(c.UpdatedAt), c.IntrospectAny,
		c.BackchannelLogoutURI, c.BackchannelLogoutSessionRequired, c.ConfigManaged, c.Disabled, c.RequireMFA,
		c.Origin, c.RegistrationTokenHash, c.Metadata, toOptTime(c.LastUsedAt), c.PKCEOptional,
		c.RequirePAR, c.RequireDPoP, c.AllowImpersonation}
}

// CreateClient stores c; ErrAlreadyExists when the id is taken.
func (s *Store) CreateClient(ctx context.Context, c storage.Client) error {
	args := append([]any{c.ID}, clientArgs(c)...)
	_, err := s.q(ctx).Exec(ctx, `INSERT INTO clients (`+clientColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26)`, args...)
	if err != nil {
		return fmt.Errorf("postgres: create client %q: %w", c.ID, mapErr(err))
	}
	return nil
}

// GetClient returns the client with id.
func (s *Store) GetClient(ctx context.Context, id string) (storage.Client, error) {
	c, err := scanClient(s.q(ctx).QueryRow(ctx, `SELECT `+clientColumns+` FROM clients WHERE id = $1`, id))
	if err != nil {
		return storage.Client{}, fmt.Errorf("postgres: get client %q: %w", id, err)
	}
	return c, nil
}

// ListClients pages through clients by creation time, optionally those
// whose id or name contains opts.Search (case-insensitively for ASCII
// letters, as on SQLite: the name is matched under the "C" collation).
func (s *Store) ListClients(ctx context.Context, opts storage.ListOptions) ([]storage.Client, error) {
	limit, offset := sqlutil.Page(opts)
	cs, err := queryAll(ctx, s.q(ctx), scanClient, `SELECT `+clientColumns+` FROM clients
		WHERE $1 = '' OR id ILIKE $2 OR name COLLATE "C" ILIKE $2
		ORDER BY created_at, id LIMIT $3 OFFSET $4`,
		opts.Search, sqlutil.LikePattern(opts.Search), limit, offset)
	if err != nil {
		return nil, fmt.Errorf("postgres: list clients: %w", err)
	}
	return cs, nil
}

// DeleteClient removes the client; its consents and token sessions go with
// it (ON DELETE CASCADE). Other nodes keep working meanwhile: PostgreSQL
// locks only the rows it deletes.
func (s *Store) DeleteClient(ctx context.Context, id string) error {
	tag, err := s.q(ctx).Exec(ctx, `DELETE FROM clients WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("postgres: delete client %q: %w", id, mapErr(err))
	}
	return affected(tag, fmt.Sprintf("postgres: delete client %q", id))
}
