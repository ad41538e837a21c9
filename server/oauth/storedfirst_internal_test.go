package oauth

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
)

// ctxWrites are deferred writes whose Wait fails when its context has
// ended, as groupcommit.Pending's does, and counts its calls.
type ctxWrites struct{ waits int }

func (w *ctxWrites) Expect() {}

func (w *ctxWrites) Wait(ctx context.Context) error {
	w.waits++
	return ctx.Err()
}

// TestStoredFirstOutlivesTheClient: the answer waits for the deferred
// writes once, before its first byte, and a client that has gone (its
// request context cancelled) does not turn the writes' outcome into an
// error.
func TestStoredFirstOutlivesTheClient(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	writes := &ctxWrites{}
	rec := httptest.NewRecorder()
	sw := &storedFirst{ResponseWriter: rec, ctx: ctx, writes: &requestWrites{deferredWrites: writes}, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := sw.stored(); err != nil {
		t.Fatalf("stored after the client left: %v", err)
	}
	sw.WriteHeader(200)
	if _, err := sw.Write([]byte("{}")); err != nil {
		t.Fatal(err)
	}
	if writes.waits != 1 {
		t.Errorf("waited %d times, want once", writes.waits)
	}
}
