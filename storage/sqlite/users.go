package sqlite

import (
	"context"
	"fmt"

	"github.com/gatehouse-id/gatehouse/storage"
	"github.com/gatehouse-id/gatehouse/storage/internal/sqlutil"
)

const userColumns = `id, email, email_verified, name, password_hash, roles, disabled, created_at, updated_at`

func scanUser(row scanner) (storage.User, error) {
	var (
		u                storage.User
		roles            string
		created, updated int64
	)
	if err := row.Scan(&u.ID, &u.Email, &u.EmailVerified, &u.Name, &u.PasswordHash,
		&roles, &u.Disabled, &created, &updated); err != nil {
		return storage.User{}, mapErr(err)
	}
	var err error
	if u.Roles, err = fromList(roles); err != nil {
		return storage.User{}, err
	}
	u.CreatedAt, u.UpdatedAt = fromTime(created), fromTime(updated)
	return u, nil
}

// CreateUser stores u; ErrAlreadyExists when the id or email is taken.
func (s *Store) CreateUser(ctx context.Context, u storage.User) error {
	_, err := s.q(ctx).ExecContext(ctx, `INSERT INTO users (`+userColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.Email, u.EmailVerified, u.Name, u.PasswordHash, toList(u.Roles),
		u.Disabled, toTime(u.CreatedAt), toTime(u.UpdatedAt))
	if err != nil {
		return fmt.Errorf("sqlite: create user %q: %w", u.ID, mapErr(err))
	}
	return nil
}

// GetUser returns the user with id.
func (s *Store) GetUser(ctx context.Context, id string) (storage.User, error) {
	u, err := scanUser(s.rq(ctx).QueryRowContext(ctx,
		`SELECT `+userColumns+` FROM users WHERE id = ?`, id))
	if err != nil {
		return storage.User{}, fmt.Errorf("sqlite: get user %q: %w", id, err)
	}
	return u, nil
}

// GetUserByEmail returns the user with email, compared case-insensitively.
func (s *Store) GetUserByEmail(ctx context.Context, email string) (storage.User, error) {
	u, err := scanUser(s.rq(ctx).QueryRowContext(ctx,
		`SELECT `+userColumns+` FROM users WHERE email = ?`, email))
	if err != nil {
		return storage.User{}, fmt.Errorf("sqlite: get user by email: %w", err)
	}
	return u, nil
}

// ListUsers pages through users by creation time, optionally those whose
// email contains opts.Search.
func (s *Store) ListUsers(ctx context.Context, opts storage.ListOptions) ([]storage.User, error) {
	limit, offset := sqlutil.Page(opts)
	us, err := queryAll(ctx, s.rq(ctx), scanUser, `SELECT `+userColumns+` FROM users
		WHERE ? = '' OR email LIKE ? ESCAPE '\'
		ORDER BY created_at, id LIMIT ? OFFSET ?`,
		opts.Search, sqlutil.LikePattern(opts.Search), limit, offset)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list users: %w", err)
	}
	return us, nil
}

// UpdateUser reads the user, applies fn and writes the result, in one
// transaction (joining the one in ctx). fn may not change the id.
func (s *Store) UpdateUser(ctx context.Context, id string, fn func(*storage.User) error) error {
	return storage.InTx(ctx, s, func(ctx context.Context) error {
		u, err := s.GetUser(ctx, id)
		if err != nil {
			return err
		}
		if err := fn(&u); err != nil {
			return err
		}
		if u.ID != id {
			return fmt.Errorf("sqlite: update user %q: the id cannot change", id)
		}
		res, err := s.q(ctx).ExecContext(ctx, `UPDATE users SET email = ?, email_verified = ?,
			name = ?, password_hash = ?, roles = ?, disabled = ?, created_at = ?, updated_at = ?
			WHERE id = ?`,
			u.Email, u.EmailVerified, u.Name, u.PasswordHash, toList(u.Roles), u.Disabled,
			toTime(u.CreatedAt), toTime(u.UpdatedAt), id)
		if err != nil {
			return fmt.Errorf("sqlite: update user %q: %w", id, mapErr(err))
		}
		return affected(res, fmt.Sprintf("sqlite: update user %q", id))
	})
}

// DeleteUser removes the user; its browser sessions and consents go with it.
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	return storage.InTx(ctx, s, func(ctx context.Context) error {
		// Its browser sessions end first, as DeleteUserBrowserSessions
		// ends them (back-channel logouts queued).
		if err := s.endSessions(ctx, "user_id = ?", id); err != nil {
			return fmt.Errorf("sqlite: delete user %q sessions: %w", id, err)
		}
		res, err := s.q(ctx).ExecContext(ctx, `DELETE FROM users WHERE id = ?`, id)
		if err != nil {
			return fmt.Errorf("sqlite: delete user %q: %w", id, mapErr(err))
		}
		if err := affected(res, fmt.Sprintf("sqlite: delete user %q", id)); err != nil {
			return err
		}
		// Token sessions reference clients, not users: delete the user's
		// by subject, so no grant outlives its person.
		if _, err := s.q(ctx).ExecContext(ctx, `DELETE FROM token_sessions WHERE subject = ?`, id); err != nil {
			return fmt.Errorf("sqlite: delete user %q tokens: %w", id, mapErr(err))
		}
		return nil
	})
}
