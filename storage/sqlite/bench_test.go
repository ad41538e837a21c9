package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

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
