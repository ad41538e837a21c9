package audit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/internal/clientip"
	"github.com/gatehouse-id/gatehouse/storage"
	"github.com/gatehouse-id/gatehouse/storage/sqlite"
)

func TestRecordLogsAndStores(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	var buf bytes.Buffer
	when := time.Date(2031, 1, 2, 3, 4, 5, 0, time.UTC)
	rec := audit.New(store, slog.New(slog.NewJSONHandler(&buf, nil))).WithClock(func() time.Time { return when })

	req := httptest.NewRequest("POST", "/login", nil)
	req.RemoteAddr = "198.51.100.7:1234"
	req.Header.Set("User-Agent", "Mozilla/5.0 test")
	rec.RecordRequest(req, audit.LoginFailure, audit.Failure, "u1", "app", map[string]string{"reason": "invalid_credentials"})

	var line struct {
		Level string
		Msg   string
		Audit struct {
			Type, Outcome, IP string
			UserID            string `json:"user_id"`
			ClientID          string `json:"client_id"`
			UserAgent         string `json:"user_agent"`
			Details           map[string]string
		}
	}
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("log line %q: %v", buf.String(), err)
	}
	a := line.Audit
	if line.Msg != "audit" || line.Level != "WARN" || a.Type != audit.LoginFailure || a.Outcome != audit.Failure ||
		a.IP != "198.51.100.7" || a.UserAgent != "Mozilla/5.0 test" || a.Details["reason"] != "invalid_credentials" {
		t.Fatalf("log line: %s", buf.String())
	}

	got, err := store.ListAuditEvents(ctx, storage.AuditFilter{})
	if err != nil || len(got) != 1 {
		t.Fatalf("stored: %v, %v", got, err)
	}
	e := got[0]
	if !e.Time.Equal(when) || e.Type != audit.LoginFailure || e.UserID != "u1" || e.ClientID != "app" || e.IP != "198.51.100.7" {
		t.Fatalf("stored event: %+v", e)
	}

	var nilRec *audit.Recorder
	nilRec.Record(ctx, storage.AuditEvent{Type: "x"}) // must not panic
}

// TestRecordStoresValidUTF8: request text that is not valid UTF-8, or a
// user agent cut through a multi-byte character, is stored as valid UTF-8
// (PostgreSQL refuses anything else, which would lose the event).
func TestRecordStoresValidUTF8(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	rec := audit.New(store, discard)
	req := httptest.NewRequest("POST", "/login", nil)
	req.Header.Set("User-Agent", "a"+strings.Repeat("é", 200))
	rec.RecordRequest(req, audit.ConsentGranted, audit.Success, "u1", "app\xff", map[string]string{"scope": "openid \xfe" + strings.Repeat("x", 5000)})

	got, err := store.ListAuditEvents(ctx, storage.AuditFilter{})
	if err != nil || len(got) != 1 {
		t.Fatalf("stored: %v, %v", got, err)
	}
	e := got[0]
	for name, s := range map[string]string{"user agent": e.UserAgent, "client": e.ClientID, "scope": e.Details["scope"]} {
		if !utf8.ValidString(s) {
			t.Errorf("stored %s %q is not valid UTF-8", name, s)
		}
	}
	if len(e.UserAgent) > 256 || len(e.Details["scope"]) > 1024 {
		t.Errorf("stored texts not bounded: user agent %d bytes, scope %d bytes", len(e.UserAgent), len(e.Details["scope"]))
	}
}

// An event recorded from the request's context alone (as the rate limiter
// does) gets the client IP and User-Agent that clientip.Middleware put
// there.
func TestRecordFillsClientFromContext(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	rec := audit.New(store, discard)
	req := httptest.NewRequest("POST", "/login", nil)
	req.RemoteAddr = "198.51.100.9:4000"
	req.Header.Set("User-Agent", "curl/8.0")
	var resolver clientip.Resolver
	resolver.Middleware(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		rec.Record(r.Context(), storage.AuditEvent{Type: audit.Lockout, Outcome: audit.Denied})
	})).ServeHTTP(httptest.NewRecorder(), req)
	got, err := store.ListAuditEvents(ctx, storage.AuditFilter{})
	if err != nil || len(got) != 1 {
		t.Fatalf("stored: %v, %v", got, err)
	}
	if got[0].IP != "198.51.100.9" || got[0].UserAgent != "curl/8.0" {
		t.Fatalf("event %+v, want the request's IP and user agent", got[0])
	}
}

// discard drops log lines.
var discard = slog.New(slog.NewJSONHandler(io.Discard, nil))

// openStore opens a fresh SQLite store, closed when t ends.
func openStore(t *testing.T) *sqlite.Store {
	t.Helper()
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "a.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}
