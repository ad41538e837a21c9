package server

import (
	"strings"
	"testing"
)

// TestValidateEverySectionAtOnce breaks one thing in every section and
// expects every section's validator to report it in the same run.
func TestValidateEverySectionAtOnce(t *testing.T) {
	c := validConfig()
	c.Mail.Driver = "pigeon"
	c.Branding.PrimaryColor = "red"
	c.Providers = []ProviderConfig{{ID: "Bad ID", Type: "github", ClientID: "x", ClientSecret: "y"}}
	c.RateLimit.IPAttempts = 0
	c.TrustedProxies = []string{"not-an-ip"}
	c.Janitor.Interval = 0
	c.LogLevel = "loud"
	c.Lifetimes.AccessToken = 0
	c.Keys.Algorithm = "HS256"
	c.MFA.RecoveryCodes = 0
	err := c.Validate()
	if err == nil {
		t.Fatal("Validate() = nil, want a problem per section")
	}
	for _, want := range []string{
		"mail.driver:", "branding.primary_color:", "providers[Bad ID].id:",
		"ratelimit.ip_attempts:", "trusted_proxies:", "janitor.interval:",
		"log_level:", "lifetimes.access_token:", "keys.algorithm:", "mfa.recovery_codes:",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %q, want it to contain %q", err, want)
		}
	}
	if lines := strings.Count(err.Error(), "\n") + 1; lines != 10 {
		t.Errorf("Validate() reported %d problems, want 10:\n%s", lines, err)
	}
}
