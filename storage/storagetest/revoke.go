package storagetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
)

// revokeTests cover "revoke everything" (RevokeSubjectTokens) and the
// refresh reuse grace window of RotateRefreshToken.
var revokeTests = []test{
	{"RevokeSubjectCodes", func(t *testing.T, s storage.Store) {
		// A code obtained before a password reset or a disable must not be
		// exchanged after it: revocation deactivates the subject's codes.
		ctx := ctxFor(t)
		mkClient(t, s, "c1")
		mkClient(t, s, "c2")
		for _, sig := range []string{"u1-c1", "u1-c2", "u2-c1"} {
			sub, cid := sig[:2], sig[3:]
			mkToken(t, s, kCode, sig, "req-"+sig, cid, sub)
		}
		must(t, s.RevokeSubjectTokens(ctx, "u1", "c1"))
		for sig, active := range map[string]bool{"u1-c1": false, "u1-c2": true, "u2-c1": true} {
			got, err := s.GetTokenSession(ctx, kCode, sig)
			must(t, err)
			if got.Active != active {
				t.Errorf("code %s: active %v, want %v", sig, got.Active, active)
			}
		}
		must(t, s.RevokeSubjectTokens(ctx, "u1", ""))
		// The exchange's guard: a revoked code cannot be used.
		wantErr(t, s.DeactivateTokenSession(ctx, kCode, "u1-c2"), storage.ErrNotFound)
		must(t, s.DeactivateTokenSession(ctx, kCode, "u2-c1"))
	}},
	{"RevokeSubjectDeviceApprovals", func(t *testing.T, s storage.Store) {
		// A device code approved before a password reset or a disable, and
		// not redeemed yet, must not mint tokens after it: revocation
		// turns the subject's approvals into denials.
		ctx := ctxFor(t)
		mkClient(t, s, "tv")
		mkClient(t, s, "tv2")
		for _, d := range []struct {
			code, client, subject string
			status                storage.DeviceStatus
		}{
			{"u1-tv", "tv", "u1", storage.DeviceApproved},
			{"u1-tv2", "tv2", "u1", storage.DeviceApproved},
			{"u1-used", "tv", "u1", storage.DeviceUsed},
			{"u2-tv", "tv", "u2", storage.DeviceApproved},
			{"pending", "tv", "", storage.DevicePending},
		} {
			dc := newDeviceCode(d.code, "uc-"+d.code, d.client)
			dc.Subject, dc.Status = d.subject, d.status
			must(t, s.CreateDeviceCode(ctx, dc))
		}
		must(t, s.RevokeSubjectTokens(ctx, "u1", "tv2"))
		must(t, s.RevokeSubjectTokens(ctx, "nobody", ""))
		want := map[string]storage.DeviceStatus{
			"u1-tv": storage.DeviceApproved, "u1-tv2": storage.DeviceDenied, "u1-used": storage.DeviceUsed,
			"u2-tv": storage.DeviceApproved, "pending": storage.DevicePending,
		}
		check := func() {
			t.Helper()
			for code, status := range want {
				got, err := s.GetDeviceCode(ctx, code)
				must(t, err)
				if got.Status != status {
					t.Errorf("device code %s: %s, want %s", code, got.Status, status)
				}
			}
		}
		check()
		must(t, s.RevokeSubjectTokens(ctx, "u1", ""))
		want["u1-tv"] = storage.DeviceDenied
		check()
	}},
	{"RotateGrace", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkClient(t, s, "c1")
		rt := newToken(kRefresh, "rt1", "req1", "c1", "u1")
		rt.AccessSignature = "at1"
		must(t, s.CreateTokenSession(ctx, rt))
		mkToken(t, s, kAccess, "at1", "req1", "c1", "u1")
		mkToken(t, s, kAccess, "at-other", "req1", "c1", "u1")
		const grace = time.Minute

		// First use: deactivated, first use recorded, only its pair deleted.
		must(t, s.RotateRefreshToken(ctx, "req1", "rt1", t0, grace))
		got, err := s.GetTokenSession(ctx, kRefresh, "rt1")
		must(t, err)
		rt.Active, rt.FirstUsedAt = false, t0
		wantEqual(t, got, rt)
		if tokenExists(t, s, kAccess, "at1") || !tokenExists(t, s, kAccess, "at-other") {
			t.Fatal("a first use in grace mode must delete exactly the paired access token")
		}
		// A second use within the window matches and changes nothing.
		must(t, s.RotateRefreshToken(ctx, "req1", "rt1", at(grace-time.Microsecond), grace))
		got, err = s.GetTokenSession(ctx, kRefresh, "rt1")
		must(t, err)
		wantEqual(t, got, rt)
		if !tokenExists(t, s, kAccess, "at-other") {
			t.Fatal("a second use within the window deleted an access token")
		}
		// After the window it is reuse.
		wantErr(t, s.RotateRefreshToken(ctx, "req1", "rt1", at(grace), grace), storage.ErrNotFound)
		// Without a window the used token never matches.
		wantErr(t, s.RotateRefreshToken(ctx, "req1", "rt1", t0, 0), storage.ErrNotFound)

		// Revocation clears the first use: the window does not revive it.
		must(t, s.DeactivateTokenSessionsByRequest(ctx, kRefresh, "req1"))
		got, err = s.GetTokenSession(ctx, kRefresh, "rt1")
		must(t, err)
		if got.Active || !got.FirstUsedAt.IsZero() {
			t.Fatalf("revoked token: active %v, first used %v", got.Active, got.FirstUsedAt)
		}
		wantErr(t, s.RotateRefreshToken(ctx, "req1", "rt1", at(time.Second), grace), storage.ErrNotFound)

		mkToken(t, s, kRefresh, "rt2", "req2", "c1", "u1")
		must(t, s.RotateRefreshToken(ctx, "req2", "rt2", t0, grace))
		must(t, s.RevokeSubjectTokens(ctx, "u1", ""))
		wantErr(t, s.RotateRefreshToken(ctx, "req2", "rt2", at(time.Second), grace), storage.ErrNotFound)
	}},
	{"LockSubjectInTx", func(t *testing.T, s storage.Store) {
		// Issuances of one subject do not wait for each other, and the
		// lock is released with the transaction.
		ctx := ctxFor(t)
		a, err := s.BeginTx(ctx)
		must(t, err)
		must(t, s.LockSubject(a, "u1"))
		must(t, s.Rollback(a))
		mkClient(t, s, "c1")
		mkToken(t, s, kRefresh, "rt1", "req1", "c1", "u1")
		must(t, storage.InTx(ctx, s, func(ctx context.Context) error {
			if err := s.LockSubject(ctx, "u1"); err != nil {
				return err
			}
			return s.LockSubject(ctx, "u1") // again, in the same transaction
		}))
		must(t, s.RevokeSubjectTokens(ctx, "u1", ""))
	}},
	{"RevokeRacesIssuance", func(t *testing.T, s storage.Store) {
		// Revocation and issuance (a refresh rotation or a code exchange,
		// each under LockSubject as the token endpoint does) run at once,
		// many times: whichever goes first, no token outlives the
		// revocation.
		ctx := ctxFor(t)
		mkClient(t, s, "c1")
		for round := range 40 {
			kind := []storage.TokenKind{kRefresh, kCode}[round%2]
			req, sig := fmt.Sprintf("req%d", round), fmt.Sprintf("old%d", round)
			mkToken(t, s, kind, sig, req, "c1", "u1")
			var wg sync.WaitGroup
			start := make(chan struct{})
			var issueErr, revokeErr error
			wg.Go(func() {
				<-start
				issueErr = storage.InTx(ctx, s, func(ctx context.Context) error {
					if err := s.LockSubject(ctx, "u1"); err != nil {
						return err
					}
					var err error
					if kind == kRefresh {
						err = s.RotateRefreshToken(ctx, req, sig, t0, 0)
					} else {
						err = s.DeactivateTokenSession(ctx, kCode, sig)
					}
					if err != nil {
						return err
					}
					if err := s.CreateTokenSession(ctx, newToken(kAccess, "at-"+sig, req, "c1", "u1")); err != nil {
						return err
					}
					return s.CreateTokenSession(ctx, newToken(kRefresh, "new-"+sig, req, "c1", "u1"))
				})
			})
			wg.Go(func() {
				<-start
				revokeErr = s.RevokeSubjectTokens(ctx, "u1", "")
			})
			close(start)
			wg.Wait()
			must(t, revokeErr)
			if issueErr != nil && !errors.Is(issueErr, storage.ErrNotFound) {
				t.Fatalf("round %d: issuance: %v", round, issueErr)
			}
			if rt, err := s.GetTokenSession(ctx, kRefresh, "new-"+sig); err == nil && rt.Active {
				t.Fatalf("round %d (%s): a refresh token issued concurrently outlived the revocation", round, kind)
			}
			if tokenExists(t, s, kAccess, "at-"+sig) {
				t.Fatalf("round %d (%s): an access token issued concurrently outlived the revocation", round, kind)
			}
		}
	}},
}
