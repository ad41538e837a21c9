package e2e

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"

	"github.com/gatehouse-id/gatehouse/secret"
	"github.com/gatehouse-id/gatehouse/server"
	"github.com/gatehouse-id/gatehouse/server/servertest"
	"github.com/gatehouse-id/gatehouse/storage/postgres/pgtest"
)

// cluster is two Gatehouse nodes sharing one PostgreSQL database and one
// secret, as behind a load balancer: both use node A's URL as the issuer.
// Each fixture addresses its own node; the client and Alice exist once, in
// the shared database.
type cluster struct {
	a, b *fixture
}

// newCluster starts the two nodes on a fresh schema; their key caches
// refresh every keyRefresh.
func newCluster(t *testing.T, keyRefresh time.Duration) cluster {
	t.Helper()
	dsn := pgtest.DSN(t)
	sec := secret.Token(32)
	shared := servertest.WithConfig(func(c *server.Config) {
		c.Database = dsn
		c.Secret = sec
		c.DatabasePool.MaxConns = 8
		c.Keys.RefreshInterval = server.Duration(keyRefresh)
	})
	a := newFixture(t, shared)
	envB := servertest.Start(t, shared, servertest.WithConfig(func(c *server.Config) { c.Issuer = a.env.URL }))
	b := &fixture{env: envB, clientID: a.clientID, secret: a.secret, user: a.user}
	return cluster{a: a, b: b}
}

// TestClusterFlowAcrossNodes: an authorization started on node A is
// redeemed on node B; the browser session and consent stored by A let B
// authorize the same browser at once; a refresh on A works; a revocation on
// B is seen by introspection on A; a code replayed on the other node fails
// and revokes what the code produced, on both nodes.
func TestClusterFlowAcrossNodes(t *testing.T) {
	t.Parallel()
	c := newCluster(t, time.Minute)
	ctx := t.Context()

	cfgA := c.a.config("openid", "offline_access")
	browser := c.a.env.NewBrowser(t)
	auth := browser.AuthCodeFlow(t, cfgA, aliceEmail, alicePassword)

	cfgB := c.b.config("openid", "offline_access")
	tok, err := cfgB.Exchange(ctx, auth.Code, auth.VerifierOption())
	if err != nil {
		t.Fatalf("exchange on node B of a code issued by node A: %v", err)
	}
	// The ID token B issued verifies against the cluster's issuer (A's URL).
	p, err := oidc.NewProvider(ctx, c.a.env.URL)
	if err != nil {
		t.Fatal(err)
	}
	idt, err := p.Verifier(&oidc.Config{ClientID: c.a.clientID}).Verify(ctx, idToken(tok))
	if err != nil {
		t.Fatalf("id_token from node B: %v", err)
	}
	if idt.Subject != c.a.user.ID || idt.Nonce != auth.Nonce {
		t.Errorf("id_token sub %q nonce %q, want %q %q", idt.Subject, idt.Nonce, c.a.user.ID, auth.Nonce)
	}

	refreshed, err := c.a.refresh(t, tok.RefreshToken)
	if err != nil {
		t.Fatalf("refresh on node A of a token issued by node B: %v", err)
	}
	if !c.b.active(t, refreshed.AccessToken) {
		t.Fatal("node B does not see the access token node A issued")
	}
	c.b.revoke(t, refreshed.RefreshToken)
	if c.a.active(t, refreshed.RefreshToken) {
		t.Error("node A introspects a refresh token revoked on node B as active")
	}
	_, err = c.a.refresh(t, refreshed.RefreshToken)
	wantRetrieveError(t, err, http.StatusBadRequest, "invalid_grant")

	// The browser signed in and consented on A: B finds both in the shared
	// database and redirects straight back to the client with a code.
	verifier := oauth2.GenerateVerifier()
	state := servertest.RandomString(t)
	u := c.b.config("openid", "offline_access").AuthCodeURL(state,
		oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("nonce", servertest.RandomString(t)))
	loc := servertest.ClientRedirect(t, browser.Get(t, u), redirectURI)
	code := loc.Query().Get("code")
	if code == "" || loc.Query().Get("state") != state {
		t.Fatalf("node B did not authorize the browser signed in on node A: %s", loc)
	}
	tok2, err := cfgA.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange on node A of a code issued by node B: %v", err)
	}
	// Replaying that code on B fails and revokes its tokens everywhere.
	if _, err := cfgB.Exchange(ctx, code, oauth2.VerifierOption(verifier)); err == nil {
		t.Fatal("node B redeemed a code node A had already redeemed")
	}
	if c.a.active(t, tok2.AccessToken) {
		t.Error("node A still accepts an access token whose code was replayed on node B")
	}
}

