package keys_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/keys"
)

func TestOptionsValidation(t *testing.T) {
	store := newMemStore()
	tests := []struct {
		name string
		opts keys.Options
		want []string // substrings of the error
	}{
		{"no store", keys.Options{Secret: testSecret}, []string{"store is required"}},
		{"short secret", keys.Options{Store: store, Secret: []byte("short")}, []string{"at least 32 bytes"}},
		{"bad algorithm", keys.Options{Store: store, Secret: testSecret, Algorithm: "HS256"}, []string{`"HS256"`}},
		{"negative durations", keys.Options{Store: store, Secret: testSecret, RetireAfter: -1, PublishAhead: -1, RefreshInterval: -1},
			[]string{"retire after", "publish ahead", "refresh interval"}},
		{"every error at once", keys.Options{Algorithm: "none"}, []string{"store", "secret", `"none"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := keys.New(context.Background(), tt.opts)
			if err == nil {
				t.Fatal("New accepted invalid options")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
	if n := len(store.rows()); n != 0 {
		t.Fatalf("invalid options created %d keys", n)
	}
}

// TestFirstKeyOnce starts several managers at once on an empty store: the
// first key is created once, and all of them sign with it.
func TestFirstKeyOnce(t *testing.T) {
	store := newMemStore()
	clock := newClock()
	const n = 4
	managers := make([]*keys.Manager, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			managers[i], errs[i] = keys.New(context.Background(), keys.Options{
				Store: store, Secret: testSecret, Algorithm: keys.EdDSA, Now: clock.Now, Logger: quietLog,
			})
		})
	}
	wg.Wait()
	rows := store.rows()
	if len(rows) != 1 {
		t.Fatalf("%d keys created, want 1", len(rows))
	}
	if !rows[0].SignFrom.Equal(clock.Now()) || !rows[0].RetireAt.IsZero() {
		t.Errorf("first key SignFrom %v RetireAt %v", rows[0].SignFrom, rows[0].RetireAt)
	}
	for i, m := range managers {
		if errs[i] != nil {
			t.Fatalf("New %d: %v", i, errs[i])
		}
		sk, err := m.Signing(context.Background())
		if err != nil || sk.ID != rows[0].ID {
			t.Errorf("manager %d signs with %q (%v), want %q", i, sk.ID, err, rows[0].ID)
		}
	}
	// A later start finds the key.
	newManager(t, store, clock, nil)
	if n := len(store.rows()); n != 1 {
		t.Fatalf("%d keys after a restart, want 1", n)
	}
}

func TestRotate(t *testing.T) {
	ctx := context.Background()
	store := newMemStore()
	clock := newClock()
	m := newManager(t, store, clock, func(o *keys.Options) { o.RetireAfter = 2 * time.Hour })
	old, err := m.Signing(ctx)
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute)
	rotatedAt := clock.Now()
	info, err := m.Rotate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !info.Current || info.ID == old.ID || !info.SignFrom.Equal(rotatedAt) || !info.RetireAt.IsZero() {
		t.Fatalf("Rotate returned %+v", info)
	}
	sk, _ := m.Signing(ctx)
	if sk.ID != info.ID {
		t.Fatalf("signs with %q after rotation, want %q", sk.ID, info.ID)
	}
	if _, err := m.Verifying(ctx, old.ID); err != nil {
		t.Fatalf("old key no longer verifies: %v", err)
	}
	if got := kids(parseJWKS(t, m)); !slices.Equal(got, []string{old.ID, info.ID}) {
		t.Fatalf("JWKS kids %v", got)
	}

	list, err := m.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	retireAt := rotatedAt.Add(keys.DefaultRefreshInterval + 2*time.Hour)
	if len(list) != 2 || list[0].ID != old.ID || list[0].Current || !list[0].RetireAt.Equal(retireAt) ||
		list[1].ID != info.ID || !list[1].Current || !list[1].RetireAt.IsZero() {
		t.Fatalf("List = %+v", list)
	}

	clock.Advance(keys.DefaultRefreshInterval + 2*time.Hour - time.Nanosecond)
	if _, err := m.Verifying(ctx, old.ID); err != nil {
		t.Fatalf("old key retired early: %v", err)
	}
	clock.Advance(time.Nanosecond)
	if _, err := m.Verifying(ctx, old.ID); !errors.Is(err, keys.ErrUnknownKey) {
		t.Fatalf("retired key: Verifying = %v, want ErrUnknownKey", err)
	}
	if got := kids(parseJWKS(t, m)); !slices.Equal(got, []string{info.ID}) {
		t.Fatalf("JWKS kids after retirement %v", got)
	}
	if list, _ := m.List(ctx); len(list) != 2 {
		t.Fatalf("List must still show the retired key: %+v", list)
	}
}

// TestRotatePublishAhead: the next key is published at once but signs only
// from its SignFrom; the old key leaves RefreshInterval + RetireAfter later. Time-driven
// changes come from the cache, without reading storage.
func TestRotatePublishAhead(t *testing.T) {
	ctx := context.Background()
	store := newMemStore()
	clock := newClock()
	const ahead, retire = 10 * time.Minute, time.Hour
	m := newManager(t, store, clock, func(o *keys.Options) {
		o.PublishAhead = ahead
		o.RetireAfter = retire
		o.RefreshInterval = 24 * time.Hour
	})
	old, _ := m.Signing(ctx)
	info, err := m.Rotate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Current || !info.SignFrom.Equal(clock.Now().Add(ahead)) {
		t.Fatalf("Rotate returned %+v", info)
	}
	lists := store.lists.Load()

	sk, _ := m.Signing(ctx)
	if sk.ID != old.ID {
		t.Fatalf("new key signs before its SignFrom")
	}
	if got := kids(parseJWKS(t, m)); !slices.Equal(got, []string{old.ID, info.ID}) {
		t.Fatalf("next key not published ahead: %v", got)
	}
	if _, err := m.Verifying(ctx, info.ID); err != nil {
		t.Fatalf("next key does not verify: %v", err)
	}

	clock.Advance(ahead - time.Nanosecond)
	if sk, _ := m.Signing(ctx); sk.ID != old.ID {
		t.Fatal("new key signs before its SignFrom")
	}
	clock.Advance(time.Nanosecond)
	if sk, _ := m.Signing(ctx); sk.ID != info.ID {
		t.Fatal("new key does not sign at its SignFrom")
	}
	if n := store.lists.Load(); n != lists {
		t.Fatalf("hot path read storage %d times with a fresh cache", n-lists)
	}

	clock.Advance(24*time.Hour + retire - time.Nanosecond)
	if _, err := m.Verifying(ctx, old.ID); err != nil {
		t.Fatalf("old key retired early: %v", err)
	}
	if got := kids(parseJWKS(t, m)); len(got) != 2 {
		t.Fatalf("old key left the JWKS early: %v", got)
	}
	clock.Advance(time.Nanosecond)
	if got := kids(parseJWKS(t, m)); !slices.Equal(got, []string{info.ID}) {
		t.Fatalf("JWKS after retirement %v", got)
	}
	if _, err := m.Verifying(ctx, old.ID); !errors.Is(err, keys.ErrUnknownKey) {
		t.Fatalf("retired key: Verifying = %v, want ErrUnknownKey", err)
	}
}

// TestTwoManagers: a rotation through one manager reaches another on
// Reload, on an unknown kid (at most one reload per second) and when its
// cache goes stale.
func TestTwoManagers(t *testing.T) {
	ctx := context.Background()
	store := newMemStore()
	clock := newClock()
	a := newManager(t, store, clock, nil)
	b := newManager(t, store, clock, nil)
	c := newManager(t, store, clock, nil)

	first, err := a.Rotate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if sk, _ := b.Signing(ctx); sk.ID != first.ID {
		t.Fatalf("b signs with %q after Reload, want %q", sk.ID, first.ID)
	}

	clock.Advance(500 * time.Millisecond)
	second, err := a.Rotate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	lists := store.lists.Load()
	if _, err := b.Verifying(ctx, second.ID); !errors.Is(err, keys.ErrUnknownKey) {
		t.Fatalf("b reloaded within a second of its last reload: %v", err)
	}
	if store.lists.Load() != lists {
		t.Fatal("unknown kid read storage within a second of the last reload")
	}
	clock.Advance(500 * time.Millisecond)
	if pk, err := b.Verifying(ctx, second.ID); err != nil || pk.ID != second.ID {
		t.Fatalf("b does not learn the new kid: %v", err)
	}
	if store.lists.Load() != lists+1 {
		t.Fatalf("unknown kid: %d reloads, want 1", store.lists.Load()-lists)
	}
	for range 100 {
		if _, err := b.Verifying(ctx, "garbage"); !errors.Is(err, keys.ErrUnknownKey) {
			t.Fatalf("garbage kid: %v", err)
		}
	}
	if store.lists.Load() != lists+1 {
		t.Fatal("garbage kids read storage more than once per second")
	}

	// c has not reloaded since it started: it keeps its cache until the
	// refresh interval has passed.
	if sk, _ := c.Signing(ctx); sk.ID == second.ID {
		t.Fatal("c reloaded before its refresh interval")
	}
	clock.Advance(keys.DefaultRefreshInterval)
	if sk, _ := c.Signing(ctx); sk.ID != second.ID {
		t.Fatalf("c signs with %q after its refresh interval, want %q", sk.ID, second.ID)
	}
}

// TestReloadFailureKeepsCache: a database outage does not stop signing.
func TestReloadFailureKeepsCache(t *testing.T) {
	ctx := context.Background()
	store := newMemStore()
	clock := newClock()
	m := newManager(t, store, clock, nil)
	sk, _ := m.Signing(ctx)
	store.failList.Store(true)
	clock.Advance(time.Hour)
	if err := m.Reload(ctx); err == nil {
		t.Fatal("Reload hid a storage error")
	}
	got, err := m.Signing(ctx)
	if err != nil || got.ID != sk.ID {
		t.Fatalf("Signing during an outage: %q, %v", got.ID, err)
	}
	if _, err := m.Verifying(ctx, sk.ID); err != nil {
		t.Fatalf("Verifying during an outage: %v", err)
	}
	if _, err := m.Verifying(ctx, "unknown"); err == nil {
		t.Fatal("unknown kid verified")
	}
	store.failList.Store(false)
	clock.Advance(time.Second)
	if _, err := m.Signing(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestInfoJSON(t *testing.T) {
	at := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	b, err := json.Marshal(keys.Info{ID: "k1", Algorithm: "RS256", CreatedAt: at, SignFrom: at, Current: true})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"k1","alg":"RS256","created_at":"2030-01-01T00:00:00Z","sign_from":"2030-01-01T00:00:00Z","current":true}`
	if string(b) != want {
		t.Fatalf("Info JSON\n got %s\nwant %s", b, want)
	}
	b, _ = json.Marshal(keys.Info{RetireAt: at})
	if !strings.Contains(string(b), `"retire_at":"2030-01-01T00:00:00Z"`) {
		t.Fatalf("retire_at missing: %s", b)
	}
}

// TestHotPathAllocations: with a fresh cache, Signing, Verifying and JWKS
// do not allocate.
func TestHotPathAllocations(t *testing.T) {
	ctx := context.Background()
	m := newManager(t, newMemStore(), newClock(), nil)
	sk, _ := m.Signing(ctx)
	for name, fn := range map[string]func(){
		"Signing":   func() { _, _ = m.Signing(ctx) },
		"Verifying": func() { _, _ = m.Verifying(ctx, sk.ID) },
		"JWKS":      func() { _, _ = m.JWKS(ctx) },
	} {
		if n := testing.AllocsPerRun(100, fn); n != 0 {
			t.Errorf("%s: %v allocations per call", name, n)
		}
	}
}

// TestConcurrentUse runs the hot path on many goroutines while keys
// rotate, for the race detector.
func TestConcurrentUse(t *testing.T) {
	ctx := context.Background()
	store := newMemStore()
	clock := newClock()
	m := newManager(t, store, clock, func(o *keys.Options) { o.Algorithm = keys.EdDSA })
	other := newManager(t, store, clock, func(o *keys.Options) { o.Algorithm = keys.EdDSA })
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for range 8 {
		wg.Go(func() {
			for range 200 {
				sk, err := m.Signing(ctx)
				if err == nil {
					_, err = m.Verifying(ctx, sk.ID)
				}
				if err == nil {
					_, err = m.JWKS(ctx)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Go(func() {
		for range 10 {
			if _, err := other.Rotate(ctx); err != nil {
				errs <- err
				return
			}
			if _, err := m.Rotate(ctx); err != nil {
				errs <- err
				return
			}
			clock.Advance(2 * time.Second) // lets stale caches reload
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestRotateSameInstant: keys rotated within the clock's resolution share a
// SignFrom; the newest one still signs.
func TestRotateSameInstant(t *testing.T) {
	ctx := context.Background()
	store := newMemStore()
	clock := newClock()
	m := newManager(t, store, clock, nil)
	var last keys.Info
	for range 5 {
		var err error
		if last, err = m.Rotate(ctx); err != nil {
			t.Fatal(err)
		}
	}
	other := newManager(t, store, clock, nil)
	for _, mgr := range []*keys.Manager{m, other} {
		if sk, _ := mgr.Signing(ctx); sk.ID != last.ID {
			t.Fatalf("signs with %q, want the newest key %q", sk.ID, last.ID)
		}
	}
	list, _ := m.List(ctx)
	if len(list) != 6 || list[5].ID != last.ID || !list[5].Current {
		t.Fatalf("List = %+v", list)
	}
}

// TestRotateSkewedClocks: when a process whose clock runs behind rotates
// after one whose clock runs ahead, the key it creates (the only one not
// retiring) signs, not the retiring key with the later SignFrom, which
// would leave the JWKS while its tokens are still valid.
func TestRotateSkewedClocks(t *testing.T) {
	ctx := context.Background()
	store := newMemStore()
	behind := newClock()
	ahead := newClock()
	ahead.Advance(10 * time.Minute)
	a := newManager(t, store, behind, nil)
	b := newManager(t, store, ahead, nil)

	fromB, err := b.Rotate(ctx) // SignFrom = behind + 10m
	if err != nil {
		t.Fatal(err)
	}
	fromA, err := a.Rotate(ctx) // SignFrom = behind: earlier than B's key
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	for name, m := range map[string]*keys.Manager{"behind": a, "ahead": b} {
		sk, err := m.Signing(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if sk.ID != fromA.ID {
			t.Errorf("%s node signs with %q, want the unretired key %q (not %q)", name, sk.ID, fromA.ID, fromB.ID)
		}
	}
}
