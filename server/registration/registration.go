// Package registration is dynamic client registration (RFC 7591) at
// POST /oauth2/register and client configuration management (RFC 7592)
// at the registration_client_uri it answers with. Clients that register
// themselves are restricted (clients.DynamicPolicy), labelled with their
// origin, rate limited per client IP, audited, and gated by an initial
// access token unless registration is open.
package registration

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/clients"
	"github.com/gatehouse-id/gatehouse/internal/clientip"
	"github.com/gatehouse-id/gatehouse/ratelimit"
	"github.com/gatehouse-id/gatehouse/secret"
	"github.com/gatehouse-id/gatehouse/storage"
)

// Options configure the registration endpoints.
type Options struct {
	Store  storage.Store
	Hasher clients.Hasher
	Audit  *audit.Recorder
	// Limiter bounds registrations per client IP: RateLimit per hour.
	Limiter   *ratelimit.Limiter
	RateLimit int
	Policy    clients.DynamicPolicy
	// Open lets anyone register; otherwise an initial access token is
	// required.
	Open bool
	// ClientURI is the registration_client_uri of a client id.
	ClientURI func(id string) string
	Logger    *slog.Logger
	Now       func() time.Time
}

// Handler serves the registration endpoints.
type Handler struct {
	o Options
}

// New returns the registration endpoints.
func New(o Options) *Handler {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &Handler{o: o}
}

// response is RFC 7591 section 3.2.1's answer: the registered metadata
// with the client's credentials and its configuration endpoint.
type response struct {
	clients.Metadata
	ClientID                string `json:"client_id"`
	ClientSecret            string `json:"client_secret,omitempty"`
	ClientIDIssuedAt        int64  `json:"client_id_issued_at"`
	ClientSecretExpiresAt   *int64 `json:"client_secret_expires_at,omitempty"`
	RegistrationAccessToken string `json:"registration_access_token,omitempty"`
	RegistrationClientURI   string `json:"registration_client_uri"`
}

// Register serves POST /oauth2/register.
func (h *Handler) Register(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := h.o.Limiter.AllowWithin(ctx, ratelimit.ActionClientRegistration, clientip.FromRequest(r), h.o.RateLimit, time.Hour); err != nil {
		var limited *ratelimit.LimitedError
		if errors.As(err, &limited) {
			w.Header().Set("Retry-After", fmt.Sprint(limited.RetryAfterSeconds()))
		}
		writeError(w, http.StatusTooManyRequests, "too_many_requests", "Too many registrations from this address; try again later.")
		return
	}
	initial, hasToken := bearer(r)
	if !h.o.Open && !hasToken {
		w.Header().Set("WWW-Authenticate", `Bearer realm="registration"`)
		writeError(w, http.StatusUnauthorized, "invalid_token", "Registration needs an initial access token (Authorization: Bearer).")
		return
	}
	m, ok := decodeMetadata(w, r)
	if !ok {
		return
	}
	// The initial access token's use is counted in the transaction that
	// stores the client: a refused registration does not use it up.
	var c storage.Client
	var plain, token string
	err := storage.InTx(ctx, h.o.Store, func(ctx context.Context) error {
		if !h.o.Open {
			if err := h.o.Store.UseInitialAccessToken(ctx, secret.SHA256Hex(initial), h.o.Now()); err != nil {
				return fmt.Errorf("%w: %w", errInitialToken, err)
			}
		}
		var err error
		if m, err = h.o.Policy.Normalize(m); err != nil {
			return err
		}
		c, plain, token, err = h.create(ctx, m)
		return err
	})
	switch {
	case errors.Is(err, errInitialToken) && errors.Is(err, storage.ErrNotFound):
		h.o.Audit.RecordRequest(r, audit.ClientRegistered, audit.Denied, "", "", map[string]string{"reason": "initial access token invalid, expired or used up"})
		w.Header().Set("WWW-Authenticate", `Bearer realm="registration", error="invalid_token"`)
		writeError(w, http.StatusUnauthorized, "invalid_token", "The initial access token is invalid, expired or used up.")
		return
	case err != nil:
		h.refuse(w, r, "", err)
		return
	}
	h.o.Audit.RecordRequest(r, audit.ClientRegistered, audit.Success, "", c.ID, map[string]string{
		"redirect_hosts": redirectHosts(m.RedirectURIs),
		"scopes":         m.Scope,
		"auth_method":    m.TokenEndpointAuthMethod,
		"client_name":    m.ClientName,
	})
	resp := h.answer(c, m)
	resp.ClientSecret, resp.RegistrationAccessToken = plain, token
	w.Header().Set("Location", resp.RegistrationClientURI)
	writeJSON(w, http.StatusCreated, resp)
}

// create stores the client of normalized metadata m under a fresh id,
// with a registration access token of which only the hash is kept.
func (h *Handler) create(ctx context.Context, m clients.Metadata) (storage.Client, string, string, error) {
	token := secret.Token(32)
	raw, err := json.Marshal(m)
	if err != nil {
		return storage.Client{}, "", "", fmt.Errorf("registration: marshal metadata: %w", err)
	}
	reg := clients.Registration{Origin: storage.ClientOriginDynamic, TokenHash: tokenHash(token), Metadata: raw}
	for range 3 { // a fresh random id is taken only by a one-in-2^128 chance
		c, plain, err := clients.Register(ctx, h.o.Store, h.o.Hasher, m.Spec(newClientID()), reg, h.o.Now())
		if errors.Is(err, clients.ErrExists) {
			continue
		}
		return c, plain, token, err
	}
	return storage.Client{}, "", "", errors.New("registration: no free client id")
}

// newClientID is a random client id, recognisably self-registered.
func newClientID() string { return "dyn-" + secret.Token(16) }

// tokenHash is how a registration access token is stored: SHA-256, since
// the token is 256 random bits.
func tokenHash(token string) []byte {
	return []byte(secret.SHA256Hex(token))
}

// errInitialToken wraps a failure to use the initial access token.
var errInitialToken = errors.New("registration: initial access token")

// bearer returns the request's bearer token.
func bearer(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	token = strings.TrimSpace(token)
	return token, ok && strings.EqualFold(scheme, "Bearer") && token != ""
}

// sameToken compares a presented registration access token with the
// stored hash in constant time.
func sameToken(stored []byte, token string) bool {
	return len(stored) > 0 && subtle.ConstantTimeCompare(stored, tokenHash(token)) == 1
}

// answer is the RFC 7591 / 7592 answer for client c with metadata m.
func (h *Handler) answer(c storage.Client, m clients.Metadata) response {
	resp := response{
		Metadata:              m,
		ClientID:              c.ID,
		ClientIDIssuedAt:      c.CreatedAt.Unix(),
		RegistrationClientURI: h.o.ClientURI(c.ID),
	}
	resp.Metadata.ClientID = ""
	if !c.Public {
		never := int64(0)
		resp.ClientSecretExpiresAt = &never
	}
	return resp
}

// redirectHosts lists the hosts (or private-use schemes) of uris, for the
// audit log.
func redirectHosts(uris []string) string {
	var out []string
	for _, u := range uris {
		host, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(u, "https://"), "http://"), "/")
		if i := strings.Index(u, ":"); !strings.HasPrefix(u, "http") && i > 0 {
			host = u[:i] + ":"
		}
		out = append(out, host)
	}
	return strings.Join(out, " ")
}
