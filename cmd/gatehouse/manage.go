package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"github.com/gatehouse-id/gatehouse/accounts"
	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/manage"
	"github.com/gatehouse-id/gatehouse/secret"
	"github.com/gatehouse-id/gatehouse/server"
	"github.com/gatehouse-id/gatehouse/storage"
)

// manager returns the operator actions over d's store. Their audit events
// are stored with actor "cli"; the CLI's own output stays one JSON object.
func (d deps) manager(ctx context.Context) (*manage.Service, error) {
	acc, err := accounts.New(d.store, d.cfg.BcryptCost)
	if err != nil {
		return nil, err
	}
	km, err := keyManager(ctx, d)
	if err != nil {
		return nil, err
	}
	factors, err := server.NewMFA(d.cfg, d.store, nil)
	if err != nil {
		return nil, err
	}
	return &manage.Service{
		Store:    d.store,
		Accounts: acc,
		Hasher:   secret.NewHasher([]byte(d.cfg.Secret)),
		Keys:     km,
		Audit:    audit.New(d.store, slog.New(slog.DiscardHandler)),
		MFA:      factors,
	}, nil
}

// cmdUsersResetMFA removes every second factor of a user (who lost their
// phone or security key): they sign in with their password alone until
// they set up a new one. The CLI sends no mail; the admin API does.
func cmdUsersResetMFA(ctx context.Context, d deps, args []string) (any, error) {
	fs := flag.NewFlagSet("users reset-mfa", flag.ContinueOnError)
	u := newUserFlags(fs)
	return userAction(ctx, d, fs, u, args, func(svc *manage.Service, user storage.User) (any, error) {
		kinds, err := svc.ResetMFA(ctx, manage.CLI, user.ID)
		if err != nil {
			return nil, fmt.Errorf("users reset-mfa: %w", err)
		}
		return map[string]any{"user_id": user.ID, "email": user.Email, "removed": kinds}, nil
	})
}

// userFlags are --email or --id, naming one user.
type userFlags struct{ email, id string }

func newUserFlags(fs *flag.FlagSet) *userFlags {
	var u userFlags
	fs.StringVar(&u.email, "email", "", "the user's email address")
	fs.StringVar(&u.id, "id", "", "the user's id")
	return &u
}

// lookup finds the user the flags name.
func (u *userFlags) lookup(ctx context.Context, d deps, cmd string) (storage.User, error) {
	var user storage.User
	var err error
	switch {
	case (u.email == "") == (u.id == ""):
		return storage.User{}, fmt.Errorf("%s: give --email or --id", cmd)
	case u.id != "":
		user, err = d.store.GetUser(ctx, u.id)
	default:
		email, nerr := accounts.NormalizeEmail(u.email)
		if nerr != nil {
			return storage.User{}, fmt.Errorf("%s: %w", cmd, strip(nerr))
		}
		user, err = d.store.GetUserByEmail(ctx, email)
	}
	if errors.Is(err, storage.ErrNotFound) {
		return storage.User{}, fmt.Errorf("%s: no such user", cmd)
	}
	if err != nil {
		return storage.User{}, fmt.Errorf("%s: %w", cmd, err)
	}
	return user, nil
}

// userAction parses the flags, finds the user they name and runs act on
// them.
func userAction(ctx context.Context, d deps, fs *flag.FlagSet, u *userFlags, args []string,
	act func(svc *manage.Service, user storage.User) (any, error)) (any, error) {
	if err := parse(fs, args); err != nil {
		return nil, err
	}
	user, err := u.lookup(ctx, d, fs.Name())
	if err != nil {
		return nil, err
	}
	svc, err := d.manager(ctx)
	if err != nil {
		return nil, err
	}
	return act(svc, user)
}

