package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-id/gatehouse/storage"
	"github.com/gatehouse-id/gatehouse/storage/internal/sqlutil"
)

const browserSessionColumns = `id, user_id, auth_time, created_at, expires_at, ip, user_agent, sid`

func scanBrowserSession(row pgx.Row) (storage.BrowserSession, error) {
	var (
		bs                        storage.BrowserSession
		authTime, created, expiry time.Time
	)
	if err := row.Scan(&bs.ID, &bs.UserID, &authTime, &created, &expiry, &bs.IP, &bs.UserAgent, &bs.SID); err != nil {
		return storage.BrowserSession{}, mapErr(err)
	}
	bs.AuthTime, bs.CreatedAt, bs.ExpiresAt = fromTime(authTime), fromTime(created), fromTime(expiry)
	return bs, nil
}

// CreateBrowserSession stores bs (with a random SID when it has none);
// ErrAlreadyExists when the id or SID is taken, ErrNotFound when the user
// does not exist.
func (s *Store) CreateBrowserSession(ctx context.Context, bs storage.BrowserSession) error {
	if bs.SID == "" {
		bs.SID = sqlutil.RandomID()
	}
	_, err := s.q(ctx).Exec(ctx, `INSERT INTO browser_sessions (`+browserSessionColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		bs.ID, bs.UserID, toTime(bs.AuthTime), toTime(bs.CreatedAt), toTime(bs.ExpiresAt),
		sqlutil.CleanText(bs.IP), sqlutil.CleanText(bs.UserAgent), bs.SID)
	if err != nil {
		return fmt.Errorf("postgres: create browser session: %w", mapErr(err))
	}
	return nil
}

// GetBrowserSession returns the session with id unless it has expired at now.
func (s *Store) GetBrowserSession(ctx context.Context, id string, now time.Time) (storage.BrowserSession, error) {
	bs, err := scanBrowserSession(s.q(ctx).QueryRow(ctx, `SELECT `+browserSessionColumns+`
		FROM browser_sessions WHERE id = $1 AND expires_at > $2`, id, toTime(now)))
	if err != nil {
		return storage.BrowserSession{}, fmt.Errorf("postgres: get browser session: %w", err)
	}
	return bs, nil
}

// ListBrowserSessions returns the user's sessions unexpired at now, oldest
// first.
func (s *Store) ListBrowserSessions(ctx context.Context, userID string, now time.Time) ([]storage.BrowserSession, error) {
	out, err := queryAll(ctx, s.q(ctx), scanBrowserSession, `SELECT `+browserSessionColumns+`
		FROM browser_sessions WHERE user_id = $1 AND expires_at > $2
		ORDER BY created_at, id`, userID, toTime(now))
	if err != nil {
		return nil, fmt.Errorf("postgres: list browser sessions: %w", err)
	}
	return out, nil
}

// DeleteBrowserSession ends the session with id, if any (see endSessions).
func (s *Store) DeleteBrowserSession(ctx context.Context, id string) error {
	if err := s.endSessions(ctx, "id = $1", id); err != nil {
		return fmt.Errorf("postgres: delete browser session: %w", err)
	}
	return nil
}

// DeleteUserBrowserSessions ends every session of the user (sign out
// everywhere; see endSessions).
func (s *Store) DeleteUserBrowserSessions(ctx context.Context, userID string) error {
	if err := s.endSessions(ctx, "user_id = $1", userID); err != nil {
		return fmt.Errorf("postgres: delete browser sessions of %q: %w", userID, err)
	}
	return nil
}

// RenewBrowserSession replaces the session oldID of bs.UserID by bs,
// keeping its SID (and so what was recorded in it).
func (s *Store) RenewBrowserSession(ctx context.Context, oldID string, bs storage.BrowserSession) error {
	tag, err := s.q(ctx).Exec(ctx, `UPDATE browser_sessions SET id = $1, auth_time = $2,
		created_at = $3, expires_at = $4, ip = $5, user_agent = $6 WHERE id = $7 AND user_id = $8`,
		bs.ID, toTime(bs.AuthTime), toTime(bs.CreatedAt), toTime(bs.ExpiresAt),
		sqlutil.CleanText(bs.IP), sqlutil.CleanText(bs.UserAgent), oldID, bs.UserID)
	if err != nil {
		return fmt.Errorf("postgres: renew browser session: %w", mapErr(err))
	}
	return affected(tag, "postgres: renew browser session")
}

const consentColumns = `user_id, client_id, scopes, granted_at, expires_at`

func scanConsent(row pgx.Row) (storage.Consent, error) {
	var (
		c       storage.Consent
		granted time.Time
		expiry  *time.Time
	)
	if err := row.Scan(&c.UserID, &c.ClientID, &c.Scopes, &granted, &expiry); err != nil {
		return storage.Consent{}, mapErr(err)
	}
	c.Scopes = fromList(c.Scopes)
	c.GrantedAt, c.ExpiresAt = fromTime(granted), fromOptTime(expiry)
	return c, nil
}

// SaveConsent creates or replaces the consent of (UserID, ClientID);
// ErrNotFound when the user or the client does not exist.
func (s *Store) SaveConsent(ctx context.Context, c storage.Consent) error {
	_, err := s.q(ctx).Exec(ctx, `INSERT INTO consents (`+consentColumns+`)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (user_id, client_id) DO UPDATE SET scopes = excluded.scopes,
			granted_at = excluded.granted_at, expires_at = excluded.expires_at`,
		c.UserID, c.ClientID, toList(c.Scopes), toTime(c.GrantedAt), toOptTime(c.ExpiresAt))
	if err != nil {
		return fmt.Errorf("postgres: save consent: %w", mapErr(err))
	}
	return nil
}

// GetConsent returns the consent of (userID, clientID), expired or not.
func (s *Store) GetConsent(ctx context.Context, userID, clientID string) (storage.Consent, error) {
	c, err := scanConsent(s.q(ctx).QueryRow(ctx, `SELECT `+consentColumns+`
		FROM consents WHERE user_id = $1 AND client_id = $2`, userID, clientID))
	if err != nil {
		return storage.Consent{}, fmt.Errorf("postgres: get consent: %w", err)
	}
	return c, nil
}

// ListConsents returns the user's consents ordered by client id.
func (s *Store) ListConsents(ctx context.Context, userID string) ([]storage.Consent, error) {
	out, err := queryAll(ctx, s.q(ctx), scanConsent, `SELECT `+consentColumns+`
		FROM consents WHERE user_id = $1 ORDER BY client_id`, userID)
	if err != nil {
		return nil, fmt.Errorf("postgres: list consents: %w", err)
	}
	return out, nil
}

// DeleteConsent deletes the consent of (userID, clientID), if any.
func (s *Store) DeleteConsent(ctx context.Context, userID, clientID string) error {
	if _, err := s.q(ctx).Exec(ctx, `DELETE FROM consents WHERE user_id = $1 AND client_id = $2`,
		userID, clientID); err != nil {
		return fmt.Errorf("postgres: delete consent: %w", mapErr(err))
	}
	return nil
}
