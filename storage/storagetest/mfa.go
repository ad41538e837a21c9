package storagetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
)

func newTOTP(userID string, secret string) storage.TOTP {
	return storage.TOTP{UserID: userID, Secret: []byte(secret), CreatedAt: t0}
}

var secondFactorTests = []test{
	{"TOTPCreateGet", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkUser(t, s, "u1")
		_, err := s.GetTOTP(ctx, "u1")
		wantErr(t, err, storage.ErrNotFound)
		want := newTOTP("u1", "sealed-1")
		must(t, s.CreateTOTP(ctx, want))
		got, err := s.GetTOTP(ctx, "u1")
		must(t, err)
		wantEqual(t, got, want)
		wantErr(t, s.CreateTOTP(ctx, newTOTP("nobody", "x")), storage.ErrNotFound)
	}},
	{"TOTPUnconfirmedReplaced", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkUser(t, s, "u1")
		must(t, s.CreateTOTP(ctx, newTOTP("u1", "first")))
		second := newTOTP("u1", "second")
		second.CreatedAt = at(time.Minute)
		must(t, s.CreateTOTP(ctx, second))
		got, err := s.GetTOTP(ctx, "u1")
		must(t, err)
		wantEqual(t, got, second)
		// A code for the first secret no longer confirms anything.
		wantErr(t, s.UseTOTPStep(ctx, "u1", []byte("first"), 10, true, t0), storage.ErrNotFound)
	}},
	{"TOTPConfirmThenUse", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkUser(t, s, "u1")
		must(t, s.CreateTOTP(ctx, newTOTP("u1", "sealed")))
		// Not confirmed yet: a sign-in code is refused.
		wantErr(t, s.UseTOTPStep(ctx, "u1", []byte("sealed"), 100, false, t0), storage.ErrNotFound)
		must(t, s.UseTOTPStep(ctx, "u1", []byte("sealed"), 100, true, at(time.Second)))
		got, err := s.GetTOTP(ctx, "u1")
		must(t, err)
		want := newTOTP("u1", "sealed")
		want.Confirmed, want.LastStep, want.LastUsedAt = true, 100, at(time.Second)
		wantEqual(t, got, want)
		// Confirmed: no second confirmation, and a new enrolment is refused.
		wantErr(t, s.UseTOTPStep(ctx, "u1", []byte("sealed"), 101, true, t0), storage.ErrNotFound)
		wantErr(t, s.CreateTOTP(ctx, newTOTP("u1", "other")), storage.ErrAlreadyExists)
		// The same step again, or an older one, is a replay.
		wantErr(t, s.UseTOTPStep(ctx, "u1", []byte("sealed"), 100, false, t0), storage.ErrNotFound)
		wantErr(t, s.UseTOTPStep(ctx, "u1", []byte("sealed"), 99, false, t0), storage.ErrNotFound)
		must(t, s.UseTOTPStep(ctx, "u1", []byte("sealed"), 101, false, at(time.Minute)))
		// A stale secret (removed and enrolled again meanwhile) matches nothing.
		wantErr(t, s.UseTOTPStep(ctx, "u1", []byte("old"), 200, false, t0), storage.ErrNotFound)
		got, err = s.GetTOTP(ctx, "u1")
		must(t, err)
		if got.LastStep != 101 || !got.LastUsedAt.Equal(at(time.Minute)) {
			t.Fatalf("after use: %+v", got)
		}
	}},
	{"TOTPStepUsedOnce", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkUser(t, s, "u1")
		c := newTOTP("u1", "sealed")
		c.Confirmed = true
		must(t, s.CreateTOTP(ctx, c))
		const n = 8
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			wins int
		)
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := s.UseTOTPStep(ctx, "u1", []byte("sealed"), 500, false, t0)
				switch {
				case err == nil:
					mu.Lock()
					wins++
					mu.Unlock()
				case errors.Is(err, storage.ErrNotFound), errors.Is(err, storage.ErrConflict):
				default:
					t.Errorf("UseTOTPStep: %v", err)
				}
			}()
		}
		wg.Wait()
		if wins != 1 {
			t.Fatalf("%d of %d concurrent uses of one step succeeded, want exactly 1", wins, n)
		}
	}},
	{"TOTPDelete", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkUser(t, s, "u1")
		wantErr(t, s.DeleteTOTP(ctx, "u1"), storage.ErrNotFound)
		c := newTOTP("u1", "sealed")
		c.Confirmed = true
		must(t, s.CreateTOTP(ctx, c))
		must(t, s.DeleteTOTP(ctx, "u1"))
		_, err := s.GetTOTP(ctx, "u1")
		wantErr(t, err, storage.ErrNotFound)
		must(t, s.CreateTOTP(ctx, newTOTP("u1", "again")))
	}},
	{"TOTPGoesWithUser", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkUser(t, s, "u1")
		must(t, s.CreateTOTP(ctx, newTOTP("u1", "sealed")))
		must(t, s.ReplaceRecoveryCodes(ctx, "u1", []string{"h1"}, t0))
		must(t, s.DeleteUser(ctx, "u1"))
		mkUser(t, s, "u1")
		_, err := s.GetTOTP(ctx, "u1")
		wantErr(t, err, storage.ErrNotFound)
		codes, err := s.ListRecoveryCodes(ctx, "u1")
		must(t, err)
		if len(codes) != 0 {
			t.Fatalf("recovery codes outlived their user: %v", codes)
		}
	}},
	{"RecoveryCodes", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkUser(t, s, "u1")
		mkUser(t, s, "u2")
		wantErr(t, s.ReplaceRecoveryCodes(ctx, "nobody", []string{"h"}, t0), storage.ErrNotFound)
		must(t, s.ReplaceRecoveryCodes(ctx, "u1", []string{"b", "a", "c"}, t0))
		must(t, s.ReplaceRecoveryCodes(ctx, "u2", []string{"a"}, t0))
		got, err := s.ListRecoveryCodes(ctx, "u1")
		must(t, err)
		wantEqual(t, got, []storage.RecoveryCode{{UserID: "u1", Hash: "a", CreatedAt: t0}, {UserID: "u1", Hash: "b", CreatedAt: t0}, {UserID: "u1", Hash: "c", CreatedAt: t0}})
		must(t, s.UseRecoveryCode(ctx, "u1", "b"))
		wantErr(t, s.UseRecoveryCode(ctx, "u1", "b"), storage.ErrNotFound)
		wantErr(t, s.UseRecoveryCode(ctx, "u1", "zz"), storage.ErrNotFound)
		// A new set voids the old one.
		must(t, s.ReplaceRecoveryCodes(ctx, "u1", []string{"d"}, at(time.Hour)))
		wantErr(t, s.UseRecoveryCode(ctx, "u1", "a"), storage.ErrNotFound)
		got, err = s.ListRecoveryCodes(ctx, "u1")
		must(t, err)
		wantEqual(t, got, []storage.RecoveryCode{{UserID: "u1", Hash: "d", CreatedAt: at(time.Hour)}})
		// Another user's codes are untouched.
		must(t, s.UseRecoveryCode(ctx, "u2", "a"))
		must(t, s.DeleteRecoveryCodes(ctx, "u1"))
		got, err = s.ListRecoveryCodes(ctx, "u1")
		must(t, err)
		if len(got) != 0 {
			t.Fatalf("codes after delete: %v", got)
		}
	}},
	{"RecoveryCodeUsedOnce", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkUser(t, s, "u1")
		must(t, s.ReplaceRecoveryCodes(ctx, "u1", []string{"h"}, t0))
		const n = 8
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			wins int
		)
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := s.UseRecoveryCode(ctx, "u1", "h")
				switch {
				case err == nil:
					mu.Lock()
					wins++
					mu.Unlock()
				case errors.Is(err, storage.ErrNotFound), errors.Is(err, storage.ErrConflict):
				default:
					t.Errorf("UseRecoveryCode: %v", err)
				}
			}()
		}
		wg.Wait()
		if wins != 1 {
			t.Fatalf("%d of %d concurrent uses of one code succeeded, want exactly 1", wins, n)
		}
	}},
	{"SessionFactors", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkUser(t, s, "u1")
		bs := newBrowserSession("bs1", "u1")
		bs.Factors = []storage.SessionFactor{{Method: "pwd", At: t0}, {Method: "otp", At: at(time.Minute)}}
		bs.ACR = "mfa"
		must(t, s.CreateBrowserSession(ctx, bs))
		got, err := s.GetBrowserSession(ctx, "bs1", t0)
		must(t, err)
		wantEqual(t, got, bs)
		list, err := s.ListBrowserSessions(ctx, "u1", t0)
		must(t, err)
		wantEqual(t, list, []storage.BrowserSession{bs})
	}},
}