// TestClusterRefreshRace sends the same refresh token to both nodes at
// once, several times over: exactly one request wins, every other gets 400
// invalid_grant, and the database, not timing, decides.
func TestClusterRefreshRace(t *testing.T) {
	t.Parallel()
	c := newCluster(t, time.Minute)
	for round := range 3 {
		tok := c.a.passwordTokens(t, "openid", "offline_access")
		wins, winner := raceToken(t, refreshForm(tok.RefreshToken), 6, c.a, c.b)
		if wins != 1 {
			t.Fatalf("round %d: %d concurrent refreshes across two nodes succeeded, want exactly 1", round, wins)
		}
		// Replaying the raced token, on either node, is reuse: it fails and
		// revokes the family, the winner's new tokens included.
		for _, f := range []*fixture{c.a, c.b} {
			_, err := f.refresh(t, tok.RefreshToken)
			wantRetrieveError(t, err, http.StatusBadRequest, "invalid_grant")
		}
		newRefresh, _ := winner.JSON["refresh_token"].(string)
		newAccess, _ := winner.JSON["access_token"].(string)
		if newRefresh == "" || newAccess == "" {
			t.Fatalf("round %d: the winning answer lacks tokens: %s", round, winner.Body)
		}
		_, err := c.b.refresh(t, newRefresh)
		wantRetrieveError(t, err, http.StatusBadRequest, "invalid_grant")
		if c.a.active(t, newAccess) {
			t.Errorf("round %d: the winner's access token survived the reuse of its parent", round)
		}
	}
}

// TestClusterKeyRotation: both nodes serve the same first key; a key
// rotated through node A signs A's tokens at once, and node B, which has not
// loaded it (its periodic refresh is an hour away), reloads on the unknown
// kid and accepts them; B's JWKS then publishes it.
func TestClusterKeyRotation(t *testing.T) {
	t.Parallel()
	c := newCluster(t, time.Hour)
	bLoaded := time.Now() // B loaded its keys in servertest.Start
	ctx := t.Context()
	setA, _ := jwks(t, c.a.env)
	setB, _ := jwks(t, c.b.env)
	if !slices.Equal(kids(setA), kids(setB)) || len(setA.Keys) != 1 {
		t.Fatalf("nodes started with different keys: A %v, B %v", kids(setA), kids(setB))
	}

	info, err := c.a.env.Server.Keys.Rotate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tok := c.a.passwordTokens(t, "openid")
	if kid := kidOf(t, tok.AccessToken); kid != info.ID {
		t.Fatalf("node A signed with %q after rotating to %q", kid, info.ID)
	}
	if setB, _ = jwks(t, c.b.env); len(setB.Key(info.ID)) != 0 {
		t.Fatalf("node B published key %q before anything made it reload", info.ID)
	}
	// keys.Manager reloads on an unknown kid at most once a second (a guard
	// against made-up kids): let that second since B's start-up load pass.
	// Waiting longer changes nothing; nothing here measures speed.
	time.Sleep(time.Until(bLoaded.Add(1100 * time.Millisecond)))
	if r := userinfo(t, c.b.env, http.MethodGet, tok.AccessToken); r.Status != http.StatusOK {
		t.Fatalf("node B userinfo with a token signed by the key rotated on A: %d %s", r.Status, r.Body)
	}
	if !c.b.active(t, tok.AccessToken) {
		t.Error("node B introspects a token signed by the new key as inactive")
	}
	setB, _ = jwks(t, c.b.env)
	verifyWith(t, setB, tok.AccessToken)
}

