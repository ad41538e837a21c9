package storagetest

import (
	"context"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
)

const (
	kCode    = storage.KindAuthorizeCode
	kAccess  = storage.KindAccessToken
	kRefresh = storage.KindRefreshToken
)

var tokenTests = []test{
	{"CreateGetEveryKind", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkClient(t, s, "c1")
		// The same signature under each kind: kinds are separate namespaces.
		var want []storage.TokenSession
		for _, kind := range storage.TokenKinds {
			ts := newToken(kind, "sig", "req1", "c1", "u1")
			if kind == kRefresh {
				ts.AccessSignature = "at-sig"
			}
			must(t, s.CreateTokenSession(ctx, ts))
			want = append(want, ts)
		}
		for _, ts := range want {
			got, err := s.GetTokenSession(ctx, ts.Kind, "sig")
			must(t, err)
			wantEqual(t, got, ts)
		}
	}},
	{"NoExpiryNoSubject", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkClient(t, s, "c1")
		ts := newToken(kAccess, "sig", "req1", "c1", "")
		ts.ExpiresAt = time.Time{}
		ts.Data = nil
		must(t, s.CreateTokenSession(ctx, ts))
		got, err := s.GetTokenSession(ctx, kAccess, "sig")
		must(t, err)
		wantEqual(t, got, ts)
	}},
	{"CreateInactive", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkClient(t, s, "c1")
		ts := newToken(kCode, "sig", "req1", "c1", "u1")
		ts.Active = false
		must(t, s.CreateTokenSession(ctx, ts))
		got, err := s.GetTokenSession(ctx, kCode, "sig")
		must(t, err)
		wantEqual(t, got, ts)
	}},
	{"Duplicate", func(t *testing.T, s storage.Store) {
		mkClient(t, s, "c1")
		mkToken(t, s, kAccess, "sig", "req1", "c1", "u1")
		err := s.CreateTokenSession(ctxFor(t), newToken(kAccess, "sig", "req2", "c1", "u2"))
		wantErr(t, err, storage.ErrAlreadyExists)
	}},
	{"NotFound", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkClient(t, s, "c1")
		mkToken(t, s, kAccess, "sig", "req1", "c1", "u1")
		_, err := s.GetTokenSession(ctx, kAccess, "other")
		wantErr(t, err, storage.ErrNotFound)
		_, err = s.GetTokenSession(ctx, kRefresh, "sig")
		wantErr(t, err, storage.ErrNotFound)
	}},
	{"Deactivate", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkClient(t, s, "c1")
		ts := mkToken(t, s, kCode, "sig", "req1", "c1", "u1")
		mkToken(t, s, kCode, "sig2", "req1", "c1", "u1")
		must(t, s.DeactivateTokenSession(ctx, kCode, "sig"))
		got, err := s.GetTokenSession(ctx, kCode, "sig")
		must(t, err)
		ts.Active = false
		wantEqual(t, got, ts)
		// Second use of a code loses; unknown codes are not found.
		wantErr(t, s.DeactivateTokenSession(ctx, kCode, "sig"), storage.ErrNotFound)
		wantErr(t, s.DeactivateTokenSession(ctx, kCode, "nope"), storage.ErrNotFound)
		if got, _ := s.GetTokenSession(ctx, kCode, "sig2"); !got.Active {
			t.Fatal("deactivated a sibling session")
		}
	}},
	{"Delete", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkClient(t, s, "c1")
		mkToken(t, s, kAccess, "sig", "req1", "c1", "u1")
		mkToken(t, s, kRefresh, "sig", "req1", "c1", "u1")
		must(t, s.DeleteTokenSession(ctx, kAccess, "sig"))
		if tokenExists(t, s, kAccess, "sig") {
			t.Fatal("deleted session still there")
		}
		if !tokenExists(t, s, kRefresh, "sig") {
			t.Fatal("deleted a session of another kind")
		}
		must(t, s.DeleteTokenSession(ctx, kAccess, "sig")) // missing: not an error
	}},
	{"ByRequest", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkClient(t, s, "c1")
		for _, sig := range []string{"r1a", "r1b"} {
			mkToken(t, s, kRefresh, sig, "req1", "c1", "u1")
			mkToken(t, s, kAccess, sig, "req1", "c1", "u1")
		}
		mkToken(t, s, kRefresh, "r2", "req2", "c1", "u1")
		mkToken(t, s, kAccess, "r2", "req2", "c1", "u1")

		must(t, s.DeactivateTokenSessionsByRequest(ctx, kRefresh, "req1"))
		must(t, s.DeactivateTokenSessionsByRequest(ctx, kRefresh, "req1")) // again: fine
		for sig, active := range map[string]bool{"r1a": false, "r1b": false, "r2": true} {
			got, err := s.GetTokenSession(ctx, kRefresh, sig)
			must(t, err)
			if got.Active != active {
				t.Errorf("refresh %s: active %v, want %v", sig, got.Active, active)
			}
		}
		for _, sig := range []string{"r1a", "r1b", "r2"} {
			if got, _ := s.GetTokenSession(ctx, kAccess, sig); !got.Active {
				t.Errorf("access %s deactivated by a refresh-kind call", sig)
			}
		}

		must(t, s.DeleteTokenSessionsByRequest(ctx, kAccess, "req1"))
		must(t, s.DeleteTokenSessionsByRequest(ctx, kAccess, "none")) // nothing: fine
		for sig, exists := range map[string]bool{"r1a": false, "r1b": false, "r2": true} {
			if got := tokenExists(t, s, kAccess, sig); got != exists {
				t.Errorf("access %s: exists %v, want %v", sig, got, exists)
			}
			if !tokenExists(t, s, kRefresh, sig) {
				t.Errorf("refresh %s deleted by an access-kind call", sig)
			}
		}
	}},
	{"Rotate", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkClient(t, s, "c1")
		rt := mkToken(t, s, kRefresh, "rt1", "req1", "c1", "u1")
		mkToken(t, s, kAccess, "at1", "req1", "c1", "u1")
		mkToken(t, s, kAccess, "at1b", "req1", "c1", "u1")
		mkToken(t, s, kAccess, "at2", "req2", "c1", "u1")
		mkToken(t, s, kRefresh, "rt2", "req2", "c1", "u1")

		wantErr(t, s.RotateRefreshToken(ctx, "req2", "rt1", t0, 0), storage.ErrNotFound) // wrong family
		must(t, s.RotateRefreshToken(ctx, "req1", "rt1", t0, 0))
		got, err := s.GetTokenSession(ctx, kRefresh, "rt1")
		must(t, err)
		rt.Active = false
		rt.FirstUsedAt = t0
		wantEqual(t, got, rt)
		for sig, exists := range map[string]bool{"at1": false, "at1b": false, "at2": true} {
			if got := tokenExists(t, s, kAccess, sig); got != exists {
				t.Errorf("access %s: exists %v, want %v", sig, got, exists)
			}
		}
		if got, _ := s.GetTokenSession(ctx, kRefresh, "rt2"); !got.Active {
			t.Error("rotation deactivated another family")
		}
		wantErr(t, s.RotateRefreshToken(ctx, "req1", "rt1", t0, 0), storage.ErrNotFound)
		wantErr(t, s.RotateRefreshToken(ctx, "req1", "nope", t0, 0), storage.ErrNotFound)
	}},
	{"RotateChain", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkClient(t, s, "c1")
		mkToken(t, s, kRefresh, "rt1", "req1", "c1", "u1")
		// What fosite does on refresh: rotate, then issue the next pair under
		// the same request id, all in one transaction.
		must(t, storage.InTx(ctx, s, func(ctx context.Context) error {
			if err := s.RotateRefreshToken(ctx, "req1", "rt1", t0, 0); err != nil {
				return err
			}
			if err := s.CreateTokenSession(ctx, newToken(kAccess, "at2", "req1", "c1", "u1")); err != nil {
				return err
			}
			return s.CreateTokenSession(ctx, newToken(kRefresh, "rt2", "req1", "c1", "u1"))
		}))
		wantErr(t, s.RotateRefreshToken(ctx, "req1", "rt1", t0, 0), storage.ErrNotFound)
		must(t, s.RotateRefreshToken(ctx, "req1", "rt2", t0, 0))
		if tokenExists(t, s, kAccess, "at2") {
			t.Fatal("second rotation kept the family's access token")
		}
	}},
	{"RevokeSubject", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkClient(t, s, "c1")
		mkClient(t, s, "c2")
		for _, sub := range []string{"u1", "u2"} {
			for _, cid := range []string{"c1", "c2"} {
				sig := sub + "-" + cid
				mkToken(t, s, kRefresh, sig, "req-"+sig, cid, sub)
				mkToken(t, s, kAccess, sig, "req-"+sig, cid, sub)
			}
		}
		check := func(revoked map[string]bool) {
			t.Helper()
			for _, sig := range []string{"u1-c1", "u1-c2", "u2-c1", "u2-c2"} {
				rt, err := s.GetTokenSession(ctx, kRefresh, sig)
				must(t, err)
				if rt.Active == revoked[sig] {
					t.Errorf("refresh %s: active %v, want %v", sig, rt.Active, !revoked[sig])
				}
				if tokenExists(t, s, kAccess, sig) == revoked[sig] {
					t.Errorf("access %s: exists %v, want %v", sig, !revoked[sig], !revoked[sig])
				}
			}
		}
		must(t, s.RevokeSubjectTokens(ctx, "u1", "c1"))
		check(map[string]bool{"u1-c1": true})
		must(t, s.RevokeSubjectTokens(ctx, "u1", ""))
		check(map[string]bool{"u1-c1": true, "u1-c2": true})
		must(t, s.RevokeSubjectTokens(ctx, "nobody", ""))
		check(map[string]bool{"u1-c1": true, "u1-c2": true})
	}},
}

var jtiTests = []test{
	{"UseOnceUntilExpiry", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		exp := at(time.Minute)
		must(t, s.UseJTI(ctx, "j1", exp, t0))
		wantErr(t, s.UseJTI(ctx, "j1", exp, t0), storage.ErrAlreadyExists)
		wantErr(t, s.UseJTI(ctx, "j1", at(time.Hour), at(30*time.Second)), storage.ErrAlreadyExists)
		must(t, s.UseJTI(ctx, "j2", exp, t0)) // another id is independent
		// Once expired, the id may be recorded again, with the new expiry.
		must(t, s.UseJTI(ctx, "j1", at(time.Hour), at(2*time.Minute)))
		wantErr(t, s.UseJTI(ctx, "j1", at(time.Hour), at(30*time.Minute)), storage.ErrAlreadyExists)
	}},
}
