package manage

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse/accounts"
	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/storage"
)

// UserChange is a change to a user; nil fields stay as they are. Roles
// are normalised by accounts.NormalizeRoles (they always include "user").
type UserChange struct {
	Name     *string   `json:"name"`
	Roles    *[]string `json:"roles"`
	Disabled *bool     `json:"disabled"`
}

// CreateUser creates a user (see accounts.Service.CreateUser).
func (s *Service) CreateUser(ctx context.Context, a Actor, nu accounts.NewUser) (storage.User, error) {
	u, err := s.Accounts.CreateUser(ctx, nu)
	if err != nil {
		return storage.User{}, err
	}
	s.record(ctx, a, audit.UserCreated, u.ID, "", map[string]string{"roles": strings.Join(u.Roles, " ")})
	return u, nil
}

// UpdateUser applies ch in one transaction. Disabling a user signs out
// every browser session and revokes every token of the user. An admin may
// not disable or demote themselves (ErrSelf).
func (s *Service) UpdateUser(ctx context.Context, a Actor, id string, ch UserChange) (storage.User, error) {
	var name string
	var roles []string
	if ch.Name != nil {
		var err error
		if name, err = accounts.NormalizeName(*ch.Name); err != nil {
			return storage.User{}, err
		}
	}
	if ch.Roles != nil {
		var err error
		if roles, err = accounts.NormalizeRoles(*ch.Roles); err != nil {
			return storage.User{}, err
		}
	}
	if a.ID == id && ((ch.Disabled != nil && *ch.Disabled) || (ch.Roles != nil && !slices.Contains(roles, storage.RoleAdmin))) {
		return storage.User{}, ErrSelf
	}
	var before, after storage.User
	err := storage.InTx(ctx, s.Store, func(ctx context.Context) error {
		err := s.Store.UpdateUser(ctx, id, func(u *storage.User) error {
			before = *u
			if ch.Name != nil {
				u.Name = name
			}
			if ch.Roles != nil {
				u.Roles = roles
			}
			if ch.Disabled != nil {
				u.Disabled = *ch.Disabled
			}
			u.UpdatedAt = s.now()
			after = *u
			return nil
		})
		if err != nil {
			return err
		}
		if isActiveAdmin(before) && !isActiveAdmin(after) {
			if err := s.keepAnAdmin(ctx, id); err != nil {
				return err
			}
		}
		if !after.Disabled || before.Disabled {
			return nil
		}
		return s.revoke(ctx, id)
	})
	if err != nil {
		return storage.User{}, fmt.Errorf("update user %q: %w", id, err)
	}
	s.recordUserChange(ctx, a, before, after)
	return after, nil
}

// recordUserChange records one event per aspect that changed.
func (s *Service) recordUserChange(ctx context.Context, a Actor, before, after storage.User) {
	if !slices.Equal(before.Roles, after.Roles) {
		s.record(ctx, a, audit.RolesChanged, after.ID, "", map[string]string{
			"old_roles": strings.Join(before.Roles, " "),
			"roles":     strings.Join(after.Roles, " "),
		})
	}
	if before.Disabled != after.Disabled {
		typ := audit.UserEnabled
		if after.Disabled {
			typ = audit.UserDisabled
		}
		s.record(ctx, a, typ, after.ID, "", nil)
	}
	if before.Name != after.Name {
		s.record(ctx, a, audit.ProfileUpdated, after.ID, "", map[string]string{"fields": "name"})
	}
}

// DeleteUser deletes a user with their sessions, consents, identities and
// tokens. An admin may not delete themselves (ErrSelf).
func (s *Service) DeleteUser(ctx context.Context, a Actor, id string) error {
	if a.ID == id {
		return ErrSelf
	}
	err := storage.InTx(ctx, s.Store, func(ctx context.Context) error {
		u, err := s.Store.GetUser(ctx, id)
		if err != nil {
			return err
		}
		if isActiveAdmin(u) {
			if err := s.keepAnAdmin(ctx, id); err != nil {
				return err
			}
		}
		if err := s.revoke(ctx, id); err != nil {
			return err
		}
		return s.Store.DeleteUser(ctx, id)
	})
	if err != nil {
		return fmt.Errorf("delete user %q: %w", id, err)
	}
	s.record(ctx, a, audit.UserDeleted, id, "", nil)
	return nil
}

// revoke signs the user out of every browser, revokes their tokens and
// deletes the password reset links mailed to them (a disabled account's
// mailbox may be what was compromised).
func (s *Service) revoke(ctx context.Context, userID string) error {
	if err := s.Store.DeleteUserBrowserSessions(ctx, userID); err != nil {
		return fmt.Errorf("end browser sessions: %w", err)
	}
	if err := s.Store.DeleteUserOneTimeTokens(ctx, userID, storage.PurposePasswordReset); err != nil {
		return fmt.Errorf("delete reset links: %w", err)
	}
	if err := s.Store.RevokeSubjectTokens(ctx, userID, ""); err != nil {
		return fmt.Errorf("revoke tokens: %w", err)
	}
	return nil
}

// UserView is how users are shown: never a password hash.
type UserView struct {
	ID            string    `json:"id"`
	Email         string    `json:"email"`
	EmailVerified bool      `json:"email_verified"`
	Name          string    `json:"name"`
	Roles         []string  `json:"roles"`
	Disabled      bool      `json:"disabled"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
	// SecondFactors lists the user's second factors (never a secret);
	// left out where the listing does not look them up.
	SecondFactors *[]FactorView `json:"second_factors,omitempty"`
}

// ViewUser returns the view of u.
func ViewUser(u storage.User) UserView {
	return UserView{
		ID: u.ID, Email: u.Email, EmailVerified: u.EmailVerified, Name: u.Name,
		Roles: nonNil(u.Roles), Disabled: u.Disabled,
		CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt,
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// isActiveAdmin reports whether u can use the admin API.
func isActiveAdmin(u storage.User) bool {
	return !u.Disabled && slices.Contains(u.Roles, storage.RoleAdmin)
}

// keepAnAdmin returns ErrLastAdmin unless an enabled admin other than
// userID exists. It pages through the users: admin changes are rare, and
// this needs no role index. The admin it finds is re-read under its row
// lock (a no-op UpdateUser in the caller's transaction), so two admins
// demoting each other at once cannot both succeed: the second waits for
// the first, then sees the demotion (or the database breaks the deadlock).
func (s *Service) keepAnAdmin(ctx context.Context, userID string) error {
	const page = 1000
	for offset := 0; ; offset += page {
		users, err := s.Store.ListUsers(ctx, storage.ListOptions{Limit: page, Offset: offset})
		if err != nil {
			return fmt.Errorf("look for another admin: %w", err)
		}
		for _, u := range users {
			if u.ID == userID || !isActiveAdmin(u) {
				continue
			}
			still := false
			err := s.Store.UpdateUser(ctx, u.ID, func(cur *storage.User) error {
				still = isActiveAdmin(*cur)
				return nil
			})
			if err != nil && !errors.Is(err, storage.ErrNotFound) {
				return fmt.Errorf("lock another admin: %w", err)
			}
			if still {
				return nil
			}
		}
		if len(users) < page {
			return ErrLastAdmin
		}
	}
}
