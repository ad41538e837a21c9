package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
	"github.com/gatehouse-id/gatehouse/storage/internal/sqlutil"
)

const browserSessionColumns = `id, user_id, auth_time, created_at, expires_at, ip, user_agent, sid`

func scanBrowserSession(row scanner) (storage.BrowserSession, error) {
	var (
		bs                        storage.BrowserSession
		authTime, created, expiry int64
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
	_, err := s.q(ctx).ExecContext(ctx, `INSERT INTO browser_sessions (`+browserSessionColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		bs.ID, bs.UserID, toTime(bs.AuthTime), toTime(bs.CreatedAt), toTime(bs.ExpiresAt),
		sqlutil.CleanText(bs.IP), sqlutil.CleanText(bs.UserAgent), bs.SID)
	if err != nil {
		return fmt.Errorf("sqlite: create browser session: %w", mapErr(err))
	}
	return nil
}

// GetBrowserSession returns the session with id unless it has expired at now.
func (s *Store) GetBrowserSession(ctx context.Context, id string, now time.Time) (storage.BrowserSession, error) {
	bs, err := scanBrowserSession(s.rq(ctx).QueryRowContext(ctx, `SELECT `+browserSessionColumns+`
		FROM browser_sessions WHERE id = ? AND expires_at > ?`, id, toTime(now)))
	if err != nil {
		return storage.BrowserSession{}, fmt.Errorf("sqlite: get browser session: %w", err)
	}
	return bs, nil
}

// ListBrowserSessions returns the user's sessions unexpired at now, oldest
// first.
func (s *Store) ListBrowserSessions(ctx context.Context, userID string, now time.Time) ([]storage.BrowserSession, error) {
	out, err := queryAll(ctx, s.rq(ctx), scanBrowserSession, `SELECT `+browserSessionColumns+`
		FROM browser_sessions WHERE user_id = ? AND expires_at > ?
		ORDER BY created_at, id`, userID, toTime(now))
	if err != nil {
		return nil, fmt.Errorf("sqlite: list browser sessions: %w", err)
	}
	return out, nil
}

// DeleteBrowserSession ends the session with id, if any (see endSessions).
func (s *Store) DeleteBrowserSession(ctx context.Context, id string) error {
	if err := s.endSessions(ctx, "id = ?", id); err != nil {
		return fmt.Errorf("sqlite: delete browser session: %w", err)
	}
	return nil
}

// DeleteUserBrowserSessions ends every session of the user (sign out
// everywhere; see endSessions).
func (s *Store) DeleteUserBrowserSessions(ctx context.Context, userID string) error {
	if err := s.endSessions(ctx, "user_id = ?", userID); err != nil {
		return fmt.Errorf("sqlite: delete browser sessions of %q: %w", userID, err)
	}
	return nil
}

// RenewBrowserSession replaces the session oldID of bs.UserID by bs,
// keeping its SID (and so what was recorded in it).
func (s *Store) RenewBrowserSession(ctx context.Context, oldID string, bs storage.BrowserSession) error {
	res, err := s.q(ctx).ExecContext(ctx, `UPDATE browser_sessions SET id = ?, auth_time = ?,
		created_at = ?, expires_at = ?, ip = ?, user_agent = ? WHERE id = ? AND user_id = ?`,
		bs.ID, toTime(bs.AuthTime), toTime(bs.CreatedAt), toTime(bs.ExpiresAt),
		sqlutil.CleanText(bs.IP), sqlutil.CleanText(bs.UserAgent), oldID, bs.UserID)
	if err != nil {
		return fmt.Errorf("sqlite: renew browser session: %w", mapErr(err))
	}
	return affected(res, "sqlite: renew browser session")
}

const consentColumns = `user_id, client_id, scopes, granted_at, expires_at`

func scanConsent(row scanner) (storage.Consent, error) {
	var (
		c       storage.Consent
		scopes  string
		granted int64
		expiry  sql.NullInt64
	)
	if err := row.Scan(&c.UserID, &c.ClientID, &scopes, &granted, &expiry); err != nil {
		return storage.Consent{}, mapErr(err)
	}
	var err error
	if c.Scopes, err = fromList(scopes); err != nil {
		return storage.Consent{}, err
	}
	c.GrantedAt, c.ExpiresAt = fromTime(granted), fromOptTime(expiry)
	return c, nil
}

// SaveConsent creates or replaces the consent of (UserID, ClientID);
// ErrNotFound when the user or the client does not exist.
func (s *Store) SaveConsent(ctx context.Context, c storage.Consent) error {
	_, err := s.q(ctx).ExecContext(ctx, `INSERT INTO consents (`+consentColumns+`)
		VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (user_id, client_id) DO UPDATE SET scopes = excluded.scopes,
			granted_at = excluded.granted_at, expires_at = excluded.expires_at`,
		c.UserID, c.ClientID, toList(c.Scopes), toTime(c.GrantedAt), toOptTime(c.ExpiresAt))
	if err != nil {
		return fmt.Errorf("sqlite: save consent: %w", mapErr(err))
	}
	return nil
}

// GetConsent returns the consent of (userID, clientID), expired or not.
func (s *Store) GetConsent(ctx context.Context, userID, clientID string) (storage.Consent, error) {
	c, err := scanConsent(s.rq(ctx).QueryRowContext(ctx, `SELECT `+consentColumns+`
		FROM consents WHERE user_id = ? AND client_id = ?`, userID, clientID))
	if err != nil {
		return storage.Consent{}, fmt.Errorf("sqlite: get consent: %w", err)
	}
	return c, nil
}

// ListConsents returns the user's consents ordered by client id.
func (s *Store) ListConsents(ctx context.Context, userID string) ([]storage.Consent, error) {
	out, err := queryAll(ctx, s.rq(ctx), scanConsent, `SELECT `+consentColumns+`
		FROM consents WHERE user_id = ? ORDER BY client_id`, userID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list consents: %w", err)
	}
	return out, nil
}

// DeleteConsent deletes the consent of (userID, clientID), if any.
func (s *Store) DeleteConsent(ctx context.Context, userID, clientID string) error {
	if _, err := s.q(ctx).ExecContext(ctx, `DELETE FROM consents WHERE user_id = ? AND client_id = ?`,
		userID, clientID); err != nil {
		return fmt.Errorf("sqlite: delete consent: %w", mapErr(err))
	}
	return nil
}
