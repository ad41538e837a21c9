package mfa_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/gatehouse-id/gatehouse/mfa"
	"github.com/gatehouse-id/gatehouse/storage"
	"github.com/gatehouse-id/gatehouse/storage/sqlite"
)

var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func newService(t testing.TB, now *time.Time) (*mfa.Service, storage.Store, storage.User) {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "mfa.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	u := storage.User{ID: "u1", Email: "a@example.com", CreatedAt: t0, UpdatedAt: t0}
	if err := s.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	svc, err := mfa.New(mfa.Options{Store: s, Secret: bytes.Repeat([]byte("k"), 32), RecoveryCodes: 4, Now: func() time.Time { return *now }})
	if err != nil {
		t.Fatal(err)
	}
	return svc, s, u
}

func code(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestTOTPLifecycle: enrol, confirm (a wrong code confirms nothing),
// verify with skew, refuse a replay, remove.
func TestTOTPLifecycle(t *testing.T) {
	now := t0
	svc, store, u := newService(t, &now)
	ctx := t.Context()
	e, err := svc.BeginTOTP(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(e.QR, "data:image/png;base64,") || !strings.HasPrefix(e.URL, "otpauth://totp/") || len(e.Secret) != 32 {
		t.Fatalf("enrolment %+v", e)
	}
	row, err := store.GetTOTP(ctx, u.ID)
	if err != nil || bytes.Contains(row.Secret, []byte(e.Secret)) {
		t.Fatalf("stored secret is not sealed (%v)", err)
	}
	if has, _ := svc.Registry.HasSecondFactor(ctx, u.ID); has {
		t.Fatal("an unconfirmed TOTP counts as a factor")
	}
	if _, err := svc.Verify(ctx, u.ID, code(t, e.Secret, now)); !errors.Is(err, mfa.ErrWrongCode) {
		t.Fatalf("Verify before confirmation = %v", err)
	}
	if err := svc.ConfirmTOTP(ctx, u.ID, "000000"); !errors.Is(err, mfa.ErrWrongCode) {
		t.Fatalf("ConfirmTOTP(wrong) = %v", err)
	}
	again, err := svc.PendingTOTP(ctx, u)
	if err != nil || again.Secret != e.Secret {
		t.Fatalf("PendingTOTP = %+v, %v", again, err)
	}
	if err := svc.ConfirmTOTP(ctx, u.ID, code(t, e.Secret, now)); err != nil {
		t.Fatalf("ConfirmTOTP: %v", err)
	}
	if best, _ := svc.Registry.BestACR(ctx, u.ID); best != mfa.ACRMFA {
		t.Fatalf("BestACR = %q", best)
	}
	if _, err := svc.BeginTOTP(ctx, u); !errors.Is(err, mfa.ErrAlreadyEnrolled) {
		t.Fatalf("BeginTOTP when enrolled = %v", err)
	}
	// The confirmation's code is used: a replay in its window fails.
	if _, err := svc.Verify(ctx, u.ID, code(t, e.Secret, now)); !errors.Is(err, mfa.ErrReplayed) {
		t.Fatalf("replayed code = %v", err)
	}
	// One step ahead (clock skew) is accepted, then the current step is
	// older than the last one used.
	if used, err := svc.Verify(ctx, u.ID, code(t, e.Secret, now.Add(30*time.Second))); err != nil || used.Method != mfa.AMROTP {
		t.Fatalf("Verify(+1 step) = %+v, %v", used, err)
	}
	now = now.Add(30 * time.Second)
	if _, err := svc.Verify(ctx, u.ID, code(t, e.Secret, now)); !errors.Is(err, mfa.ErrReplayed) {
		t.Fatalf("code of a used step = %v", err)
	}
	// Two steps away is outside the skew.
	if _, err := svc.Verify(ctx, u.ID, code(t, e.Secret, now.Add(90*time.Second))); !errors.Is(err, mfa.ErrWrongCode) || errors.Is(err, mfa.ErrReplayed) {
		t.Fatalf("code 3 steps ahead = %v", err)
	}
	now = now.Add(60 * time.Second)
	if _, err := svc.Verify(ctx, u.ID, " "+code(t, e.Secret, now)[:3]+" "+code(t, e.Secret, now)[3:]); err != nil {
		t.Fatalf("code with spaces: %v", err)
	}
	if err := svc.RemoveTOTP(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if has, _ := svc.Registry.HasSecondFactor(ctx, u.ID); has {
		t.Fatal("a removed TOTP still counts")
	}
}

// TestRecoveryCodes: a set is shown once, each code works once, a new set
// voids the old one, and backups alone are not a factor.
func TestRecoveryCodes(t *testing.T) {
	now := t0
	svc, store, u := newService(t, &now)
	ctx := t.Context()
	codes, err := svc.NewRecoveryCodes(ctx, u.ID)
	if err != nil || len(codes) != 4 {
		t.Fatalf("NewRecoveryCodes = %v, %v", codes, err)
	}
	stored, _ := store.ListRecoveryCodes(ctx, u.ID)
	for _, c := range stored {
		for _, plain := range codes {
			if strings.Contains(c.Hash, strings.ReplaceAll(plain, "-", "")) {
				t.Fatal("a recovery code is stored in the clear")
			}
		}
	}
	if has, _ := svc.Registry.HasSecondFactor(ctx, u.ID); has {
		t.Fatal("recovery codes alone count as a second factor")
	}
	used, err := svc.Verify(ctx, u.ID, strings.ToUpper(codes[1]))
	if err != nil || used.Kind != mfa.KindRecovery || used.CodesLeft != 3 {
		t.Fatalf("Verify(recovery code) = %+v, %v", used, err)
	}
	if _, err := svc.Verify(ctx, u.ID, codes[1]); !errors.Is(err, mfa.ErrWrongCode) {
		t.Fatalf("used recovery code again = %v", err)
	}
	if _, err := svc.NewRecoveryCodes(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Verify(ctx, u.ID, codes[0]); !errors.Is(err, mfa.ErrWrongCode) {
		t.Fatalf("code of the old set = %v", err)
	}
	if err := svc.CleanUpBackups(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if n, _ := svc.RecoveryCodesLeft(ctx, u.ID); n != 0 {
		t.Fatalf("%d codes left after clean-up without a factor", n)
	}
}

// limiter refuses after n failures.
type limiter struct{ fails, budget int }

func (l *limiter) CheckMFA(context.Context, string) error {
	if l.fails >= l.budget {
		return errors.New("limited")
	}
	return nil
}
func (l *limiter) MFAFailed(context.Context, string)    { l.fails++ }
func (l *limiter) MFASucceeded(context.Context, string) { l.fails = 0 }

func TestVerifyLimited(t *testing.T) {
	now := t0
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "mfa.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	l := &limiter{budget: 2}
	svc, _ := mfa.New(mfa.Options{Store: s, Secret: bytes.Repeat([]byte("k"), 32), Limiter: l, Now: func() time.Time { return now }})
	for range 2 {
		if _, err := svc.Verify(t.Context(), "u1", "123456"); !errors.Is(err, mfa.ErrWrongCode) {
			t.Fatalf("Verify = %v", err)
		}
	}
	if _, err := svc.Verify(t.Context(), "u1", "123456"); err == nil || errors.Is(err, mfa.ErrWrongCode) {
		t.Fatalf("Verify over the budget = %v, want the limiter's error", err)
	}
}

func TestACR(t *testing.T) {
	f := func(ms ...string) []storage.SessionFactor {
		var out []storage.SessionFactor
		for _, m := range ms {
			out = append(out, storage.SessionFactor{Method: m, At: t0})
		}
		return out
	}
	for _, tc := range []struct {
		factors []string
		acr     string
		amr     []string
	}{
		{[]string{"pwd"}, "pwd", []string{"pwd"}},
		{[]string{"fed"}, "pwd", []string{"fed"}},
		{[]string{"pwd", "otp"}, "mfa", []string{"pwd", "otp", "mfa"}},
		{[]string{"fed", "otp"}, "mfa", []string{"fed", "otp", "mfa"}},
		{[]string{"pwd", "hwk", "user"}, "phr", []string{"pwd", "hwk", "user", "mfa"}},
		{[]string{"swk", "user"}, "phr", []string{"swk", "user", "mfa"}},
	} {
		if got := mfa.ACRFor(f(tc.factors...)); got != tc.acr {
			t.Errorf("ACRFor(%v) = %q, want %q", tc.factors, got, tc.acr)
		}
		if got := mfa.AMR(f(tc.factors...)); !slices.Equal(got, tc.amr) {
			t.Errorf("AMR(%v) = %v, want %v", tc.factors, got, tc.amr)
		}
	}
	for in, want := range map[string]string{"": "", "phr": "phr", "mfa phr": "mfa", "urn:x pwd": "pwd", "urn:x": ""} {
		if got := mfa.Requested(in); got != want {
			t.Errorf("Requested(%q) = %q, want %q", in, got, want)
		}
	}
	if !mfa.Satisfies("phr", "mfa") || mfa.Satisfies("pwd", "mfa") || !mfa.Satisfies("pwd", "") {
		t.Error("Satisfies is wrong")
	}
}
