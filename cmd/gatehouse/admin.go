package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse/accounts"
	"github.com/gatehouse-id/gatehouse/clients"
	"github.com/gatehouse-id/gatehouse/keys"
	"github.com/gatehouse-id/gatehouse/manage"
	"github.com/gatehouse-id/gatehouse/server"
	"github.com/gatehouse-id/gatehouse/storage"
)

// deps are what an admin command works with.
type deps struct {
	cfg   server.Config
	store storage.Store
}

type adminFunc func(ctx context.Context, d deps, args []string) (any, error)

var adminCommands = map[string]adminFunc{
	"clients create": cmdClientsCreate,
	"clients list":   cmdClientsList,
	"clients delete": cmdClientsDelete,
	"users create":   cmdUsersCreate,
	"users list":     cmdUsersList,
	"keys rotate":    cmdKeysRotate,
	"keys list":      cmdKeysList,

	"users set-role":        cmdUsersSetRole,
	"users disable":         cmdUsersStatus(true),
	"users enable":          cmdUsersStatus(false),
	"users delete":          cmdUsersDelete,
	"users reset-mfa":       cmdUsersResetMFA,
	"clients rotate-secret": cmdClientsRotateSecret,
	"clients initial-token": cmdClientsInitialToken,
}

func cmdJanitor(ctx context.Context, d deps, args []string) (any, error) {
	if len(args) > 0 {
		return nil, fmt.Errorf("janitor: unexpected argument %q", args[0])
	}
	j := server.NewJanitor(d.store, d.cfg)
	j.Deadline = 0 // run to the end, in the server's small batches
	res, err := j.Pass(ctx, time.Now())
	if err != nil {
		return nil, fmt.Errorf("janitor: %w", err)
	}
	return map[string]any{"deleted": res.Expired, "audit_events_deleted": res.AuditEvents, "unused_clients_deleted": res.UnusedClients}, nil
}

// withStore loads the configuration, opens (and migrates) the database,
// runs fn and prints its result as one JSON object.
//
// Only migrate (create) makes a SQLite database that does not exist: for
// any other command a missing file is a mistyped path, refused.
func withStore(ctx context.Context, configPath string, lookup env, stdout, stderr io.Writer, args []string, create bool, fn adminFunc) int {
	cfg, err := server.LoadAndValidate(configPath, lookup)
	if err != nil {
		return fail(stderr, err)
	}
	if !create {
		if err := server.RequireDatabase(cfg.Database); err != nil {
			return fail(stderr, err)
		}
	}
	if _, err := server.EnsureDevSecret(&cfg); err != nil {
		return fail(stderr, err)
	}
	store, err := server.OpenStore(ctx, cfg.Database, cfg.DatabasePool)
	if err != nil {
		return fail(stderr, err)
	}
	defer store.Close()
	d := deps{cfg: cfg, store: store}
	// Loading the signing keys proves the secret is the server's: a CLI
	// run with another secret would write clients nobody can authenticate.
	if _, err := keyManager(ctx, d); err != nil {
		return fail(stderr, err)
	}
	out, err := fn(ctx, d, args)
	if err != nil {
		return fail(stderr, err)
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fail(stderr, err)
	}
	return 0
}

func cmdMigrate(_ context.Context, d deps, args []string) (any, error) {
	if len(args) > 0 {
		return nil, fmt.Errorf("migrate: unexpected argument %q", args[0])
	}
	return map[string]any{"status": "migrated"}, nil // OpenStore migrated
}

// multi is a repeatable string flag that also splits on commas.
type multi []string

func (m *multi) String() string { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*m = append(*m, p)
		}
	}
	return nil
}

// parse parses flags quietly, turning errors into one line.
func parse(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%s: %w", fs.Name(), err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return nil
}

