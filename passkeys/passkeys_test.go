package passkeys_test

import (
	"context"
	"encoding/base64"
	"errors"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/mfa"
	"github.com/gatehouse-id/gatehouse/passkeys"
	"github.com/gatehouse-id/gatehouse/storage"
	"github.com/gatehouse-id/gatehouse/storage/sqlite"
)

const (
	origin = "https://login.example.com"
	rpID   = "example.com"
)

type fixture struct {
	svc   *passkeys.Service
	store *sqlite.Store
	now   time.Time
	user  storage.User
}

func setup(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "gatehouse.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{store: st, now: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
	f.svc, err = passkeys.New(passkeys.Config{RPID: rpID, Origins: []string{origin}, DisplayName: "Gatehouse",
		Now: func() time.Time { return f.now }}, st)
	if err != nil {
		t.Fatal(err)
	}
	f.user = f.mkUser(t, "4b7c1f3e-0000-4000-8000-000000000001", "alice@example.com")
	return f
}

func (f *fixture) mkUser(t testing.TB, id, email string) storage.User {
	t.Helper()
	u := storage.User{ID: id, Email: email, Name: "Alice", Roles: []string{"user"}, CreatedAt: f.now, UpdatedAt: f.now}
	if err := f.store.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return u
}

// register adds a passkey held by k to u.
func (f *fixture) register(t testing.TB, u storage.User, k *softKey, name string) storage.Passkey {
	t.Helper()
	ctx := context.Background()
	opts, c, err := f.svc.BeginRegistration(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.svc.FinishRegistration(ctx, u, c, name, k.create(t, opts))
	if err != nil {
		t.Fatalf("finish registration: %v", err)
	}
	return p
}

func TestRegisterThenSignInWithoutPassword(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	k := newSoftKey(t, origin, rpID)
	p := f.register(t, f.user, k, "Laptop")
	if p.Name != "Laptop" || p.UserID != f.user.ID || !p.LastUsedAt.IsZero() {
		t.Fatalf("registered %+v", p)
	}

	f.now = f.now.Add(time.Hour)
	opts, c, err := f.svc.BeginLogin()
	if err != nil {
		t.Fatal(err)
	}
	if opts.Response.UserVerification != "required" || len(opts.Response.AllowedCredentials) != 0 {
		t.Fatalf("login options: uv %q, allow %d", opts.Response.UserVerification, len(opts.Response.AllowedCredentials))
	}
	res, err := f.svc.FinishLogin(ctx, c, k.get(t, opts))
	if err != nil {
		t.Fatalf("finish login: %v", err)
	}
	if res.User.ID != f.user.ID || !res.UserVerified || res.Method() != "hwk" {
		t.Fatalf("result: user %q uv %v method %q", res.User.ID, res.UserVerified, res.Method())
	}
	if !res.Passkey.LastUsedAt.Equal(f.now) || res.Passkey.SignCount != k.count {
		t.Fatalf("use not recorded: %+v", res.Passkey)
	}
}

func TestSecondFactor(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	k := newSoftKey(t, origin, rpID)
	f.register(t, f.user, k, "Key")
	k.uv = false // only presence: the password was the first factor
	opts, c, err := f.svc.BeginSecondFactor(ctx, f.user)
	if err != nil {
		t.Fatal(err)
	}
	if len(opts.Response.AllowedCredentials) != 1 {
		t.Fatalf("allowed credentials: %d", len(opts.Response.AllowedCredentials))
	}
	res, err := f.svc.FinishSecondFactor(ctx, f.user, c, k.get(t, opts))
	if err != nil {
		t.Fatalf("finish: %v", err)
	}
	if res.UserVerified {
		t.Fatal("reported user verification the authenticator did not do")
	}

	bob := f.mkUser(t, "4b7c1f3e-0000-4000-8000-000000000002", "bob@example.com")
	if _, _, err := f.svc.BeginSecondFactor(ctx, bob); !errors.Is(err, passkeys.ErrNone) {
		t.Fatalf("second factor without passkeys: %v, want ErrNone", err)
	}
	// Alice's ceremony cannot confirm Bob's sign-in.
	opts, c, err = f.svc.BeginSecondFactor(ctx, f.user)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.FinishSecondFactor(ctx, bob, c, k.get(t, opts)); !errors.Is(err, passkeys.ErrRejected) {
		t.Fatalf("another person's ceremony: %v, want ErrRejected", err)
	}
}

func TestRefusals(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	k := newSoftKey(t, origin, rpID)
	f.register(t, f.user, k, "Key")

	login := func(t *testing.T, k *softKey) error {
		opts, c, err := f.svc.BeginLogin()
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.FinishLogin(ctx, c, k.get(t, opts))
		return err
	}
	t.Run("NoUserVerification", func(t *testing.T) {
		k.uv = false
		defer func() { k.uv = true }()
		if err := login(t, k); !errors.Is(err, passkeys.ErrRejected) {
			t.Fatalf("got %v, want ErrRejected", err)
		}
	})
	t.Run("OtherOrigin", func(t *testing.T) {
		k.origin = "https://evil.example"
		defer func() { k.origin = origin }()
		if err := login(t, k); !errors.Is(err, passkeys.ErrRejected) {
			t.Fatalf("got %v, want ErrRejected", err)
		}
	})
	t.Run("UnknownCredential", func(t *testing.T) {
		other := newSoftKey(t, origin, rpID)
		other.handle = []byte(f.user.ID)
		if err := login(t, other); !errors.Is(err, passkeys.ErrRejected) {
			t.Fatalf("got %v, want ErrRejected", err)
		}
	})
	t.Run("CounterWentBack", func(t *testing.T) {
		if err := login(t, k); err != nil {
			t.Fatal(err)
		}
		k.count -= 2 // the next assertion repeats a counter already seen
		if err := login(t, k); !errors.Is(err, passkeys.ErrCloned) {
			t.Fatalf("got %v, want ErrCloned", err)
		}
		k.count += 5
	})
	t.Run("Malformed", func(t *testing.T) {
		_, c, err := f.svc.BeginLogin()
		if err != nil {
			t.Fatal(err)
		}
		for _, body := range []string{"", "{", `{"id":"x"}`, `[]`, `{"type":"public-key","id":"AA","rawId":"AA","response":{}}`} {
			if _, err := f.svc.FinishLogin(ctx, c, []byte(body)); !errors.Is(err, passkeys.ErrMalformed) {
				t.Errorf("%q: got %v, want ErrMalformed", body, err)
			}
		}
	})
	t.Run("WrongKindOrExpired", func(t *testing.T) {
		opts, c, err := f.svc.BeginSecondFactor(ctx, f.user)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.FinishLogin(ctx, c, k.get(t, opts)); !errors.Is(err, passkeys.ErrRejected) {
			t.Fatalf("second-factor ceremony used to log in: %v", err)
		}
		opts, c, err = f.svc.BeginLogin()
		if err != nil {
			t.Fatal(err)
		}
		f.now = f.now.Add(passkeys.CeremonyTTL)
		if _, err := f.svc.FinishLogin(ctx, c, k.get(t, opts)); !errors.Is(err, passkeys.ErrExpired) {
			t.Fatalf("expired ceremony: %v", err)
		}
	})
	t.Run("DisabledAccount", func(t *testing.T) {
		if err := f.store.UpdateUser(ctx, f.user.ID, func(u *storage.User) error { u.Disabled = true; return nil }); err != nil {
			t.Fatal(err)
		}
		defer f.store.UpdateUser(ctx, f.user.ID, func(u *storage.User) error { u.Disabled = false; return nil })
		if err := login(t, k); !errors.Is(err, passkeys.ErrRejected) {
			t.Fatalf("got %v, want ErrRejected", err)
		}
	})
}

func TestRegistrationRefusals(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	k := newSoftKey(t, origin, rpID)
	f.register(t, f.user, k, "Key")

	opts, c, err := f.svc.BeginRegistration(ctx, f.user)
	if err != nil {
		t.Fatal(err)
	}
	if len(opts.Response.CredentialExcludeList) != 1 {
		t.Fatalf("exclude list: %d, want the registered passkey", len(opts.Response.CredentialExcludeList))
	}
	if _, err := f.svc.FinishRegistration(ctx, f.user, c, "Again", k.create(t, opts)); !errors.Is(err, passkeys.ErrDuplicate) {
		t.Fatalf("same credential twice: %v, want ErrDuplicate", err)
	}
	bob := f.mkUser(t, "4b7c1f3e-0000-4000-8000-000000000002", "bob@example.com")
	opts, c, err = f.svc.BeginRegistration(ctx, f.user)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.FinishRegistration(ctx, bob, c, "Key", newSoftKey(t, origin, rpID).create(t, opts)); !errors.Is(err, passkeys.ErrRejected) {
		t.Fatalf("Alice's ceremony for Bob: %v, want ErrRejected", err)
	}
	if _, err := f.svc.FinishRegistration(ctx, f.user, c, "Key", []byte(`{"id":`)); !errors.Is(err, passkeys.ErrMalformed) {
		t.Fatalf("malformed: %v", err)
	}
	noUV := newSoftKey(t, origin, rpID)
	noUV.uv = false
	if _, err := f.svc.FinishRegistration(ctx, f.user, c, "Key", noUV.create(t, opts)); !errors.Is(err, passkeys.ErrRejected) {
		t.Fatalf("registration without user verification: %v, want ErrRejected", err)
	}
	for range passkeys.MaxPerUser - 1 {
		f.register(t, f.user, newSoftKey(t, origin, rpID), "More")
	}
	if _, _, err := f.svc.BeginRegistration(ctx, f.user); !errors.Is(err, passkeys.ErrLimit) {
		t.Fatalf("past the limit: %v, want ErrLimit", err)
	}
}

func TestSyncedPasskeyIsSoftware(t *testing.T) {
	f := setup(t)
	k := newSoftKey(t, origin, rpID)
	k.backup = true
	p := f.register(t, f.user, k, "Phone")
	if !passkeys.Synced(p) || passkeys.Method(p) != "swk" {
		t.Fatalf("synced passkey: Synced %v, Method %q", passkeys.Synced(p), passkeys.Method(p))
	}
}

func TestConfig(t *testing.T) {
	if _, err := passkeys.New(passkeys.Config{RPID: "127.0.0.1", Origins: []string{"http://127.0.0.1:8080"}, DisplayName: "G"}, nil); err == nil {
		t.Fatal("an IP address was accepted as relying-party id")
	}
	if o, err := passkeys.OriginOf("https://login.example.com/base"); err != nil || o != "https://login.example.com" {
		t.Fatalf("OriginOf: %q, %v", o, err)
	}
	for _, bad := range []string{"", "  ", "a\x00b", "tab\there", string(make([]rune, passkeys.MaxNameLength+1))} {
		if name, ok := passkeys.CleanName(bad); ok && bad != "" && bad != "  " {
			t.Errorf("CleanName(%q) = %q, accepted", bad, name)
		}
	}
	if name, ok := passkeys.CleanName("  "); !ok || name != "Passkey" {
		t.Errorf("empty name: %q, %v", name, ok)
	}
}

// BenchmarkVerifyAssertion measures the server's work for one passwordless
// sign-in with a passkey: parse the answer, look the passkey and its owner
// up, verify the signature, record the use (SQLite). cpu-ms/op is the
// process's CPU time per verification; issue 14 asks for under 5 ms.
func BenchmarkVerifyAssertion(b *testing.B) {
	f := setup(b)
	ctx := context.Background()
	k := newSoftKey(b, origin, rpID)
	f.register(b, f.user, k, "Key")
	type round struct {
		c    passkeys.Ceremony
		resp []byte
	}
	rounds := make([]round, b.N)
	for i := range rounds {
		opts, c, err := f.svc.BeginLogin()
		if err != nil {
			b.Fatal(err)
		}
		rounds[i] = round{c, k.get(b, opts)}
	}
	b.ReportAllocs()
	cpu0 := cpuTime(b)
	b.ResetTimer()
	for i := range b.N {
		if _, err := f.svc.FinishLogin(ctx, rounds[i].c, rounds[i].resp); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64((cpuTime(b)-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

// cpuTime is the CPU time (user and system) this process has used.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestSecondFactorRegistry: passkeys are listed as second factors of acr
// phr (never a secret) and an administrator's reset removes them all.
func TestSecondFactorRegistry(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	p := f.register(t, f.user, newSoftKey(t, origin, rpID), "Laptop")
	f.now = f.now.Add(time.Minute)
	f.register(t, f.user, newSoftKey(t, origin, rpID), "Phone")
	if f.svc.Kind() != mfa.KindPasskey {
		t.Fatalf("kind %q", f.svc.Kind())
	}
	fs, err := f.svc.Factors(ctx, f.user.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 2 || fs[0].Name != "Laptop" || fs[0].ACR != mfa.ACRPhishingResistant || fs[0].Kind != mfa.KindPasskey ||
		fs[0].ID != base64.RawURLEncoding.EncodeToString(p.CredentialID) || fs[0].Backup {
		t.Fatalf("factors %+v", fs)
	}
	if err := f.svc.RemoveAll(ctx, f.user.ID); err != nil {
		t.Fatal(err)
	}
	if fs, err := f.svc.Factors(ctx, f.user.ID); err != nil || len(fs) != 0 {
		t.Fatalf("after RemoveAll: %+v, %v", fs, err)
	}
	if err := f.svc.RemoveAll(ctx, f.user.ID); err != nil {
		t.Fatalf("RemoveAll with none: %v", err)
	}
}
