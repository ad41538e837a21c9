package oauth

import (
	"context"
	"errors"
	"fmt"

	"github.com/ory/fosite"

	"github.com/gatehouse-id/gatehouse/accounts"
	"github.com/gatehouse-id/gatehouse/secret"
	"github.com/gatehouse-id/gatehouse/storage"
)

// CreateAuthorizeCodeSession implements oauth2.AuthorizeCodeStorage.
func (s *Store) CreateAuthorizeCodeSession(ctx context.Context, code string, req fosite.Requester) error {
	return s.create(ctx, storage.KindAuthorizeCode, code, "", req)
}

// GetAuthorizeCodeSession implements oauth2.AuthorizeCodeStorage. A used
// code comes back with its request and ErrInvalidatedAuthorizeCode, which
// makes fosite revoke the tokens the code already produced.
func (s *Store) GetAuthorizeCodeSession(ctx context.Context, code string, session fosite.Session) (fosite.Requester, error) {
	return s.get(ctx, storage.KindAuthorizeCode, code, session, fosite.ErrInvalidatedAuthorizeCode)
}

// InvalidateAuthorizeCodeSession implements oauth2.AuthorizeCodeStorage.
// It is the atomic guard of the code exchange: only one request can turn
// the code inactive; the others get ErrInvalidatedAuthorizeCode, which
// fosite reports as server_error and the token endpoint turns into
// invalid_grant.
//
// The code's PKCE session goes with it here, not when fosite asks
// (DeletePKCERequestSession).
func (s *Store) InvalidateAuthorizeCodeSession(ctx context.Context, code string) error {
	err := s.db.DeactivateTokenSession(ctx, storage.KindAuthorizeCode, secret.SHA256Hex(code))
	if errors.Is(err, storage.ErrNotFound) {
		return fosite.ErrInvalidatedAuthorizeCode
	}
	if err != nil {
		return mapErr(err)
	}
	return mapErr(s.db.DeleteTokenSession(ctx, storage.KindPKCE, secret.SHA256Hex(code)))
}

// CreateAccessTokenSession implements oauth2.AccessTokenStorage.
func (s *Store) CreateAccessTokenSession(ctx context.Context, signature string, req fosite.Requester) error {
	return s.create(ctx, storage.KindAccessToken, signature, "", req)
}

// GetAccessTokenSession implements oauth2.AccessTokenStorage.
func (s *Store) GetAccessTokenSession(ctx context.Context, signature string, session fosite.Session) (fosite.Requester, error) {
	return s.get(ctx, storage.KindAccessToken, signature, session, fosite.ErrInactiveToken)
}

// DeleteAccessTokenSession implements oauth2.AccessTokenStorage.
func (s *Store) DeleteAccessTokenSession(ctx context.Context, signature string) error {
	return mapErr(s.db.DeleteTokenSession(ctx, storage.KindAccessToken, storedTokenKey(storage.KindAccessToken, signature)))
}

// CreateRefreshTokenSession implements oauth2.RefreshTokenStorage.
func (s *Store) CreateRefreshTokenSession(ctx context.Context, signature, accessSignature string, req fosite.Requester) error {
	var accessKey string
	if accessSignature != "" {
		accessKey = storedTokenKey(storage.KindAccessToken, accessSignature)
	}
	return s.create(ctx, storage.KindRefreshToken, signature, accessKey, refreshGrant(ctx, req))
}

// GetRefreshTokenSession implements oauth2.RefreshTokenStorage. A rotated
// or revoked token comes back with its request and ErrInactiveToken, which
// makes fosite revoke the whole family (reuse detection); a token rotated
// less than the reuse grace ago comes back as active.
func (s *Store) GetRefreshTokenSession(ctx context.Context, signature string, session fosite.Session) (fosite.Requester, error) {
	return s.get(ctx, storage.KindRefreshToken, signature, session, fosite.ErrInactiveToken)
}

// DeleteRefreshTokenSession implements oauth2.RefreshTokenStorage. Rows
// are deactivated rather than deleted, so a later replay of the token is
// still recognised as reuse. fosite calls it only on reuse, for a token that
// is already inactive, so "no active row" is success: an error here would
// abort the family revocation that follows.
func (s *Store) DeleteRefreshTokenSession(ctx context.Context, signature string) error {
	err := s.db.DeactivateTokenSession(ctx, storage.KindRefreshToken, storedTokenKey(storage.KindRefreshToken, signature))
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	return mapErr(err)
}

