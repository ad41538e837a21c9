package server

import (
	"strings"
	"testing"
	"time"
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

// TestValidateGrants reports each grant section's problems.
func TestValidateGrants(t *testing.T) {
	c := validConfig()
	c.Device.CodeLifetime = Duration(0)
	c.Device.Interval = Duration(1500 * time.Millisecond)
	c.PAR.Enabled, c.PAR.RequirePushedAuthorizationRequests = false, true
	c.DPoP.Algorithms = []string{"ES256", "HS256"}
	c.DPoP.ProofMaxAge = Duration(time.Hour)
	err := c.Validate()
	if err == nil {
		t.Fatal("Validate() = nil")
	}
	for _, want := range []string{"device.code_lifetime:", "device.interval:", "par.require_pushed_authorization_requests:",
		`dpop.algorithms: "HS256"`, "dpop.proof_max_age:"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %q, want it to contain %q", err, want)
		}
	}
	ok := validConfig()
	if err := ok.Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
}
