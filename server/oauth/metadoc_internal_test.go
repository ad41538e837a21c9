package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/clients"
	"github.com/gatehouse-id/gatehouse/internal/safefetch"
	"github.com/gatehouse-id/gatehouse/storage"
	"github.com/gatehouse-id/gatehouse/storage/sqlite"
)

// docServer serves one client ID metadata document that the test can
// change, fail or hold, and counts fetches.
type docServer struct {
	mu      sync.Mutex
	doc     map[string]any
	status  int
	maxAge  string
	hold    chan struct{} // when set, answers wait for it to close
	fetches atomic.Int32
	url     string
}

func (s *docServer) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	s.fetches.Add(1)
	s.mu.Lock()
	hold, status, doc, maxAge := s.hold, s.status, s.doc, s.maxAge
	s.mu.Unlock()
	if hold != nil {
		<-hold
	}
	if status != 0 {
		w.WriteHeader(status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", maxAge)
	_ = json.NewEncoder(w).Encode(doc)
}

func (s *docServer) set(f func(s *docServer)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newDocuments(t *testing.T) (*MetadataDocuments, *docServer, *clock, storage.Store) {
	t.Helper()
	srv := &docServer{maxAge: "max-age=60"}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	srv.url = ts.URL + "/agent/client.json"
	srv.doc = map[string]any{"client_id": srv.url, "client_name": "Agent", "redirect_uris": []string{"http://127.0.0.1:9999/cb"}}
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "gatehouse.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	clk := &clock{t: time.Now()}
	d := &MetadataDocuments{
		Fetcher:     safefetch.New(safefetch.Options{AllowedHTTPHosts: []string{"127.0.0.1"}}),
		Policy:      clients.DynamicPolicy{AllowedScopes: []string{"openid", "offline_access"}},
		Store:       db,
		MaxCacheAge: time.Hour,
		Logger:      slog.New(slog.DiscardHandler),
		Now:         clk.now,
	}
	return d, srv, clk, db
}

// TestDocumentCachedAndChanged: a document is fetched once while fresh
// (its max-age, at least the floor), fetched again when stale, and its
// changes reach both the client and its stored row.
func TestDocumentCachedAndChanged(t *testing.T) {
	d, srv, clk, db := newDocuments(t)
	ctx := t.Context()
	c, err := d.Client(ctx, srv.url)
	if err != nil {
		t.Fatal(err)
	}
	if c.Origin != storage.ClientOriginMetadataDocument || !c.Public || c.Name != "Agent" || !slices.Equal(c.RedirectURIs, []string{"http://127.0.0.1:9999/cb"}) {
		t.Fatalf("client %+v", c)
	}
	if row, err := db.GetClient(ctx, srv.url); err != nil || row.Origin != storage.ClientOriginMetadataDocument {
		t.Fatalf("stored row %+v, %v", row, err)
	}
	srv.set(func(s *docServer) {
		s.doc = map[string]any{"client_id": s.url, "client_name": "Agent v2", "redirect_uris": []string{"https://agent.example/cb"}}
	})
	clk.add(30 * time.Second)
	if c, _ := d.Client(ctx, srv.url); c.Name != "Agent" || srv.fetches.Load() != 1 {
		t.Errorf("fresh: name %q after %d fetches", c.Name, srv.fetches.Load())
	}
	clk.add(31 * time.Second)
	c, err = d.Client(ctx, srv.url)
	if err != nil || c.Name != "Agent v2" || !slices.Equal(c.RedirectURIs, []string{"https://agent.example/cb"}) || srv.fetches.Load() != 2 {
		t.Fatalf("stale: %+v %v after %d fetches", c, err, srv.fetches.Load())
	}
	if row, _ := db.GetClient(ctx, srv.url); row.Name != "Agent v2" {
		t.Errorf("stored row not updated: %q", row.Name)
	}

	// A server gone bad: the cached document serves until MaxCacheAge.
	srv.set(func(s *docServer) { s.status = http.StatusInternalServerError })
	clk.add(2 * time.Minute)
	if c, err := d.Client(ctx, srv.url); err != nil || c.Name != "Agent v2" {
		t.Errorf("stale with the server failing: %+v %v", c, err)
	}
	clk.add(time.Hour)
	if _, err := d.Client(ctx, srv.url); !errors.Is(err, errDocument) {
		t.Errorf("past max_cache_age with the server failing: %v", err)
	}
}

// TestDocumentCacheBounds: no-store still caches for the floor; a long
// max-age is cut to MaxCacheAge.
func TestDocumentCacheBounds(t *testing.T) {
	d, srv, clk, _ := newDocuments(t)
	srv.set(func(s *docServer) { s.maxAge = "no-store" })
	for range 3 {
		if _, err := d.Client(t.Context(), srv.url); err != nil {
			t.Fatal(err)
		}
	}
	if n := srv.fetches.Load(); n != 1 {
		t.Errorf("%d fetches within the floor", n)
	}
	srv.set(func(s *docServer) { s.maxAge = "max-age=86400" })
	clk.add(time.Minute)
	_, _ = d.Client(t.Context(), srv.url)
	clk.add(61 * time.Minute)
	_, _ = d.Client(t.Context(), srv.url)
	if n := srv.fetches.Load(); n != 3 {
		t.Errorf("%d fetches, want 3: a day's max-age is cut to max_cache_age (1h)", n)
	}
}

// TestDocumentRefusals: a document whose client_id is not its URL, or
// that names a secret-based method, is refused, and the refusal is
// remembered for the floor.
func TestDocumentRefusals(t *testing.T) {
	d, srv, clk, _ := newDocuments(t)
	for name, doc := range map[string]map[string]any{
		"client_id elsewhere": {"client_id": "https://elsewhere.example/client.json", "redirect_uris": []string{"https://a.example/cb"}},
		"secret method":       {"client_id": srv.url, "redirect_uris": []string{"https://a.example/cb"}, "token_endpoint_auth_method": "client_secret_basic"},
		"bad redirect":        {"client_id": srv.url, "redirect_uris": []string{"http://a.example/cb"}},
		"admin scope":         {"client_id": srv.url, "redirect_uris": []string{"https://a.example/cb"}, "scope": "openid gatehouse:admin"},
	} {
		srv.set(func(s *docServer) { s.doc = doc })
		clk.add(time.Hour)
		if _, err := d.Client(t.Context(), srv.url); !errors.Is(err, errDocument) {
			t.Errorf("%s: %v", name, err)
		}
	}
	n := srv.fetches.Load()
	if _, err := d.Client(t.Context(), srv.url); err == nil || srv.fetches.Load() != n {
		t.Errorf("a refusal was fetched again at once (%v)", err)
	}
	for _, id := range []string{"https://u:p@127.0.0.1/x.json", "https://127.0.0.1/a/../x.json"} {
		if _, err := d.Client(t.Context(), id); !errors.Is(err, errDocument) {
			t.Errorf("%s: %v", id, err)
		}
	}
}

// TestDocumentSingleFlight: callers asking for one URL while it is being
// fetched wait for that fetch: the server sees one request.
func TestDocumentSingleFlight(t *testing.T) {
	d, srv, _, _ := newDocuments(t)
	hold := make(chan struct{})
	srv.set(func(s *docServer) { s.hold = hold })
	const callers = 8
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := d.Client(context.Background(), srv.url)
			errs <- err
		}()
	}
	for d.waiting(srv.url) < callers-1 {
		time.Sleep(time.Millisecond) // polls a condition; no timing is assumed
	}
	close(hold)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := srv.fetches.Load(); n != 1 {
		t.Errorf("%d fetches for %d concurrent callers", n, callers)
	}
}