// updateUser applies the change ch builds to the user the flags name and
// prints the user.
func updateUser(ctx context.Context, d deps, fs *flag.FlagSet, u *userFlags, args []string, ch func() (manage.UserChange, error)) (any, error) {
	return userAction(ctx, d, fs, u, args, func(svc *manage.Service, user storage.User) (any, error) {
		change, err := ch()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", fs.Name(), err)
		}
		user, err = svc.UpdateUser(ctx, manage.CLI, user.ID, change)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", fs.Name(), strip(err))
		}
		return manage.ViewUser(user), nil
	})
}

// cmdUsersSetRole replaces a user's roles; "user" is always kept.
func cmdUsersSetRole(ctx context.Context, d deps, args []string) (any, error) {
	fs := flag.NewFlagSet("users set-role", flag.ContinueOnError)
	u := newUserFlags(fs)
	var roles multi
	fs.Var(&roles, "role", "role (repeatable; replaces the user's roles)")
	return updateUser(ctx, d, fs, u, args, func() (manage.UserChange, error) {
		if len(roles) == 0 {
			// Forgetting the flag must not strip every role.
			return manage.UserChange{}, errors.New("give at least one --role (--role user keeps only the base role)")
		}
		r := []string(roles)
		return manage.UserChange{Roles: &r}, nil
	})
}

// cmdUsersStatus disables a user (ending their sessions and revoking their
// tokens) or enables them again.
func cmdUsersStatus(disable bool) adminFunc {
	name := "users enable"
	if disable {
		name = "users disable"
	}
	return func(ctx context.Context, d deps, args []string) (any, error) {
		fs := flag.NewFlagSet(name, flag.ContinueOnError)
		u := newUserFlags(fs)
		return updateUser(ctx, d, fs, u, args, func() (manage.UserChange, error) {
			return manage.UserChange{Disabled: &disable}, nil
		})
	}
}

// cmdUsersDelete deletes a user with their sessions and tokens.
func cmdUsersDelete(ctx context.Context, d deps, args []string) (any, error) {
	fs := flag.NewFlagSet("users delete", flag.ContinueOnError)
	u := newUserFlags(fs)
	return userAction(ctx, d, fs, u, args, func(svc *manage.Service, user storage.User) (any, error) {
		if err := svc.DeleteUser(ctx, manage.CLI, user.ID); err != nil {
			return nil, fmt.Errorf("users delete: %w", err)
		}
		return map[string]any{"deleted": user.ID, "email": user.Email}, nil
	})
}

// cmdClientsRotateSecret prints a confidential client's new secret, once.
func cmdClientsRotateSecret(ctx context.Context, d deps, args []string) (any, error) {
	fs := flag.NewFlagSet("clients rotate-secret", flag.ContinueOnError)
	id := fs.String("id", "", "client id")
	if err := parse(fs, args); err != nil {
		return nil, err
	}
	if *id == "" {
		return nil, errors.New("clients rotate-secret: --id is required")
	}
	svc, err := d.manager(ctx)
	if err != nil {
		return nil, err
	}
	c, plain, err := svc.RotateClientSecret(ctx, manage.CLI, *id)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, fmt.Errorf("no client %q", *id)
	}
	if err != nil {
		return nil, fmt.Errorf("clients rotate-secret: %w", err)
	}
	return map[string]any{"client_id": c.ID, "client_secret": plain}, nil
}

// cmdClientsInitialToken prints a new initial access token for dynamic
// client registration, once.
func cmdClientsInitialToken(ctx context.Context, d deps, args []string) (any, error) {
	fs := flag.NewFlagSet("clients initial-token", flag.ContinueOnError)
	ttl := fs.Duration("ttl", 24*time.Hour, "how long the token is valid")
	uses := fs.Int("uses", 1, "how many registrations it allows (0: any number until it expires)")
	if err := parse(fs, args); err != nil {
		return nil, err
	}
	svc, err := d.manager(ctx)
	if err != nil {
		return nil, err
	}
	tok, err := svc.CreateInitialToken(ctx, manage.CLI, *ttl, *uses)
	if err != nil {
		return nil, fmt.Errorf("clients initial-token: %w", err)
	}
	return tok, nil
}
