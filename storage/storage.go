// Package storage defines everything Gatehouse persists: users, clients,
// browser sessions, consents, signing keys and the token sessions fosite
// needs. Backends (storage/sqlite, later storage/postgres) implement Store and
// must pass the storagetest conformance suite. This package imports neither
// fosite nor net/http: server/oauth adapts fosite's interfaces onto it.
package storage

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors every backend returns (wrapped or not); test with errors.Is.
var (
	// ErrNotFound: no row matched.
	ErrNotFound = errors.New("storage: not found")
	// ErrAlreadyExists: a unique key (id, email, signature) is taken.
	ErrAlreadyExists = errors.New("storage: already exists")
	// ErrConflict: a transaction lost a serialization or lock conflict and
	// may be retried by the caller.
	ErrConflict = errors.New("storage: concurrent update conflict")
	// ErrInvalid: a write holds text that cannot be stored: invalid UTF-8
	// or a NUL byte (PostgreSQL refuses both, so every backend does).
	// Looking a row up by such text finds nothing (ErrNotFound); audit
	// events and browser sessions are stored with such text cleaned
	// (invalid bytes become U+FFFD, NUL bytes are dropped) instead.
	ErrInvalid = errors.New("storage: invalid text (not UTF-8, or a NUL byte)")
)

// Failed reports whether err is a failure of the database itself (down,
// full, a refused statement) rather than one of its answers (ErrNotFound,
// ErrAlreadyExists, ErrConflict, ErrInvalid) or the caller giving up
// (context canceled). Callers answer such a failure as "try again",
// never as the client's or the person's fault.
func Failed(err error) bool {
	switch {
	case err == nil, errors.Is(err, ErrNotFound), errors.Is(err, ErrAlreadyExists),
		errors.Is(err, ErrConflict), errors.Is(err, ErrInvalid), errors.Is(err, context.Canceled):
		return false
	}
	return true
}

// Store is the whole persistence API. Every method runs on the transaction
// carried by ctx when there is one (see Tx), else on its own. Times come back
// in UTC, to the microsecond; a zero optional time (Consent.ExpiresAt,
// Key.RetireAt, TokenSession.ExpiresAt) means "never".
type Store interface {
	Tx
	Users
	Clients
	BrowserSessions
	Consents
	Keys
	TokenSessions
	JTIs
	DeviceCodes
	Identities
	Passkeys
	OneTimeTokens
	InitialAccessTokens
	AuditEvents
	RateCounters
	Logouts
	SecondFactors
	Overview

	// Migrate brings the schema to the newest version. Open runs it too.
	Migrate(ctx context.Context) error
	// Ping checks that the database answers (readiness).
	Ping(ctx context.Context) error
	// GarbageCollect deletes rows that expired before now (token and
	// browser sessions, JTIs, retired keys, expired consents, one-time
	// tokens, rate counters, and initial access tokens expired or used up),
	// at most batch rows per table per call,
	// and reports how many it deleted. Audit events have their own
	// retention: DeleteAuditEventsBefore.
	GarbageCollect(ctx context.Context, now time.Time, batch int) (int64, error)
	// Close releases the database.
	Close() error
}

// Tx matches fosite's storage.Transactional: BeginTx returns a context that
// carries the transaction; Commit and Rollback end it. BeginTx on a context
// that already carries a transaction joins it: the returned context is marked
// nested, and Commit or Rollback on a nested context do nothing, leaving the
// outermost caller to decide.
type Tx interface {
	BeginTx(ctx context.Context) (context.Context, error)
	Commit(ctx context.Context) error
	Rollback(ctx context.Context) error
}

// InTx runs fn in one transaction on s, committing when fn returns nil and
// rolling back otherwise, also when fn panics (the panic goes on). When ctx
// already carries a transaction fn joins it.
func InTx(ctx context.Context, s Tx, fn func(ctx context.Context) error) error {
	txCtx, err := s.BeginTx(ctx)
	if err != nil {
		return err
	}
	ended := false
	defer func() {
		if !ended {
			// fn panicked: a transaction left open would hold its
			// connection and locks (SQLite's one writer) until ctx ends,
			// which for a background job or the CLI is never.
			_ = s.Rollback(txCtx)
		}
	}()
	err = fn(txCtx)
	ended = true
	if err != nil {
		if rbErr := s.Rollback(txCtx); rbErr != nil {
			return errors.Join(err, rbErr)
		}
		return err
	}
	return s.Commit(txCtx)
}

