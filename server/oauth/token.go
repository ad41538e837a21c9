package oauth

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/ory/fosite"

	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/clients"
	"github.com/gatehouse-id/gatehouse/storage"
)

// Token is the token endpoint (POST /oauth2/token). fosite runs the grant;
// this handler fills what fosite leaves to the application: the granted
// scopes and audience, the user's claims, and the password grant's ID token.
type Token struct {
	Provider *Provider
	Users    interface {
		GetUser(ctx context.Context, id string) (storage.User, error)
	}
	Logger *slog.Logger
	Now    func() time.Time
	// Audit records issued, refreshed and reused tokens; Metrics counts
	// issued tokens. Both optional.
	Audit   *audit.Recorder
	Metrics TokenMetrics
	// SecondFactors: the password grant is refused to whoever has or
	// must use a second factor, which it cannot ask for.
	SecondFactors SecondFactorPolicy
	// RequireVerifiedEmail refuses the password grant to an account whose
	// email address is not confirmed, as the login page refuses it
	// (registration.require_verified_email).
	RequireVerifiedEmail bool
}

// ServeHTTP handles one token request: fosite reads it, the grant's own
// preparation fills what fosite leaves to us, fosite issues the tokens.
//
// Every user-bound grant (code, refresh, password) writes its tokens in a
// transaction that holds the user's lock (storage.Store.LockSubject) and
// checks the user under it. "Revoke everything" takes that lock
// exclusively, so a token is either issued before a revocation, which then
// revokes it, or refused after it.
//
// A refresh reads the refresh token and signs the new tokens outside any
// transaction (on SQLite a transaction holds the one writer, so a signature
// inside it would serialise every refresh behind it): fosite's own
// transaction around the writes rotates the refresh token atomically, the
// one guard against a concurrent second use, which can only fail once the
// winner has committed, and runs the lock and the user check first
// (issueGuard). A code exchange runs in one transaction from reading the
// code to writing the tokens: it also uses up the PKCE session on the way,
// and a concurrent exchange must see the code used, never half done. The
// password grant, bounded by bcrypt, keeps one transaction from the check
// to the writes.
//
// The request's writes outside a transaction (a client-credentials token's
// session, the audit events) are handed to the group committer without
// waiting for each (Store.deferWrites), so that they share one commit, and
// the answer waits until they are stored (storedFirst): a token is never
// sent before its session and its audit event are durable. A token whose
// session failed is not sent; an audit event that failed is logged and,
// as anywhere, does not fail the request.
func (t *Token) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx, writes := t.Provider.store.deferWrites(r.Context())
	sw := &storedFirst{ResponseWriter: w, ctx: ctx, writes: writes, log: t.Logger}
	defer sw.flush() // ends the deferral on every path; a failure nobody answered is logged
	t.serve(sw, r.WithContext(ctx))
}

func (t *Token) serve(w *storedFirst, r *http.Request) {
	ctx := r.Context()
	g := r.PostFormValue("grant_type") // parses the body
	if err := precheckToken(r, g, t.Provider.grants.grantTypes()); err != nil {
		t.writeError(ctx, w, r, fosite.NewAccessRequest(NewSession()), err)
		return
	}
	proof, err := t.tokenProof(ctx, w, r)
	if err != nil {
		t.writeError(ctx, w, r, fosite.NewAccessRequest(NewSession()), err)
		return
	}
	// A stale key cache reloads from storage, and a client's metadata
	// document is fetched: outside the transaction rather than inside it,
	// which then fetches nothing.
	t.Provider.signer.warm(ctx)
	basicUser, _, _ := r.BasicAuth()
	t.Provider.store.warmClient(ctx, r.PostForm, basicUser)
	ctx = withoutFetching(ctx)
	tx := &issueTx{store: t.Provider.store}
	defer tx.end(false) //nolint:errcheck // a no-op unless a panic skipped the ending below
	if g == "authorization_code" {
		if err := tx.begin(ctx); err != nil {
			t.writeError(ctx, w, r, fosite.NewAccessRequest(NewSession()), fosite.ErrServerError.WithWrap(err))
			return
		}
	}
	ar, err := t.Provider.NewAccessRequest(withProofJKT(tx.context(ctx), proof.JKT), r, NewSession())
	if err != nil {
		// What fosite wrote while reading the request (a replayed code's
		// or reused refresh token's revocation) is kept.
		t.fail(ctx, w, r, tx, true, ar, err)
		return
	}
	// The session fosite carries on: ours for new grants, the stored one
	// (a copy) for code exchanges and refreshes.
	sess, ok := ar.GetSession().(*Session)
	if !ok {
		t.fail(ctx, w, r, tx, true, ar, fosite.ErrServerError.WithDebugf("unexpected session type %T", ar.GetSession()))
		return
	}
	issueCtx, err := t.prepare(ctx, tx, r, ar, sess)
	if err == nil {
		err = t.bindDPoP(ar, sess, proof)
	}
	if err != nil {
		t.fail(ctx, w, r, tx, true, ar, err)
		return
	}
	// Only quick work is left before the writes (a password was checked
	// above): batches may wait for them.
	w.writes.Expect()
	resp, err := t.Provider.NewAccessResponse(issueCtx, ar)
	if err != nil {
		t.fail(ctx, w, r, tx, false, ar, err)
		return
	}
	if err := tx.end(true); err != nil {
		t.fail(ctx, w, r, tx, false, ar, fosite.ErrServerError.WithWrap(err))
		return
	}
	if ar.GetGrantTypes().HasOneOf("password", clients.GrantDeviceCode) && ar.GetGrantedScopes().Has("openid") {
		sess.Claims.AccessTokenHash = t.Provider.signer.LeftHalfHash(ctx, resp.GetAccessToken())
		idToken, err := t.Provider.oidc.GenerateIDToken(ctx, t.Provider.config.IDTokenLifespan, ar)
		if err != nil {
			t.writeError(ctx, w, r, ar, err)
			return
		}
		resp.SetExtra("id_token", idToken)
	}
	if sess.JKT != "" {
		resp.SetTokenType(dpopTokenType)
	}
	if len(ar.GetGrantedScopes()) == 0 {
		// No scope granted: leave the parameter out rather than send ""
		// (RFC 6749 section 3.3 scope tokens are never empty).
		if ar, ok := resp.(*fosite.AccessResponse); ok {
			delete(ar.Extra, "scope")
		}
	}
	// The audit event is stored before the answer goes out (in a commit
	// shared with other requests' events under load): a token a client
	// holds is never missing from the log.
	t.recordIssued(r, ar, sess)
	t.recordExchange(r, ar, sess)
	if err := w.stored(); err != nil {
		if w.writes.sessions.Load() {
			// The token's session may not be stored: the token must not
			// go out. Not t.fail: nothing was replayed.
			t.writeError(ctx, w, r, ar, fosite.ErrServerError.WithWrap(storageFailure(err)))
			return
		}
		// Audit events only: the tokens are stored (their transaction
		// committed, using up the code or refresh token), and, as for
		// any audit failure, the answer goes out.
		t.Logger.ErrorContext(ctx, "token request: store audit events", "error", err)
	}
	if err := writeAccessResponse(w, resp); err != nil {
		t.writeError(ctx, w, r, ar, fosite.ErrServerError.WithWrap(err))
		return
	}
	if err := t.Provider.store.touchClient(ctx, ar.GetClient()); err != nil {
		t.Logger.WarnContext(ctx, "token request: record the client's use", "client_id", ar.GetClient().GetID(), "error", err)
	}
}

