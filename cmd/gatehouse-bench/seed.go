package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/gatehouse-id/gatehouse/storage"
	"github.com/gatehouse-id/gatehouse/storage/sqlite"
)

// seedBatch is how many rows one transaction inserts.
const seedBatch = 10_000

// seedResult reports a seeding run.
type seedResult struct {
	Users         int     `json:"users"`
	Tokens        int     `json:"tokens"`
	Seconds       float64 `json:"seconds"`
	RowsPerSecond float64 `json:"rows_per_s"`
}

// seed fills the database at path through the storage layer, one
// transaction per batch of existing Create calls: users (one shared cheap
// bcrypt hash) and token sessions of clientID, half access tokens and half
// the refresh tokens paired with them, subjects drawn from the new users.
func seed(ctx context.Context, path, clientID string, users, tokens int, progress io.Writer) (seedResult, error) {
	store, err := sqlite.Open(ctx, path)
	if err != nil {
		return seedResult{}, err
	}
	defer store.Close()
	// A 1 GiB page cache for the load only: the random signature keys
	// touch index pages all over a multi-gigabyte file.
	if err := store.SetWriterCacheSize(ctx, 1<<20); err != nil {
		return seedResult{}, err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(benchPassword), bcrypt.MinCost)
	if err != nil {
		return seedResult{}, err
	}
	begin := time.Now()
	now := begin.UTC()
	ids := make([]string, users)
	for i := range ids {
		ids[i] = randomHex()
	}
	show := func(what string, done, total int) {
		el := time.Since(begin).Seconds()
		fmt.Fprintf(progress, "\rseed %-6s %10d/%-10d %8.0f rows/s ", what, done, total, float64(done)/el)
	}
	for lo := 0; lo < users; lo += seedBatch {
		hi := min(lo+seedBatch, users)
		err := storage.InTx(ctx, store, func(ctx context.Context) error {
			for i := lo; i < hi; i++ {
				if err := store.CreateUser(ctx, storage.User{
					ID: ids[i], Email: fmt.Sprintf("seed%d@bench.example", i), EmailVerified: true,
					Name: "Seed", PasswordHash: hash, Roles: []string{storage.RoleUser}, CreatedAt: now, UpdatedAt: now,
				}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return seedResult{}, fmt.Errorf("seed users: %w", err)
		}
		show("users", hi, users)
	}
	usersDone := time.Now()
	data := make([]byte, sessionDataSize)
	for lo := 0; lo < tokens; lo += seedBatch {
		hi := min(lo+seedBatch, tokens)
		err := storage.InTx(ctx, store, func(ctx context.Context) error {
			var req, access string
			for i := lo; i < hi; i++ {
				ts := storage.TokenSession{
					Kind: storage.KindAccessToken, Signature: randomHex() + randomHex(), ClientID: clientID,
					Active: true, RequestedAt: now, ExpiresAt: now.Add(time.Hour), Data: data,
				}
				if len(ids) > 0 {
					ts.Subject = ids[i%len(ids)]
				}
				if i%2 == 0 {
					req, access = randomHex(), ts.Signature
				} else {
					ts.Kind, ts.AccessSignature, ts.ExpiresAt = storage.KindRefreshToken, access, now.Add(7*24*time.Hour)
				}
				ts.RequestID = req
				if err := store.CreateTokenSession(ctx, ts); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return seedResult{}, fmt.Errorf("seed tokens: %w", err)
		}
		if lo == 0 {
			begin = usersDone // the tokens' rate on its own
		}
		show("tokens", hi, tokens)
	}
	fmt.Fprintln(progress)
	el := time.Since(now).Seconds()
	return seedResult{Users: users, Tokens: tokens, Seconds: el, RowsPerSecond: float64(users+tokens) / el}, nil
}

// sessionDataSize is about the size of a stored access-token session
// (the serialised fosite request) and the size seeded rows carry.
const sessionDataSize = 750