// TestClusterKeysRefresh: a key rotated through node A reaches node B's
// JWKS through B's periodic refresh alone (keys.refresh_interval), with no
// token to make B look.
func TestClusterKeysRefresh(t *testing.T) {
	t.Parallel()
	c := newCluster(t, time.Second)
	info, err := c.a.env.Server.Keys.Rotate(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	// Poll B's JWKS. The deadline turns a hang into a failure; nothing
	// measures speed.
	var setB jose.JSONWebKeySet
	for deadline := time.Now().Add(time.Minute); ; {
		setB, _ = jwks(t, c.b.env)
		if len(setB.Key(info.ID)) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("node B's JWKS never published key %q rotated on A: %v", info.ID, kids(setB))
		}
		time.Sleep(50 * time.Millisecond)
	}
	verifyWith(t, setB, c.a.passwordTokens(t, "openid").AccessToken)
}

// kids lists the key ids of a JWK Set, sorted.
func kids(set jose.JSONWebKeySet) []string {
	var out []string
	for _, k := range set.Keys {
		out = append(out, k.KeyID)
	}
	slices.Sort(out)
	return out
}

// verifyWith checks raw's signature with the key its kid names in set.
func verifyWith(t *testing.T, set jose.JSONWebKeySet, raw string) {
	t.Helper()
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.EdDSA})
	if err != nil {
		t.Fatal(err)
	}
	keys := set.Key(tok.Headers[0].KeyID)
	if len(keys) != 1 {
		t.Fatalf("kid %q is not in the JWKS %v", tok.Headers[0].KeyID, kids(set))
	}
	var claims jwt.Claims
	if err := tok.Claims(keys[0].Key, &claims); err != nil {
		t.Fatalf("signature does not verify with the published key: %v", err)
	}
}

// TestClusterNodesStartTogether starts several nodes at the same moment on
// an empty database, through the start-up path of `gatehouse serve`
// (server.OpenStore, then server.New): one migrates while the others wait
// for its advisory lock, one creates the first signing key, and every node
// serves that same single key.
func TestClusterNodesStartTogether(t *testing.T) {
	t.Parallel()
	cfg := server.Defaults()
	cfg.Issuer = "http://127.0.0.1:1"
	cfg.Database = pgtest.DSN(t)
	cfg.Secret = secret.Token(32)
	cfg.Dev = true
	cfg.BcryptCost = 4
	cfg.Mail.Dir = t.TempDir()
	cfg.DatabasePool.MaxConns = 4
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	const n = 4
	jwks := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			store, err := server.OpenStore(t.Context(), cfg.Database, cfg.DatabasePool)
			if err != nil {
				errs[i] = err
				return
			}
			defer store.Close()
			srv, err := server.New(t.Context(), cfg, store, slog.New(slog.DiscardHandler))
			if err != nil {
				errs[i] = err
				return
			}
			set, err := srv.Keys.JWKS(t.Context())
			jwks[i], errs[i] = string(set), err
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("node %d: %v", i, err)
		}
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal([]byte(jwks[0]), &set); err != nil || len(set.Keys) != 1 {
		t.Fatalf("node 0 JWKS: %v, %s; want exactly one key", err, jwks[0])
	}
	for i := range jwks {
		if jwks[i] != jwks[0] {
			t.Errorf("node %d serves another key set:\n%s\nnode 0:\n%s", i, jwks[i], jwks[0])
		}
	}
}

// TestClusterCodeRace redeems one authorization code on both nodes at once:
// exactly one request gets tokens, every other gets invalid_grant.
func TestClusterCodeRace(t *testing.T) {
	t.Parallel()
	c := newCluster(t, time.Minute)
	browser := c.a.env.NewBrowser(t)
	for round := range 3 {
		a := browser.AuthCodeFlow(t, c.a.config("openid"), aliceEmail, alicePassword)
		wins, _ := raceToken(t, url.Values{
			"grant_type": {"authorization_code"}, "code": {a.Code},
			"redirect_uri": {redirectURI}, "code_verifier": {a.Verifier},
		}, 4, c.a, c.b)
		if wins != 1 {
			t.Fatalf("round %d: %d exchanges of one code across two nodes succeeded, want exactly 1", round, wins)
		}
	}
}
