package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/gatehouse-id/gatehouse/storage"
	"github.com/gatehouse-id/gatehouse/storage/internal/sqlutil"
)

const clientColumns = `id, name, secret_hash, public, redirect_uris, post_logout_redirect_uris,
	grant_types, response_types, scopes, audience, created_at, updated_at, introspect_any,
	backchannel_logout_uri, backchannel_logout_session_required, config_managed, disabled, require_mfa,
	origin, registration_token_hash, metadata, last_used_at, pkce_optional,
	require_par, require_dpop, allow_impersonation`

func scanClient(row scanner) (storage.Client, error) {
	var (
		c                storage.Client
		lists            [6]string
		created, updated int64
		lastUsed         sql.NullInt64
	)
	if err := row.Scan(&c.ID, &c.Name, &c.SecretHash, &c.Public, &lists[0], &lists[1],
		&lists[2], &lists[3], &lists[4], &lists[5], &created, &updated, &c.IntrospectAny,
		&c.BackchannelLogoutURI, &c.BackchannelLogoutSessionRequired, &c.ConfigManaged, &c.Disabled, &c.RequireMFA,
		&c.Origin, &c.RegistrationTokenHash, &c.Metadata, &lastUsed, &c.PKCEOptional,
		&c.RequirePAR, &c.RequireDPoP, &c.AllowImpersonation); err != nil {
		return storage.Client{}, mapErr(err)
	}
	dsts := [6]*[]string{&c.RedirectURIs, &c.PostLogoutRedirectURIs, &c.GrantTypes,
		&c.ResponseTypes, &c.Scopes, &c.Audience}
	for i, dst := range dsts {
		var err error
		if *dst, err = fromList(lists[i]); err != nil {
			return storage.Client{}, err
		}
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
	_, err := s.q(ctx).ExecContext(ctx, `INSERT INTO clients (`+clientColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...)
	if err != nil {
		return fmt.Errorf("sqlite: create client %q: %w", c.ID, mapErr(err))
	}
	return nil
}

// GetClient returns the client with id.
func (s *Store) GetClient(ctx context.Context, id string) (storage.Client, error) {
	c, err := scanClient(s.rq(ctx).QueryRowContext(ctx,
		`SELECT `+clientColumns+` FROM clients WHERE id = ?`, id))
	if err != nil {
		return storage.Client{}, fmt.Errorf("sqlite: get client %q: %w", id, err)
	}
	return c, nil
}

// ListClients pages through clients by creation time, optionally those
// whose id or name contains opts.Search.
func (s *Store) ListClients(ctx context.Context, opts storage.ListOptions) ([]storage.Client, error) {
	limit, offset := sqlutil.Page(opts)
	pattern := sqlutil.LikePattern(opts.Search)
	cs, err := queryAll(ctx, s.rq(ctx), scanClient, `SELECT `+clientColumns+` FROM clients
		WHERE ? = '' OR id LIKE ? ESCAPE '\' OR name LIKE ? ESCAPE '\'
		ORDER BY created_at, id LIMIT ? OFFSET ?`,
		opts.Search, pattern, pattern, limit, offset)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list clients: %w", err)
	}
	return cs, nil
}

// UpdateClient reads the client, applies fn and writes the result, in one
// transaction (joining the one in ctx). fn may not change the id.
func (s *Store) UpdateClient(ctx context.Context, id string, fn func(*storage.Client) error) error {
	return storage.InTx(ctx, s, func(ctx context.Context) error {
		c, err := s.GetClient(ctx, id)
		if err != nil {
			return err
		}
		if err := fn(&c); err != nil {
			return err
		}
		if c.ID != id {
			return fmt.Errorf("sqlite: update client %q: the id cannot change", id)
		}
		res, err := s.q(ctx).ExecContext(ctx, `UPDATE clients SET name = ?, secret_hash = ?,
			public = ?, redirect_uris = ?, post_logout_redirect_uris = ?, grant_types = ?,
			response_types = ?, scopes = ?, audience = ?, created_at = ?, updated_at = ?,
			introspect_any = ?, backchannel_logout_uri = ?, backchannel_logout_session_required = ?,
			config_managed = ?, disabled = ?, require_mfa = ?, origin = ?, registration_token_hash = ?, metadata = ?,
			last_used_at = ?, pkce_optional = ?, require_par = ?, require_dpop = ?, allow_impersonation = ?
			WHERE id = ?`, append(clientArgs(c), id)...)
		if err != nil {
			return fmt.Errorf("sqlite: update client %q: %w", id, mapErr(err))
		}
		return affected(res, fmt.Sprintf("sqlite: update client %q", id))
	})
}

// deleteBatch bounds the rows one cleanup statement deletes.
const deleteBatch = 1000

// DeleteClient removes the client; its consents and token sessions go with
// it.
func (s *Store) DeleteClient(ctx context.Context, id string) error {
	// Delete the client's token sessions in bounded batches first, each its
	// own short write, so a client with millions of tokens does not hold
	// the write lock for seconds; the cascade then removes the rest.
	for {
		res, err := s.q(ctx).ExecContext(ctx, `DELETE FROM token_sessions WHERE rowid IN
			(SELECT rowid FROM token_sessions WHERE client_id = ? LIMIT ?)`, id, deleteBatch)
		if err != nil {
			return fmt.Errorf("sqlite: delete client %q tokens: %w", id, mapErr(err))
		}
		if n, _ := res.RowsAffected(); n < deleteBatch {
			break
		}
	}
	res, err := s.q(ctx).ExecContext(ctx, `DELETE FROM clients WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("sqlite: delete client %q: %w", id, mapErr(err))
	}
	return affected(res, fmt.Sprintf("sqlite: delete client %q", id))
}