// Role names built into Gatehouse.
const (
	RoleUser  = "user"
	RoleAdmin = "admin"
)

// User is a person who can sign in.
type User struct {
	ID            string
	Email         string // lower-case, unique
	EmailVerified bool
	Name          string
	PasswordHash  []byte // bcrypt; empty for users who only sign in upstream
	Roles         []string
	Disabled      bool
	CreatedAt     time.Time
	UpdatedAt     time.Time
	// Profile holds the OpenID Connect standard claims the person may set
	// beyond their name (empty when unknown).
	Profile Profile
}

// Profile is the part of a person's OpenID Connect profile claims
// (OIDC Core section 5.1) Gatehouse keeps besides the name.
type Profile struct {
	GivenName         string
	FamilyName        string
	PreferredUsername string
	Locale            string // a BCP 47 language tag
	Picture           string // an https URL
}

// ListOptions pages a listing ordered by creation time, then id. Limit 0
// means a backend default (100); larger limits are capped at 1000.
type ListOptions struct {
	Limit  int
	Offset int
	Search string // case-insensitive substring of email (users) or id or name (clients)
}

// Users stores people.
type Users interface {
	// CreateUser stores u; ErrAlreadyExists when the id or email is taken.
	CreateUser(ctx context.Context, u User) error
	GetUser(ctx context.Context, id string) (User, error)
	// GetUserByEmail looks the user up by email, case-insensitively.
	GetUserByEmail(ctx context.Context, email string) (User, error)
	ListUsers(ctx context.Context, opts ListOptions) ([]User, error)
	// UpdateUser reads the user, applies fn and writes the result atomically.
	UpdateUser(ctx context.Context, id string, fn func(*User) error) error
	// DeleteUser removes the user with its browser sessions, consents,
	// identities, one-time tokens and token sessions (those whose subject
	// is the user).
	DeleteUser(ctx context.Context, id string) error
}

// Client is a registered OAuth2 client.
type Client struct {
	ID                     string
	Name                   string
	SecretHash             []byte // HMAC-SHA256 of the secret; empty for public clients
	Public                 bool
	RedirectURIs           []string
	PostLogoutRedirectURIs []string
	GrantTypes             []string
	ResponseTypes          []string
	Scopes                 []string
	Audience               []string
	// IntrospectAny marks a resource server: it may introspect any token.
	// Every other client may introspect only the tokens issued to it.
	IntrospectAny bool
	// RequireMFA: every authorization request of this client is treated
	// as asking for acr "mfa" (a second factor).
	RequireMFA bool
	// RequirePAR makes the client send every authorization request
	// through the pushed authorization request endpoint (RFC 9126).
	RequirePAR bool
	// RequireDPoP makes the client prove possession of a key (RFC 9449)
	// at the token endpoint: its access tokens are all DPoP-bound.
	RequireDPoP bool
	// AllowImpersonation lets the client exchange a subject token for a
	// token that acts as the subject with no actor (RFC 8693
	// impersonation); without it the exchanged token always names an
	// actor (the actor token's subject, or else the client itself).
	AllowImpersonation bool
	CreatedAt          time.Time
	UpdatedAt          time.Time
	// BackchannelLogoutURI, when set, receives a logout token when a
	// browser session the client got tokens in ends (OpenID Connect
	// Back-Channel Logout 1.0); BackchannelLogoutSessionRequired is the
	// client's backchannel_logout_session_required.
	BackchannelLogoutURI             string
	BackchannelLogoutSessionRequired bool
	// ConfigManaged marks a client declared in the configuration file: it
	// is written at start only, never through the admin API or the CLI.
	ConfigManaged bool
	// Disabled clients are refused everywhere (a config-managed client
	// whose entry left the configuration file).
	Disabled bool
	// PKCEOptional lets a confidential client leave PKCE out; a request
	// that sends a code challenge is still held to it.
	PKCEOptional bool
	// Origin says who registered the client: "" an operator,
	// ClientOriginDynamic the client itself (RFC 7591),
	// ClientOriginMetadataDocument its client ID metadata document.
	Origin string
	// RegistrationTokenHash is the SHA-256 of the RFC 7592 registration
	// access token of a dynamically registered client (nil otherwise).
	RegistrationTokenHash []byte
	// Metadata is the client's registered metadata as JSON (RFC 7591
	// fields Gatehouse keeps but does not act on: client_uri, logo_uri,
	// contacts, …); nil when none.
	Metadata []byte
	// LastUsedAt is when the client was last issued a token, kept for
	// self-registered clients (zero: never).
	LastUsedAt time.Time
}

