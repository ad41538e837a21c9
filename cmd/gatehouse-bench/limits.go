package main

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/gatehouse-id/gatehouse/storage"
	"github.com/gatehouse-id/gatehouse/storage/sqlite"
)

// limits are the physical limits measured on this machine in this run;
// every scenario's throughput is reported as a ratio to one of them.
type limits struct {
	// SignPerSec is by algorithm, all cores: "RS256" (2048 bits), "ES256",
	// and "RS256-3072", "RS256-4096" for the larger keys.rsa_bits sizes.
	SignPerSec    map[string]float64 `json:"sign_per_s"`
	BcryptPerSec  float64            `json:"bcrypt_per_s"`
	BcryptCost    int                `json:"bcrypt_cost"`
	CommitsPerSec float64            `json:"sqlite_commits_per_s"`
	// BarePerSec is a bare net/http handler serving the JWKS bytes, by
	// concurrency, measured with the same load generator as the scenarios.
	BarePerSec map[string]float64 `json:"bare_jwks_per_s"`
}

// rate runs fn on workers goroutines for about dur and returns calls per
// second, counting the time until the last call in flight ends, and the
// CPU time this process spent per call meanwhile (nothing else runs in it
// while a limit is measured), which holds even when other work on the
// machine takes cores away.
func rate(workers int, dur time.Duration, fn func() error) (float64, time.Duration, error) {
	var (
		n        atomic.Int64
		firstErr error
		once     sync.Once
		wg       sync.WaitGroup
	)
	cpu0 := processCPU()
	begin := time.Now()
	deadline := begin.Add(dur)
	for range workers {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				if err := fn(); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				n.Add(1)
			}
		})
	}
	wg.Wait()
	calls := n.Load()
	var perCall time.Duration
	if cpu1 := processCPU(); calls > 0 && cpu0 >= 0 && cpu1 > cpu0 {
		perCall = (cpu1 - cpu0) / time.Duration(calls)
	}
	return float64(calls) / time.Since(begin).Seconds(), perCall, firstErr
}

// processCPU is this process's user and system CPU time, -1 when unknown.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return -1
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// signRate measures JWT signatures (SHA-256 digest + private-key
// operation, as every access token needs) per second on all cores, with
// RSA keys of rsaBits bits.
func signRate(alg string, rsaBits int, dur time.Duration) (float64, time.Duration, error) {
	var key crypto.Signer
	var err error
	switch alg {
	case "RS256":
		key, err = rsa.GenerateKey(rand.Reader, rsaBits)
	case "ES256":
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	default:
		return 0, 0, fmt.Errorf("sign limit: unsupported algorithm %q", alg)
	}
	if err != nil {
		return 0, 0, err
	}
	payload := make([]byte, 600) // about an access token's header.claims
	return rate(runtime.GOMAXPROCS(0), dur, func() error {
		digest := sha256.Sum256(payload)
		_, err := key.Sign(rand.Reader, digest[:], crypto.SHA256)
		return err
	})
}

// bcryptRate measures password verifications per second at cost on all cores.
func bcryptRate(cost int, dur time.Duration) (float64, time.Duration, error) {
	pw := []byte(benchPassword)
	hash, err := bcrypt.GenerateFromPassword(pw, cost)
	if err != nil {
		return 0, 0, err
	}
	return rate(runtime.GOMAXPROCS(0), dur, func() error { return bcrypt.CompareHashAndPassword(hash, pw) })
}

// commitRate measures committed token-session inserts per second on a new
// SQLite file opened exactly as the server opens it (WAL, synchronous
// NORMAL, one writer), from 16 goroutines.
func commitRate(ctx context.Context, dir string, dur time.Duration) (float64, error) {
	path := filepath.Join(dir, "commits-"+randomHex()+".db")
	store, err := sqlite.Open(ctx, path)
	if err != nil {
		return 0, err
	}
	defer func() {
		store.Close()
		for _, suffix := range []string{"", "-wal", "-shm"} {
			os.Remove(path + suffix)
		}
	}()
	now := time.Now()
	if err := store.CreateClient(ctx, storage.Client{ID: benchClientID, CreatedAt: now, UpdatedAt: now}); err != nil {
		return 0, err
	}
	data := make([]byte, sessionDataSize)
	perSec, _, err := rate(16, dur, func() error {
		return store.CreateTokenSession(ctx, storage.TokenSession{
			Kind: storage.KindAccessToken, Signature: randomHex() + randomHex(), RequestID: randomHex(),
			ClientID: benchClientID, Active: true, RequestedAt: now, ExpiresAt: now.Add(time.Hour), Data: data,
		})
	})
	return perSec, err
}
