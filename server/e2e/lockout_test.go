package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/server/servertest"
	"github.com/gatehouse-id/gatehouse/storage"
)

// fromAddr is a transport whose connections come from the loopback
// address ip (all of 127.0.0.0/8 is loopback on Linux), so the server sees
// a real, different client address.
func fromAddr(ip string) *http.Transport {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	return &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		return d.DialContext(ctx, network, addr)
	}, DisableKeepAlives: true}
}

// passwordGrantFrom makes a password-grant request from ip; it returns the
// status.
func (f *fixture) passwordGrantFrom(t *testing.T, ip, password string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, f.env.URL+"/oauth2/token",
		strings.NewReader(passwordForm(aliceEmail, password).Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(f.clientID, f.secret)
	resp, err := (&http.Client{Transport: fromAddr(ip)}).Do(req)
	if err != nil {
		t.Fatalf("token request from %s: %v", ip, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// TestLockoutIsPerAddress: six wrong passwords from 127.0.0.3 lock the
// account for 127.0.0.3 only; its owner at 127.0.0.1 signs in on the login
// page and with the password grant.
func TestLockoutIsPerAddress(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for i := range 6 {
		got := f.passwordGrantFrom(t, "127.0.0.3", fmt.Sprintf("wrong password %d", i))
		want := http.StatusBadRequest
		if i == 5 {
			want = http.StatusTooManyRequests
		}
		if got != want {
			t.Fatalf("attempt %d from 127.0.0.3: status %d, want %d", i+1, got, want)
		}
	}
	if got := f.passwordGrantFrom(t, "127.0.0.3", alicePassword); got != http.StatusTooManyRequests {
		t.Fatalf("the attacker's address is not refused: %d", got)
	}
	if got := f.passwordGrantFrom(t, "127.0.0.1", alicePassword); got != http.StatusOK {
		t.Fatalf("password grant from 127.0.0.1 during the attack: status %d", got)
	}
	b := f.env.NewBrowser(t)
	page := b.Login(t, b.Authorize(t, f.config("openid").AuthCodeURL(servertest.RandomString(t), pkceOptions()...)), aliceEmail, alicePassword)
	if !servertest.OnPage(page, "/consent") {
		t.Fatalf("login page from 127.0.0.1 during the attack: status %d, not the consent page", page.StatusCode)
	}
}

// TestSpreadAttackSlowed: 100 wrong passwords from 100 addresses are
// refused once the account's total budget (50) is used, and the lockout is
// audited; meanwhile a browser that signed in to the account before (its
// device cookie) still gets in, and a new address does not.
func TestSpreadAttackSlowed(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	known := f.env.NewBrowser(t)
	authURL := f.config("openid").AuthCodeURL(servertest.RandomString(t), pkceOptions()...)
	if page := known.Login(t, known.Authorize(t, authURL), aliceEmail, alicePassword); !servertest.OnPage(page, "/consent") {
		t.Fatalf("first sign-in: status %d", page.StatusCode)
	}
	refused := 0
	for i := range 100 {
		switch got := f.passwordGrantFrom(t, fmt.Sprintf("127.1.%d.%d", i/200, 1+i%200), "wrong password"); got {
		case http.StatusBadRequest:
		case http.StatusTooManyRequests:
			refused++
		default:
			t.Fatalf("attempt %d: status %d", i+1, got)
		}
	}
	if refused != 50 {
		t.Fatalf("%d of 100 spread attempts refused, want 50", refused)
	}
	events, err := f.env.Store.ListAuditEvents(t.Context(), storage.AuditFilter{Type: audit.Lockout})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0].UserID != f.user.ID || events[0].Details["limit"] != "account_total" {
		t.Fatalf("lockout events %+v", events)
	}
	if got := f.passwordGrantFrom(t, "127.0.0.9", alicePassword); got != http.StatusTooManyRequests {
		t.Fatalf("a new address during the attack: status %d, want 429", got)
	}
	fresh := f.env.NewBrowser(t)
	if page := fresh.Login(t, fresh.Authorize(t, authURL), aliceEmail, alicePassword); page.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("a browser never signed in before: status %d, want 429", page.StatusCode)
	}
	// prompt=login: the known browser signs in again, with its password.
	if page := known.Login(t, known.Authorize(t, authURL+"&prompt=login"), aliceEmail, alicePassword); !servertest.OnPage(page, "/consent") {
		t.Fatalf("the known browser during the attack: status %d, not the consent page", page.StatusCode)
	}
}