// precheckToken refuses, before fosite reads the request, repeated
// parameters, grant types Gatehouse does not support and malformed client
// authentication.
func precheckToken(r *http.Request, grantType string, accepted []string) error {
	if err := checkSingleValues(r.PostForm); err != nil {
		return err
	}
	if grantType != "" && !slices.Contains(accepted, grantType) {
		return fosite.ErrUnsupportedGrantType.WithHintf("The grant type %q is not supported.", grantType)
	}
	if r.PostForm != nil {
		return checkClientAuth(r)
	}
	return nil
}

// fail ends the transaction (keeping what it wrote when keep is set,
// rolling it back otherwise), applies the reuse rule and answers err.
func (t *Token) fail(ctx context.Context, w http.ResponseWriter, r *http.Request, tx *issueTx, keep bool, ar fosite.AccessRequester, err error) {
	if txErr := tx.end(keep); txErr != nil {
		t.Logger.ErrorContext(ctx, "token request: end transaction", "error", txErr)
	}
	err = t.replayed(ctx, r, ar, guardRefusal(err))
	t.writeError(ctx, w, r, ar, err)
}

// activeUser loads the token's user; a missing or disabled user is an
// invalid grant.
func (t *Token) activeUser(ctx context.Context, id string) (storage.User, error) {
	u, err := t.Users.GetUser(ctx, id)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && u.Disabled) {
		return storage.User{}, fosite.ErrInvalidGrant.WithHint("The user no longer exists or is disabled.")
	}
	if err != nil {
		return storage.User{}, fosite.ErrServerError.WithWrap(err)
	}
	return u, nil
}

// grantRequested grants the requested scopes, which fosite has already
// checked against the client's, and the audience.
func grantRequested(ar fosite.Requester) {
	for _, s := range ar.GetRequestedScopes() {
		if grantable(ar.GetClient(), s) {
			ar.GrantScope(s)
		}
	}
	grantAudience(ar)
}

// grantable leaves out offline_access for clients that may not use the
// refresh_token grant: the refresh token would be unusable.
func grantable(c fosite.Client, scope string) bool {
	return scope != "offline_access" || c.GetGrantTypes().Has("refresh_token")
}

func (t *Token) writeError(ctx context.Context, w http.ResponseWriter, r *http.Request, ar fosite.AccessRequester, err error) {
	err = rateLimited(w, err)
	t.recordReuse(r, ar, err)
	t.recordPasswordFailure(r, ar, err)
	logError(ctx, t.Logger, "token request", err)
	challengeClient(w, r, err)
	t.Provider.WriteAccessError(ctx, w, ar, err)
}

// challengeClient adds the WWW-Authenticate header RFC 6749 section 5.2
// requires on a 401 invalid_client answer to a request that authenticated
// with the Authorization header.
func challengeClient(w http.ResponseWriter, r *http.Request, err error) {
	rfc := publicError(err)
	if rfc.CodeField == http.StatusUnauthorized && r.Header.Get("Authorization") != "" {
		w.Header().Set("WWW-Authenticate", `Basic realm="gatehouse"`)
	}
}

// logError logs a protocol error: server errors with their cause at error
// level, refusals briefly at info. Tokens and secrets are never logged.
func logError(ctx context.Context, log *slog.Logger, what string, err error) {
	if errors.Is(err, ErrStorageUnavailable) {
		return // the error writers report it, rate-limited (Provider.reportUnavailable)
	}
	rfc := fosite.ErrorToRFC6749Error(boundError(err))
	if rfc.CodeField >= 500 {
		log.ErrorContext(ctx, what+" failed", "error", rfc.ErrorField, "debug", rfc.DebugField, "cause", rfc.Cause())
		return
	}
	log.InfoContext(ctx, what+" refused", "error", rfc.ErrorField, "hint", rfc.HintField)
}
