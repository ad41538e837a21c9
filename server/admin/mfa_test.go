package admin_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
)

// TestAdminResetMFA: the user listing shows which second factors a user
// has (never a secret); DELETE /admin/users/{id}/mfa removes them all,
// audited with the admin as actor and mailed to the person.
func TestAdminResetMFA(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	svc := f.env.Server.MFA
	now := time.Now()
	svc.SetClock(func() time.Time { return now })
	e, err := svc.BeginTOTP(ctx, f.user)
	if err != nil {
		t.Fatal(err)
	}
	code, _ := totp.GenerateCode(e.Secret, now)
	if err := svc.ConfirmTOTP(ctx, f.user.ID, code); err != nil {
		t.Fatal(err)
	}
	codes, err := svc.NewRecoveryCodes(ctx, f.user.ID)
	if err != nil {
		t.Fatal(err)
	}
	token := f.adminToken(t)

	r := f.ok(t, token, http.MethodGet, "/admin/users/"+f.user.ID, nil, http.StatusOK)
	body := string(r.Body)
	if !strings.Contains(body, `"kind":"totp"`) || !strings.Contains(body, `"kind":"recovery_codes"`) || !strings.Contains(body, `"count":10`) {
		t.Errorf("user view lacks the factors: %s", body)
	}
	for _, s := range append(codes, e.Secret) {
		if strings.Contains(body, s) {
			t.Fatalf("user view holds a secret: %s", body)
		}
	}
	r = f.ok(t, token, http.MethodGet, "/admin/users", nil, http.StatusOK)
	if !strings.Contains(string(r.Body), `"second_factors":[]`) || !strings.Contains(string(r.Body), `"kind":"totp"`) {
		t.Errorf("listing does not show factors: %s", r.Body)
	}

	r = f.ok(t, token, http.MethodDelete, "/admin/users/"+f.user.ID+"/mfa", nil, http.StatusOK)
	if !strings.Contains(string(r.Body), `"removed":["totp","recovery_codes"]`) || !strings.Contains(string(r.Body), `"second_factors":[]`) {
		t.Errorf("reset answer %s", r.Body)
	}
	if has, _ := svc.Registry.HasSecondFactor(ctx, f.user.ID); has {
		t.Fatal("factors left after the reset")
	}
	if n, _ := svc.RecoveryCodesLeft(ctx, f.user.ID); n != 0 {
		t.Fatalf("%d recovery codes left", n)
	}
	ev := f.events(t, "mfa.removed")
	if len(ev) != 1 || ev[0].UserID != f.user.ID || ev[0].Details["actor"] != f.admin.ID {
		t.Errorf("mfa.removed events %+v", ev)
	}
	wantError(t, f.call(t, token, http.MethodDelete, "/admin/users/nobody/mfa", nil), http.StatusNotFound, "not_found")
	wantMail(t, f.env.Config.Mail.Dir, userEmail, "administrator removed all your second factors")

	// require_mfa is a client field of the admin API.
	r = f.ok(t, token, http.MethodPost, "/admin/clients", map[string]any{
		"client_id": "strict", "redirect_uris": []string{"https://strict.example/cb"}, "require_mfa": true,
	}, http.StatusCreated)
	if r.JSON["require_mfa"] != true {
		t.Errorf("created client %s", r.Body)
	}
	r = f.ok(t, token, http.MethodPatch, "/admin/clients/strict", map[string]any{"require_mfa": false}, http.StatusOK)
	if r.JSON["require_mfa"] != false {
		t.Errorf("patched client %s", r.Body)
	}
}

// wantMail waits for a mail to rcpt containing text in the file outbox.
func wantMail(t *testing.T, dir, rcpt, text string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
		for _, f := range files {
			raw, _ := os.ReadFile(f)
			s := strings.ReplaceAll(string(raw), "=\r\n", "")
			if strings.Contains(s, rcpt) && strings.Contains(s, text) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no mail to %s saying %q", rcpt, text)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