// Client origins (Client.Origin).
const (
	ClientOriginOperator         = ""
	ClientOriginDynamic          = "dynamic"
	ClientOriginMetadataDocument = "metadata_document"
)

// Clients stores OAuth2 clients.
type Clients interface {
	CreateClient(ctx context.Context, c Client) error
	GetClient(ctx context.Context, id string) (Client, error)
	ListClients(ctx context.Context, opts ListOptions) ([]Client, error)
	UpdateClient(ctx context.Context, id string, fn func(*Client) error) error
	// DeleteClient removes the client with its consents and token sessions.
	DeleteClient(ctx context.Context, id string) error
	// DeleteUnusedClients deletes, with their consents and token
	// sessions, at most limit clients of origin (never the operator's,
	// "") last used, or created when never used, before before, and
	// reports how many it deleted.
	DeleteUnusedClients(ctx context.Context, origin string, before time.Time, limit int) (int64, error)
}

// InitialAccessToken gates dynamic client registration (RFC 7591
// section 3): only its SHA-256 is stored.
type InitialAccessToken struct {
	Hash      string // hex SHA-256 of the token
	CreatedAt time.Time
	ExpiresAt time.Time
	// MaxUses is how many registrations it allows (0: any number until
	// it expires); Uses how many it made.
	MaxUses int
	Uses    int
}

// InitialAccessTokens stores the tokens that allow dynamic registration.
type InitialAccessTokens interface {
	CreateInitialAccessToken(ctx context.Context, t InitialAccessToken) error
	// UseInitialAccessToken counts one use of the unexpired token with
	// hash that has uses left, atomically; ErrNotFound otherwise.
	UseInitialAccessToken(ctx context.Context, hash string, now time.Time) error
}

// BrowserSession is a signed-in browser. ID is the SHA-256 (hex) of the
// random value in the cookie, never the cookie value itself.
type BrowserSession struct {
	ID string
	// SID is the session's public id: the sid claim of ID tokens and of
	// back-channel logout tokens. It is random, unrelated to the cookie,
	// and unique; a backend fills in a random one when it is empty.
	SID       string
	UserID    string
	AuthTime  time.Time // when the person last entered credentials
	CreatedAt time.Time
	ExpiresAt time.Time
	IP        string
	UserAgent string
	// Factors are the ways the person proved who they are in this
	// session, in the order used (see SessionFactor).
	Factors []SessionFactor
	// ACR is the authentication context class the session reached:
	// "pwd", "mfa" or "phr" ("" for sessions from before second factors).
	ACR string
}

