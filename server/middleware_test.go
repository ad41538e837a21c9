package server

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gatehouse-id/gatehouse/storage"
)

// TestPanicRollsBackOpenTransactions: a handler that panics inside a
// transaction it began (as fosite's handlers begin theirs) gets a 500,
// and the transaction is rolled back once the request is over.
func TestPanicRollsBackOpenTransactions(t *testing.T) {
	rolledBack := 0
	h := withMiddleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		storage.GuardTx(r.Context(), func() { rolledBack++ })               // begun, never ended
		ended := storage.GuardTx(r.Context(), func() { rolledBack += 100 }) // begun and committed
		ended()
		panic("a bug between BeginTX and Commit")
	}), slog.New(slog.DiscardHandler))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/oauth2/token", nil))
	if rec.Code != http.StatusInternalServerError {
		t.Errorf("status %d, want 500", rec.Code)
	}
	if rolledBack != 1 {
		t.Errorf("rollbacks %d, want exactly the open transaction's", rolledBack)
	}
}