func cmdClientsCreate(ctx context.Context, d deps, args []string) (any, error) {
	fs := flag.NewFlagSet("clients create", flag.ContinueOnError)
	var spec clients.Spec
	var redirects, logouts, grants, scopes, audience multi
	fs.StringVar(&spec.ID, "id", "", "client id")
	fs.StringVar(&spec.Name, "name", "", "display name")
	fs.StringVar(&spec.Secret, "secret", "", "client secret (at least 32 characters; generated when omitted)")
	fs.BoolVar(&spec.Public, "public", false, "public client (no secret; PKCE only)")
	fs.Var(&redirects, "redirect-uri", "redirect URI (repeatable)")
	fs.Var(&logouts, "post-logout-redirect-uri", "post-logout redirect URI (repeatable)")
	fs.Var(&grants, "grant-type", "grant type (repeatable)")
	fs.Var(&scopes, "scope", "allowed scope (repeatable)")
	fs.Var(&audience, "audience", "allowed audience (repeatable)")
	fs.BoolVar(&spec.IntrospectAny, "introspect-any", false, "a resource server: may introspect any token (others only their own)")
	fs.StringVar(&spec.BackchannelLogoutURI, "backchannel-logout-uri", "", "where logout tokens go when a browser session ends (OIDC Back-Channel Logout)")
	fs.BoolVar(&spec.BackchannelLogoutSessionRequired, "backchannel-logout-session-required", false, "the client needs sid in logout tokens (always sent)")
	fs.BoolVar(&spec.RequireMFA, "require-mfa", false, "every person signing in to this client must use a second factor")
	fs.StringVar(&spec.PKCE, "pkce", clients.PKCERequired, "required, or optional (confidential clients only; a challenge sent is still checked)")
	fs.BoolVar(&spec.RequirePAR, "require-par", false, "every authorization request must be pushed first (RFC 9126)")
	fs.BoolVar(&spec.RequireDPoP, "require-dpop", false, "every token request must carry a DPoP proof (RFC 9449)")
	fs.BoolVar(&spec.AllowImpersonation, "allow-impersonation", false, "token exchange may issue tokens with no actor (RFC 8693 impersonation)")
	if err := parse(fs, args); err != nil {
		return nil, err
	}
	spec.RedirectURIs, spec.PostLogoutRedirectURIs = redirects, logouts
	spec.GrantTypes, spec.Scopes, spec.Audience = grants, scopes, audience
	svc, err := d.manager(ctx)
	if err != nil {
		return nil, err
	}
	c, plain, err := svc.CreateClient(ctx, manage.CLI, spec)
	if err != nil {
		return nil, err
	}
	return manage.ViewClient(c, plain), nil
}

func cmdClientsList(ctx context.Context, d deps, args []string) (any, error) {
	fs := flag.NewFlagSet("clients list", flag.ContinueOnError)
	opts := listFlags(fs)
	if err := parse(fs, args); err != nil {
		return nil, err
	}
	list, err := d.store.ListClients(ctx, *opts)
	if err != nil {
		return nil, fmt.Errorf("list clients: %w", err)
	}
	out := make([]manage.ClientView, 0, len(list))
	for _, c := range list {
		out = append(out, manage.ViewClient(c, ""))
	}
	return map[string]any{"clients": out}, nil
}

func cmdClientsDelete(ctx context.Context, d deps, args []string) (any, error) {
	fs := flag.NewFlagSet("clients delete", flag.ContinueOnError)
	id := fs.String("id", "", "client id")
	if err := parse(fs, args); err != nil {
		return nil, err
	}
	if *id == "" {
		return nil, errors.New("clients delete: --id is required")
	}
	svc, err := d.manager(ctx)
	if err != nil {
		return nil, err
	}
	if err := svc.DeleteClient(ctx, manage.CLI, *id); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return nil, fmt.Errorf("no client %q", *id)
		}
		return nil, fmt.Errorf("delete client: %w", err)
	}
	return map[string]any{"deleted": *id}, nil
}