// TestDocumentNoFetchInTransaction: under withoutFetching nothing is
// fetched; the cache or a recent stored row answers.
func TestDocumentNoFetchInTransaction(t *testing.T) {
	d, srv, clk, _ := newDocuments(t)
	ctx := withoutFetching(t.Context())
	if _, err := d.Client(ctx, srv.url); !errors.Is(err, storage.ErrNotFound) || srv.fetches.Load() != 0 {
		t.Fatalf("never fetched: %v, %d fetches", err, srv.fetches.Load())
	}
	if _, err := d.Client(t.Context(), srv.url); err != nil {
		t.Fatal(err)
	}
	clk.add(2 * time.Minute) // stale, but younger than max_cache_age
	if c, err := d.Client(ctx, srv.url); err != nil || c.Name != "Agent" || srv.fetches.Load() != 1 {
		t.Fatalf("stale without fetching: %+v %v", c, err)
	}
}

// TestDocumentHostLists: a blocked host is refused in either spelling of
// an internationalized name, and a host that is no name is refused while
// lists are set, before any fetch.
func TestDocumentHostLists(t *testing.T) {
	d, srv, _, _ := newDocuments(t)
	d.BlockedHosts = clients.NewHostPatterns("xn--e1afmkfd.xn--p1ai", "*.ексампл.com")
	for _, id := range []string{
		"https://пример.рф/client.json",
		"https://ПРИМЕР.рф/client.json",
		"https://a.xn--80ajpfesl.com/client.json",
		"https://a..b.example/client.json",
	} {
		_, err := d.Client(t.Context(), id)
		if !errors.Is(err, errDocument) || !strings.Contains(err.Error(), "not accepted") && !strings.Contains(err.Error(), "no host name") {
			t.Errorf("%s: %v", id, err)
		}
	}
	if _, err := d.Client(t.Context(), srv.url); err != nil {
		t.Errorf("a host not blocked: %v", err)
	}
	d.AllowedHosts = clients.NewHostPatterns("агент.example")
	if _, err := d.Client(t.Context(), srv.url); !errors.Is(err, errDocument) {
		t.Errorf("a host not allowed: %v", err)
	}
}
