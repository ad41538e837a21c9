package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-id/gatehouse/storage"
	"github.com/gatehouse-id/gatehouse/storage/internal/sqlutil"
)

const userColumns = `id, email, email_verified, name, password_hash, roles, disabled, created_at, updated_at`

func scanUser(row pgx.Row) (storage.User, error) {
	var (
		u                storage.User
		created, updated time.Time
	)
	if err := row.Scan(&u.ID, &u.Email, &u.EmailVerified, &u.Name, &u.PasswordHash,
		&u.Roles, &u.Disabled, &created, &updated); err != nil {
		return storage.User{}, mapErr(err)
	}
	u.Roles = fromList(u.Roles)
	u.CreatedAt, u.UpdatedAt = fromTime(created), fromTime(updated)
	return u, nil
}

// CreateUser stores u; ErrAlreadyExists when the id or email is taken.
func (s *Store) CreateUser(ctx context.Context, u storage.User) error {
	_, err := s.q(ctx).Exec(ctx, `INSERT INTO users (`+userColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		u.ID, u.Email, u.EmailVerified, u.Name, u.PasswordHash, toList(u.Roles),
		u.Disabled, toTime(u.CreatedAt), toTime(u.UpdatedAt))
	if err != nil {
		return fmt.Errorf("postgres: create user %q: %w", u.ID, mapErr(err))
	}
	return nil
}

// GetUser returns the user with id.
func (s *Store) GetUser(ctx context.Context, id string) (storage.User, error) {
	u, err := scanUser(s.q(ctx).QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
	if err != nil {
		return storage.User{}, fmt.Errorf("postgres: get user %q: %w", id, err)
	}
	return u, nil
}

// GetUserByEmail returns the user with email, compared case-insensitively
// for ASCII letters (as SQLite's NOCASE does): both sides are lowered under
// the "C" collation, as the unique index on lower(email) is.
func (s *Store) GetUserByEmail(ctx context.Context, email string) (storage.User, error) {
	u, err := scanUser(s.q(ctx).QueryRow(ctx,
		`SELECT `+userColumns+` FROM users WHERE lower(email) = lower($1 COLLATE "C")`, email))
	if err != nil {
		return storage.User{}, fmt.Errorf("postgres: get user by email: %w", err)
	}
	return u, nil
}

// ListUsers pages through users by creation time, optionally those whose
// email contains opts.Search (case-insensitively).
func (s *Store) ListUsers(ctx context.Context, opts storage.ListOptions) ([]storage.User, error) {
	limit, offset := sqlutil.Page(opts)
	us, err := queryAll(ctx, s.q(ctx), scanUser, `SELECT `+userColumns+` FROM users
		WHERE $1 = '' OR email ILIKE $2
		ORDER BY created_at, id LIMIT $3 OFFSET $4`,
		opts.Search, sqlutil.LikePattern(opts.Search), limit, offset)
	if err != nil {
		return nil, fmt.Errorf("postgres: list users: %w", err)
	}
	return us, nil
}

// DeleteUser removes the user; its browser sessions, consents, identities
// and one-time tokens go with it (ON DELETE CASCADE), and its token sessions
// are deleted by subject.
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	return storage.InTx(ctx, s, func(ctx context.Context) error {
		// Its browser sessions end first, as DeleteUserBrowserSessions
		// ends them (back-channel logouts queued).
		if err := s.endSessions(ctx, "user_id = $1", id); err != nil {
			return fmt.Errorf("postgres: delete user %q sessions: %w", id, err)
		}
		tag, err := s.q(ctx).Exec(ctx, `DELETE FROM users WHERE id = $1`, id)
		if err != nil {
			return fmt.Errorf("postgres: delete user %q: %w", id, mapErr(err))
		}
		if err := affected(tag, fmt.Sprintf("postgres: delete user %q", id)); err != nil {
			return err
		}
		// Token sessions reference clients, not users: delete the user's
		// by subject, so no grant outlives its person.
		if _, err := s.q(ctx).Exec(ctx, `DELETE FROM token_sessions WHERE subject = $1`, id); err != nil {
			return fmt.Errorf("postgres: delete user %q tokens: %w", id, mapErr(err))
		}
		return nil
	})
}