// BrowserSessions stores signed-in browsers.
type BrowserSessions interface {
	CreateBrowserSession(ctx context.Context, s BrowserSession) error
	// GetBrowserSession returns ErrNotFound for unknown or expired sessions.
	GetBrowserSession(ctx context.Context, id string, now time.Time) (BrowserSession, error)
	// ListBrowserSessions returns the user's sessions unexpired at now,
	// oldest first.
	ListBrowserSessions(ctx context.Context, userID string, now time.Time) ([]BrowserSession, error)
	// DeleteBrowserSession ends the session with id, if any. Ending a
	// session, here, in DeleteUserBrowserSessions and in DeleteUser, is
	// one transaction that also revokes the tokens issued in it (see
	// Logouts.AddSessionClient: codes and refresh tokens deactivated,
	// access tokens deleted) and queues a LogoutDelivery for each enabled
	// client with a BackchannelLogoutURI that got tokens in it.
	DeleteBrowserSession(ctx context.Context, id string) error
	// DeleteUserBrowserSessions ends every session of the user (sign out
	// everywhere), as DeleteBrowserSession does.
	DeleteUserBrowserSessions(ctx context.Context, userID string) error
	// RenewBrowserSession replaces the session oldID by bs, a new id for a
	// new sign-in of the same user on the same browser: bs keeps the old
	// SID (bs.SID is ignored) and with it what was recorded in the
	// session, and nothing ends. The times, address, agent, factors and
	// acr are bs's. ErrNotFound when there is no session
	// oldID of bs.UserID.
	RenewBrowserSession(ctx context.Context, oldID string, bs BrowserSession) error
}

// Consent records that a user granted a client some scopes.
type Consent struct {
	UserID    string
	ClientID  string
	Scopes    []string
	GrantedAt time.Time
	ExpiresAt time.Time // zero: does not expire
}

// Consents stores granted consents, one per (user, client).
type Consents interface {
	// SaveConsent creates or replaces the consent of (UserID, ClientID).
	SaveConsent(ctx context.Context, c Consent) error
	// UpdateConsent reads the consent of (userID, clientID), or a new one
	// with only those two set when there is none, applies fn and writes
	// the result atomically: concurrent updates (two consent pages
	// granting different scopes) never lose one another. An error from fn
	// writes nothing.
	UpdateConsent(ctx context.Context, userID, clientID string, fn func(*Consent) error) error
	GetConsent(ctx context.Context, userID, clientID string) (Consent, error)
	ListConsents(ctx context.Context, userID string) ([]Consent, error)
	DeleteConsent(ctx context.Context, userID, clientID string) error
}

// Key is a signing key. PrivateKey is encrypted by the keys package; storage
// treats it as opaque bytes.
type Key struct {
	ID         string // the JWK kid
	Algorithm  string // RS256, ES256, EdDSA
	PrivateKey []byte // encrypted private key
	PublicJWK  []byte // JSON of the public JWK
	CreatedAt  time.Time
	// SignFrom is when the key starts signing; it is published before.
	SignFrom time.Time
	// RetireAt, when set, is when the key leaves the JWKS: after every token
	// it signed has expired. Zero while the key is current.
	RetireAt time.Time
}

// Keys stores signing keys.
type Keys interface {
	CreateKey(ctx context.Context, k Key) error
	// ListKeys returns all keys, oldest SignFrom first.
	ListKeys(ctx context.Context) ([]Key, error)
	UpdateKey(ctx context.Context, id string, fn func(*Key) error) error
	DeleteKey(ctx context.Context, id string) error
	// UpdateKeys is a compare-and-swap of the whole key set, as key
	// rotation needs: fn gets every key (oldest SignFrom first) and
	// returns the set to store, which replaces it atomically. Concurrent
	// calls, also from other processes, are serialized: each fn sees what
	// the one before it stored. When fn fails nothing changes. It joins
	// the transaction in ctx, if any.
	UpdateKeys(ctx context.Context, fn func(old []Key) ([]Key, error)) error
}

// TokenKind names one of fosite's session kinds.
type TokenKind string

// The token session kinds.
const (
	KindAuthorizeCode TokenKind = "authorize_code"
	KindAccessToken   TokenKind = "access_token"
	KindRefreshToken  TokenKind = "refresh_token"
	KindPKCE          TokenKind = "pkce"
	KindOIDC          TokenKind = "oidc"
	// KindPAR is a pushed authorization request (RFC 9126), keyed by its
	// request_uri; it is used once and lives a minute or so.
	KindPAR TokenKind = "par"
)

