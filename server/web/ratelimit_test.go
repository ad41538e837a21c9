package web

import (
	"context"
	"html"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/ratelimit"
	"github.com/gatehouse-id/gatehouse/storage/sqlite"
)

// TestAllow: the per-IP check the registration and forgot-password pages
// use answers the friendly 429 page with Retry-After once the client IP
// has used its budget, and counts each action and IP apart.
func TestAllow(t *testing.T) {
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "gatehouse.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	renderer, err := NewRenderer("")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now() // fixed: Retry-After is then exactly the window
	h := &mailLinks{base: &base{renderer: renderer}, limiter: ratelimit.New(ratelimit.Options{Counters: store, IPAttempts: 2, Now: func() time.Time { return now }})}
	try := func(action, ip string) (*httptest.ResponseRecorder, bool) {
		r := httptest.NewRequest(http.MethodPost, "/register", nil)
		r.RemoteAddr = ip + ":5555"
		w := httptest.NewRecorder()
		return w, h.allow(w, r, action)
	}
	for range 2 {
		if w, ok := try(ratelimit.ActionRegister, "192.0.2.10"); !ok {
			t.Fatalf("refused within the budget: %d", w.Code)
		}
	}
	w, ok := try(ratelimit.ActionRegister, "192.0.2.10")
	if ok || w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "900" ||
		!strings.Contains(html.UnescapeString(w.Body.String()), MsgTooManyAttempts) {
		t.Fatalf("over the budget: allowed %v, %d, Retry-After %q\n%s", ok, w.Code, w.Header().Get("Retry-After"), w.Body.String())
	}
	if _, ok := try(ratelimit.ActionForgotPassword, "192.0.2.10"); !ok {
		t.Fatal("another action shares the budget")
	}
	if _, ok := try(ratelimit.ActionRegister, "192.0.2.11"); !ok {
		t.Fatal("another IP shares the budget")
	}
	// No limiter configured: everything is allowed.
	h.limiter = nil
	if _, ok := try(ratelimit.ActionRegister, "192.0.2.10"); !ok {
		t.Fatal("nil limiter refused")
	}
}
