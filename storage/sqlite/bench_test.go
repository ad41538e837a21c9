package sqlite_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse-id/gatehouse/storage"
	"github.com/gatehouse-id/gatehouse/storage/sqlite"
)

// The storage reads and writes on the token endpoint's hot path, on a
// SQLite file with the production settings. Run:
//
//	go test -run XXX -bench . ./storage/sqlite

// benchStore opens a store with one client and rows token sessions.
func benchStore(b *testing.B, rows int) *sqlite.Store {
	b.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	now := time.Now()
	if err := s.CreateClient(ctx, storage.Client{ID: "bench", Name: "Bench", GrantTypes: []string{"client_credentials"},
		Scopes: []string{"api:read"}, CreatedAt: now, UpdatedAt: now}); err != nil {
		b.Fatal(err)
	}
	if err := s.CreateUser(ctx, storage.User{ID: "u1", Email: "bench@example.com", Roles: []string{"user"},
		CreatedAt: now, UpdatedAt: now}); err != nil {
		b.Fatal(err)
	}
	for lo := 0; lo < rows; lo += 10_000 {
		err := storage.InTx(ctx, s, func(ctx context.Context) error {
			for i := lo; i < min(lo+10_000, rows); i++ {
				if err := s.CreateTokenSession(ctx, benchSession(i, now)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return s
}

func benchSession(i int, now time.Time) storage.TokenSession {
	return storage.TokenSession{
		Kind: storage.KindAccessToken, Signature: fmt.Sprintf("%064x", i), RequestID: fmt.Sprintf("req-%d", i),
		ClientID: "bench", Subject: "u1", Active: true, RequestedAt: now, ExpiresAt: now.Add(time.Hour),
		Data: make([]byte, 750), // about a stored access-token session
	}
}

func BenchmarkCreateTokenSession(b *testing.B) {
	s := benchStore(b, 0)
	ctx, now := context.Background(), time.Now()
	var n atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := s.CreateTokenSession(ctx, benchSession(int(n.Add(1)), now)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkGetTokenSession(b *testing.B) {
	for _, rows := range []int{1_000, 100_000} {
		b.Run(fmt.Sprintf("rows=%d", rows), func(b *testing.B) {
			s := benchStore(b, rows)
			ctx := context.Background()
			b.ResetTimer()
			var n atomic.Int64
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					sig := fmt.Sprintf("%064x", int(n.Add(7919))%rows)
					if _, err := s.GetTokenSession(ctx, storage.KindAccessToken, sig); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

func BenchmarkGetClient(b *testing.B) {
	s := benchStore(b, 0)
	ctx := context.Background()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.GetClient(ctx, "bench"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkGetUserByEmail(b *testing.B) {
	s := benchStore(b, 0)
	ctx := context.Background()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.GetUserByEmail(ctx, "bench@example.com"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkIssueBatch is what the group commit writes for a batch of
// issued tokens (a token session and an audit event each) into a table of
// 50,000 sessions: with a random key (fosite's signature, hashed) and with
// a key that begins with the token's UUIDv7 jti (Gatehouse's access
// tokens), which appends to the primary-key index.
func BenchmarkIssueBatch(b *testing.B) {
	const batch = 16
	for _, ordered := range []bool{false, true} {
		b.Run(fmt.Sprintf("ordered=%t", ordered), func(b *testing.B) {
			s := benchStore(b, 0)
			ctx, now := context.Background(), time.Now()
			key := func() string {
				h := make([]byte, 32)
				_, _ = rand.Read(h)
				if ordered {
					id := uuid.Must(uuid.NewV7())
					return hex.EncodeToString(id[:]) + hex.EncodeToString(h[:16])
				}
				return hex.EncodeToString(h)
			}
			write := func() {
				err := storage.InTx(ctx, s, func(ctx context.Context) error {
					for range batch {
						if err := s.CreateTokenSession(ctx, storage.TokenSession{Kind: storage.KindAccessToken,
							Signature: key(), RequestID: uuid.Must(uuid.NewV7()).String(), ClientID: "bench",
							Active: true, RequestedAt: now, ExpiresAt: now.Add(time.Hour), Data: make([]byte, 330)}); err != nil {
							return err
						}
						if err := s.AppendAuditEvent(ctx, storage.AuditEvent{Time: time.Now(), Type: "token.issued",
							Outcome: "success", ClientID: "bench", IP: "127.0.0.1", UserAgent: "Go-http-client/1.1",
							Details: map[string]string{"grant_type": "client_credentials"}}); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			for range 50_000 / batch {
				write()
			}
			b.ResetTimer()
			for b.Loop() {
				write()
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*batch), "µs/token")
		})
	}
}
