package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse/accounts"
	"github.com/gatehouse-id/gatehouse/clients"
	"github.com/gatehouse-id/gatehouse/keys"
	"github.com/gatehouse-id/gatehouse/secret"
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
}

func cmdJanitor(ctx context.Context, d deps, args []string) (any, error) {
	if len(args) > 0 {
		return nil, fmt.Errorf("janitor: unexpected argument %q", args[0])
	}
	n, err := server.CollectGarbage(ctx, d.store, time.Now())
	if err != nil {
		return nil, fmt.Errorf("janitor: %w", err)
	}
	return map[string]any{"deleted": n}, nil
}

// withStore loads the configuration, opens (and migrates) the database,
// runs fn and prints its result as one JSON object.
func withStore(ctx context.Context, configPath string, lookup env, stdout, stderr io.Writer, args []string, fn adminFunc) int {
	cfg, _, err := server.Load(configPath, lookup)
	if err != nil {
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

// clientJSON is how clients are printed: never a secret hash.
type clientJSON struct {
	ID                     string    `json:"client_id"`
	Secret                 string    `json:"client_secret,omitempty"`
	Name                   string    `json:"name"`
	Public                 bool      `json:"public"`
	RedirectURIs           []string  `json:"redirect_uris"`
	PostLogoutRedirectURIs []string  `json:"post_logout_redirect_uris"`
	GrantTypes             []string  `json:"grant_types"`
	Scopes                 []string  `json:"scopes"`
	Audience               []string  `json:"audience"`
	CreatedAt              time.Time `json:"created_at"`
}

func toClientJSON(c storage.Client, plainSecret string) clientJSON {
	return clientJSON{
		ID: c.ID, Secret: plainSecret, Name: c.Name, Public: c.Public,
		RedirectURIs: nonNil(c.RedirectURIs), PostLogoutRedirectURIs: nonNil(c.PostLogoutRedirectURIs),
		GrantTypes: nonNil(c.GrantTypes), Scopes: nonNil(c.Scopes), Audience: nonNil(c.Audience),
		CreatedAt: c.CreatedAt,
	}
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
	if err := parse(fs, args); err != nil {
		return nil, err
	}
	spec.RedirectURIs, spec.PostLogoutRedirectURIs = redirects, logouts
	spec.GrantTypes, spec.Scopes, spec.Audience = grants, scopes, audience
	c, plain, err := clients.Create(ctx, d.store, secret.NewHasher([]byte(d.cfg.Secret)), spec, time.Now())
	if err != nil {
		return nil, err
	}
	return toClientJSON(c, plain), nil
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
	out := make([]clientJSON, 0, len(list))
	for _, c := range list {
		out = append(out, toClientJSON(c, ""))
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
	if err := d.store.DeleteClient(ctx, *id); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return nil, fmt.Errorf("no client %q", *id)
		}
		return nil, fmt.Errorf("delete client: %w", err)
	}
	return map[string]any{"deleted": *id}, nil
}

// userJSON is how users are printed: never a password hash.
type userJSON struct {
	ID            string    `json:"id"`
	Email         string    `json:"email"`
	EmailVerified bool      `json:"email_verified"`
	Name          string    `json:"name"`
	Roles         []string  `json:"roles"`
	Disabled      bool      `json:"disabled"`
	CreatedAt     time.Time `json:"created_at"`
}

func toUserJSON(u storage.User) userJSON {
	return userJSON{ID: u.ID, Email: u.Email, EmailVerified: u.EmailVerified, Name: u.Name,
		Roles: nonNil(u.Roles), Disabled: u.Disabled, CreatedAt: u.CreatedAt}
}

func cmdUsersCreate(ctx context.Context, d deps, args []string) (any, error) {
	fs := flag.NewFlagSet("users create", flag.ContinueOnError)
	var nu accounts.NewUser
	var roles multi
	fs.StringVar(&nu.Email, "email", "", "email address")
	fs.StringVar(&nu.Password, "password", "", "password (8 to 72 bytes)")
	fs.StringVar(&nu.Name, "name", "", "full name")
	fs.Var(&roles, "role", "role: user or admin (repeatable)")
	if err := parse(fs, args); err != nil {
		return nil, err
	}
	if nu.Password == "" {
		return nil, errors.New("users create: --password is required")
	}
	for _, r := range roles {
		if r != storage.RoleUser && r != storage.RoleAdmin {
			return nil, fmt.Errorf("users create: unknown role %q (user or admin)", r)
		}
	}
	if len(roles) > 0 && !slices.Contains(roles, storage.RoleUser) {
		roles = append(roles, storage.RoleUser)
	}
	nu.Roles = roles
	nu.EmailVerified = true // an operator vouches for the address
	acc, err := accounts.New(d.store, d.cfg.BcryptCost)
	if err != nil {
		return nil, err
	}
	u, err := acc.CreateUser(ctx, nu)
	if err != nil {
		return nil, strip(err)
	}
	return toUserJSON(u), nil
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
	out := make([]userJSON, 0, len(list))
	for _, u := range list {
		out = append(out, toUserJSON(u))
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
	km, err := keyManager(ctx, d)
	if err != nil {
		return nil, err
	}
	return km.Rotate(ctx)
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

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