func cmdUsersCreate(ctx context.Context, d deps, args []string) (any, error) {
	fs := flag.NewFlagSet("users create", flag.ContinueOnError)
	var nu accounts.NewUser
	var roles multi
	fs.StringVar(&nu.Email, "email", "", "email address")
	fs.StringVar(&nu.Password, "password", "", "password (8 to 72 bytes); visible to other local users in the process list")
	passwordFile := fs.String("password-file", "", "read the password from this file (its first line), e.g. /dev/stdin")
	fs.StringVar(&nu.Name, "name", "", "full name")
	fs.Var(&roles, "role", "role: user, admin or another role name (repeatable)")
	if err := parse(fs, args); err != nil {
		return nil, err
	}
	switch {
	case nu.Password != "" && *passwordFile != "":
		return nil, errors.New("users create: use --password or --password-file, not both")
	case *passwordFile != "":
		raw, err := os.ReadFile(*passwordFile)
		if err != nil {
			return nil, fmt.Errorf("users create: --password-file: %w", err)
		}
		nu.Password, _, _ = strings.Cut(string(raw), "\n")
		nu.Password = strings.TrimSuffix(nu.Password, "\r")
	}
	if nu.Password == "" {
		return nil, errors.New("users create: --password or --password-file is required")
	}
	// The rules the registration page applies (length, and the common
	// passwords when registration.common_passwords is on).
	if err := accounts.CheckNewPassword(nu.Password, d.cfg.Registration.CommonPasswords); err != nil {
		return nil, fmt.Errorf("users create: %w", err)
	}
	nu.Roles = roles // always with "user" (accounts.NormalizeRoles)
	// An operator vouches for the address.
	nu.EmailVerified = true
	svc, err := d.manager(ctx)
	if err != nil {
		return nil, err
	}
	u, err := svc.CreateUser(ctx, manage.CLI, nu)
	if err != nil {
		return nil, strip(err)
	}
	return manage.ViewUser(u), nil
}

func cmdUsersList(ctx context.Context, d deps, args []string) (any, error) {
	fs := flag.NewFlagSet("users list", flag.ContinueOnError)
	opts := listFlags(fs)
	if err := parse(fs, args); err != nil {
		return nil, err
	}
	list, err := d.store.ListUsers(ctx, *opts)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	svc := &manage.Service{Store: d.store}
	if d.cfg.Secret != "" {
		if svc.MFA, err = server.NewMFA(d.cfg, d.store, nil); err != nil {
			return nil, err
		}
	}
	out := make([]manage.UserView, 0, len(list))
	for _, u := range list {
		v, err := svc.ViewUserFactors(ctx, u)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return map[string]any{"users": out}, nil
}

func listFlags(fs *flag.FlagSet) *storage.ListOptions {
	var o storage.ListOptions
	fs.StringVar(&o.Search, "search", "", "filter")
	fs.IntVar(&o.Limit, "limit", 100, "page size")
	fs.IntVar(&o.Offset, "offset", 0, "page offset")
	return &o
}

func keyManager(ctx context.Context, d deps) (*keys.Manager, error) {
	return keys.New(ctx, server.KeyOptions(d.cfg, d.store, slog.New(slog.DiscardHandler)))
}

func cmdKeysRotate(ctx context.Context, d deps, args []string) (any, error) {
	if len(args) > 0 {
		return nil, fmt.Errorf("keys rotate: unexpected argument %q", args[0])
	}
	svc, err := d.manager(ctx)
	if err != nil {
		return nil, err
	}
	return svc.RotateKey(ctx, manage.CLI)
}

func cmdKeysList(ctx context.Context, d deps, args []string) (any, error) {
	if len(args) > 0 {
		return nil, fmt.Errorf("keys list: unexpected argument %q", args[0])
	}
	km, err := keyManager(ctx, d)
	if err != nil {
		return nil, err
	}
	list, err := km.List(ctx)
	if err != nil {
		return nil, err
	}
	return map[string]any{"keys": list}, nil
}

// strip removes the "accounts: " package prefix from user-facing errors.
func strip(err error) error {
	return errors.New(strings.TrimPrefix(err.Error(), "accounts: "))
}