// TokenKinds lists every kind, for conformance tests and cleanup.
var TokenKinds = []TokenKind{KindAuthorizeCode, KindAccessToken, KindRefreshToken, KindPKCE, KindOIDC, KindPAR}

// TokenSession is one serialised fosite request, stored under a hashed
// signature. Data is opaque to storage.
type TokenSession struct {
	Kind            TokenKind
	Signature       string // hex SHA-256 of the token signature (or code)
	RequestID       string // shared by every token of one grant ("family")
	ClientID        string
	Subject         string
	Active          bool
	RequestedAt     time.Time
	ExpiresAt       time.Time
	AccessSignature string // refresh tokens: the paired access token's hashed signature
	// FirstUsedAt is when a refresh token was first rotated (zero: never,
	// or revoked since). It starts the reuse grace window.
	FirstUsedAt time.Time
	Data        []byte
}

// TokenSessions stores fosite's token sessions.
type TokenSessions interface {
	// CreateTokenSession stores s; ErrAlreadyExists on a duplicate signature.
	CreateTokenSession(ctx context.Context, s TokenSession) error
	// GetTokenSession returns the session, active or not; ErrNotFound if none.
	GetTokenSession(ctx context.Context, kind TokenKind, signature string) (TokenSession, error)
	// DeactivateTokenSession marks one session inactive (used code).
	// ErrNotFound when no active session matched, so that of two concurrent
	// uses of one code only the first succeeds.
	DeactivateTokenSession(ctx context.Context, kind TokenKind, signature string) error
	// DeleteTokenSession deletes one session; deleting a missing one is not an error.
	DeleteTokenSession(ctx context.Context, kind TokenKind, signature string) error
	// DeactivateTokenSessionsByRequest marks every session of the kind and
	// request inactive and clears their first use (revoked, not rotated).
	DeactivateTokenSessionsByRequest(ctx context.Context, kind TokenKind, requestID string) error
	// DeleteTokenSessionsByRequest deletes every session of the kind and request.
	DeleteTokenSessionsByRequest(ctx context.Context, kind TokenKind, requestID string) error
	// RotateRefreshToken is the atomic guard of refresh rotation: it
	// deactivates the active refresh token (requestID, signature), records
	// now as its first use and deletes the access tokens of requestID.
	// ErrNotFound when no active row matched (a concurrent rotation won).
	// With grace > 0 a token first used less than grace before now matches
	// too (a second use within the grace window): it stays as it is and no
	// access token is deleted; a first use then deletes only the paired
	// access token (AccessSignature), so the tokens issued in the window
	// all keep working.
	RotateRefreshToken(ctx context.Context, requestID, signature string, now time.Time, grace time.Duration) error
	// RevokeSubjectTokens deactivates the authorization codes and refresh
	// tokens, deletes the access tokens and denies the approved device
	// codes not yet redeemed (DeviceApproved becomes DeviceDenied) of
	// subject, optionally limited to one client ("" means all clients). It first takes the subject's lock
	// (see LockSubject) exclusively, so it waits for token issuance in
	// flight and issuance after it sees its result. Revoked refresh tokens
	// lose their first use: no grace window revives them.
	RevokeSubjectTokens(ctx context.Context, subject, clientID string) error
	// LockSubject takes, until the transaction in ctx ends, the lock that
	// token issuance for subject holds (shared: issuances do not wait for
	// each other) and RevokeSubjectTokens takes exclusively. Call it in a
	// transaction, before writing the subject's tokens. Backends whose
	// transactions already run one at a time (SQLite) need do nothing.
	LockSubject(ctx context.Context, subject string) error
}

// JTIs remembers used JWT ids (client assertions) until they expire.
type JTIs interface {
	// UseJTI records jti until exp; ErrAlreadyExists when it is already
	// recorded and unexpired at now.
	UseJTI(ctx context.Context, jti string, exp, now time.Time) error
}

// QueryObserver receives the duration of each database statement, by kind
// ("exec" for writes, "query" for reads), for metrics. It must be cheap
// and safe for concurrent use.
type QueryObserver func(kind string, d time.Duration)
