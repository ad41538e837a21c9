package storagetest

import (
	"errors"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
)

func newPasskey(id, userID string) storage.Passkey {
	return storage.Passkey{
		CredentialID: []byte("cred-" + id + "\x00\xff"), // ids are bytes, not text
		UserID:       userID,
		Name:         "Key " + id,
		Credential:   []byte(`{"publicKey":"` + id + `"}`),
		SignCount:    7,
		CreatedAt:    t0,
	}
}

func mkPasskey(t *testing.T, s storage.Store, id, userID string) storage.Passkey {
	t.Helper()
	p := newPasskey(id, userID)
	must(t, s.CreatePasskey(ctxFor(t), p))
	return p
}

var passkeyTests = []test{
	{"CreateGet", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkUser(t, s, "u1")
		p := mkPasskey(t, s, "a", "u1")
		got, err := s.GetPasskey(ctx, p.CredentialID)
		must(t, err)
		wantEqual(t, got, p)
		if !got.LastUsedAt.IsZero() {
			t.Fatalf("new passkey has a last use: %v", got.LastUsedAt)
		}
		_, err = s.GetPasskey(ctx, []byte("cred-none"))
		wantErr(t, err, storage.ErrNotFound)
	}},
	{"CredentialIDUnique", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkUser(t, s, "u1")
		mkUser(t, s, "u2")
		p := mkPasskey(t, s, "a", "u1")
		again := newPasskey("a", "u2")
		wantErr(t, s.CreatePasskey(ctx, again), storage.ErrAlreadyExists)
		got, err := s.GetPasskey(ctx, p.CredentialID)
		must(t, err)
		if got.UserID != "u1" {
			t.Fatalf("duplicate registration moved the passkey to %q", got.UserID)
		}
	}},
	{"UnknownUser", func(t *testing.T, s storage.Store) {
		wantErr(t, s.CreatePasskey(ctxFor(t), newPasskey("a", "nobody")), storage.ErrNotFound)
	}},
	{"SeveralPerUser", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkUser(t, s, "u1")
		mkUser(t, s, "u2")
		b := newPasskey("b", "u1")
		b.CreatedAt = at(time.Minute)
		must(t, s.CreatePasskey(ctx, b))
		a := mkPasskey(t, s, "a", "u1")
		mkPasskey(t, s, "c", "u2")
		got, err := s.ListPasskeys(ctx, "u1")
		must(t, err)
		wantEqual(t, got, []storage.Passkey{a, b})
		got, err = s.ListPasskeys(ctx, "u3")
		must(t, err)
		wantEqual(t, got, nil)
	}},
	{"UpdateRecordsUse", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkUser(t, s, "u1")
		p := mkPasskey(t, s, "a", "u1")
		must(t, s.UpdatePasskey(ctx, p.CredentialID, func(q *storage.Passkey) error {
			q.SignCount = 4_000_000_000 // uint32 range survives
			q.LastUsedAt = at(time.Hour)
			q.Name = "Laptop"
			q.Credential = []byte(`{"flags":1}`)
			return nil
		}))
		got, err := s.GetPasskey(ctx, p.CredentialID)
		must(t, err)
		want := p
		want.SignCount, want.LastUsedAt, want.Name, want.Credential = 4_000_000_000, at(time.Hour), "Laptop", []byte(`{"flags":1}`)
		wantEqual(t, got, want)

		boom := errors.New("boom")
		wantErr(t, s.UpdatePasskey(ctx, p.CredentialID, func(q *storage.Passkey) error {
			q.Name = "lost"
			return boom
		}), boom)
		got, err = s.GetPasskey(ctx, p.CredentialID)
		must(t, err)
		if got.Name != "Laptop" {
			t.Fatalf("failed update wrote name %q", got.Name)
		}
		if err := s.UpdatePasskey(ctx, p.CredentialID, func(q *storage.Passkey) error {
			q.UserID = "u2"
			return nil
		}); err == nil {
			t.Fatal("update moved the passkey to another user")
		}
		wantErr(t, s.UpdatePasskey(ctx, []byte("cred-none"), func(*storage.Passkey) error { return nil }), storage.ErrNotFound)
	}},
	{"InvalidName", func(t *testing.T, s storage.Store) {
		mkUser(t, s, "u1")
		p := newPasskey("a", "u1")
		p.Name = "bad\xff"
		wantErr(t, s.CreatePasskey(ctxFor(t), p), storage.ErrInvalid)
	}},
	{"Delete", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkUser(t, s, "u1")
		mkUser(t, s, "u2")
		a := mkPasskey(t, s, "a", "u1")
		b := mkPasskey(t, s, "b", "u1")
		c := mkPasskey(t, s, "c", "u2")
		// Only the owner removes a passkey.
		wantErr(t, s.DeletePasskey(ctx, "u2", a.CredentialID), storage.ErrNotFound)
		must(t, s.DeletePasskey(ctx, "u1", a.CredentialID))
		wantErr(t, s.DeletePasskey(ctx, "u1", a.CredentialID), storage.ErrNotFound)
		_, err := s.GetPasskey(ctx, a.CredentialID)
		wantErr(t, err, storage.ErrNotFound)

		mkPasskey(t, s, "d", "u1")
		n, err := s.DeleteUserPasskeys(ctx, "u1")
		must(t, err)
		if n != 2 {
			t.Fatalf("DeleteUserPasskeys removed %d, want 2", n)
		}
		_, err = s.GetPasskey(ctx, b.CredentialID)
		wantErr(t, err, storage.ErrNotFound)
		if _, err := s.GetPasskey(ctx, c.CredentialID); err != nil {
			t.Fatalf("another user's passkey went too: %v", err)
		}
		n, err = s.DeleteUserPasskeys(ctx, "u1")
		must(t, err)
		if n != 0 {
			t.Fatalf("second DeleteUserPasskeys removed %d", n)
		}
	}},
	{"DeletedWithUser", func(t *testing.T, s storage.Store) {
		ctx := ctxFor(t)
		mkUser(t, s, "u1")
		p := mkPasskey(t, s, "a", "u1")
		must(t, s.DeleteUser(ctx, "u1"))
		_, err := s.GetPasskey(ctx, p.CredentialID)
		wantErr(t, err, storage.ErrNotFound)
		// The credential id is free again.
		mkUser(t, s, "u2")
		must(t, s.CreatePasskey(ctx, newPasskey("a", "u2")))
	}},
}