// RotateRefreshToken implements oauth2.RefreshTokenStorage: the atomic
// guard that lets exactly one of two concurrent refreshes win. Within the
// reuse grace after a token's first use it lets a second use through too.
func (s *Store) RotateRefreshToken(ctx context.Context, requestID, signature string) error {
	return mapErr(s.db.RotateRefreshToken(ctx, requestID, storedTokenKey(storage.KindRefreshToken, signature), s.now().UTC(), s.refreshGrace))
}

// RevokeRefreshToken implements oauth2.TokenRevocationStorage: every
// refresh token of the family becomes inactive.
func (s *Store) RevokeRefreshToken(ctx context.Context, requestID string) error {
	return mapErr(s.db.DeactivateTokenSessionsByRequest(ctx, storage.KindRefreshToken, requestID))
}

// RevokeAccessToken implements oauth2.TokenRevocationStorage.
func (s *Store) RevokeAccessToken(ctx context.Context, requestID string) error {
	return mapErr(s.db.DeleteTokenSessionsByRequest(ctx, storage.KindAccessToken, requestID))
}

// CreatePKCERequestSession implements pkce.PKCERequestStorage.
func (s *Store) CreatePKCERequestSession(ctx context.Context, signature string, req fosite.Requester) error {
	return s.create(ctx, storage.KindPKCE, signature, "", req)
}

// GetPKCERequestSession implements pkce.PKCERequestStorage.
func (s *Store) GetPKCERequestSession(ctx context.Context, signature string, session fosite.Session) (fosite.Requester, error) {
	return s.get(ctx, storage.KindPKCE, signature, session, fosite.ErrNotFound)
}

// DeletePKCERequestSession implements pkce.PKCERequestStorage by keeping
// the session: fosite deletes it before it compares the verifier, and the
// token endpoint keeps what a failed request wrote, so deleting would let
// the code be redeemed next without any verifier (a downgrade, once PKCE
// is optional for some clients). The session goes when the code is
// redeemed (InvalidateAuthorizeCodeSession) or expires.
func (s *Store) DeletePKCERequestSession(context.Context, string) error {
	return nil
}

// CreateOpenIDConnectSession implements openid.OpenIDConnectRequestStorage.
// The key is the full authorization code, so it is hashed like the rest.
func (s *Store) CreateOpenIDConnectSession(ctx context.Context, code string, req fosite.Requester) error {
	return s.create(ctx, storage.KindOIDC, code, "", req)
}

// GetOpenIDConnectSession implements openid.OpenIDConnectRequestStorage.
func (s *Store) GetOpenIDConnectSession(ctx context.Context, code string, req fosite.Requester) (fosite.Requester, error) {
	return s.get(ctx, storage.KindOIDC, code, req.GetSession(), fosite.ErrNotFound)
}

// DeleteOpenIDConnectSession implements openid.OpenIDConnectRequestStorage.
func (s *Store) DeleteOpenIDConnectSession(ctx context.Context, code string) error {
	return mapErr(s.db.DeleteTokenSession(ctx, storage.KindOIDC, secret.SHA256Hex(code)))
}

// Authenticate implements the password grant's credential check. Every
// failure wraps fosite.ErrNotFound, which fosite answers with invalid_grant.
func (s *Store) Authenticate(ctx context.Context, email, password string) (string, error) {
	u, err := s.accounts.Authenticate(ctx, email, password)
	if errors.Is(err, accounts.ErrInvalidCredentials) {
		return "", fmt.Errorf("%w: %w", fosite.ErrNotFound, err)
	}
	if err != nil {
		return "", fmt.Errorf("oauth: authenticate: %w", storageFailure(err))
	}
	return u.ID, nil
}

// lockSubject takes the subject's issuance lock in the transaction in ctx
// (storage.Store.LockSubject).
func (s *Store) lockSubject(ctx context.Context, subject string) error {
	return s.db.LockSubject(ctx, subject)
}

// BeginTX implements fosite's storage.Transactional. The first
// transaction of a code exchange or refresh runs the token endpoint's issue
// guard (the subject's lock and the user's check) before anything else.
func (s *Store) BeginTX(ctx context.Context) (context.Context, error) {
	txCtx, err := s.db.BeginTx(ctx)
	if err != nil {
		return txCtx, mapErr(err)
	}
	if err := runIssueGuard(ctx, txCtx); err != nil {
		if rbErr := s.db.Rollback(txCtx); rbErr != nil {
			return ctx, errors.Join(err, mapErr(rbErr))
		}
		return ctx, err
	}
	return txCtx, nil
}

// Commit implements fosite's storage.Transactional.
func (s *Store) Commit(ctx context.Context) error { return mapErr(s.db.Commit(ctx)) }

// Rollback implements fosite's storage.Transactional.
func (s *Store) Rollback(ctx context.Context) error { return mapErr(s.db.Rollback(ctx)) }
