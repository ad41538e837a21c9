package server

import (
	"strings"
	"testing"
)

// TestValidateMFA covers the mfa section: defaults pass, and each bad
// value is reported with its key.
func TestValidateMFA(t *testing.T) {
	for _, tc := range []struct {
		name   string
		modify func(c *Config)
		want   string // "" for valid
	}{
		{"defaults", func(c *Config) {}, ""},
		{"rp_id is the issuer host", func(c *Config) { c.MFA.RPID = "id.example.com" }, ""},
		{"rp_id is a parent domain", func(c *Config) { c.MFA.RPID = "example.com" }, ""},
		{"rp_id another domain", func(c *Config) { c.MFA.RPID = "example.org" }, "mfa.rp_id:"},
		{"rp_id a suffix but not a parent", func(c *Config) { c.MFA.RPID = "ample.com" }, "mfa.rp_id:"},
		{"rp_id with scheme", func(c *Config) { c.MFA.RPID = "https://id.example.com" }, "mfa.rp_id:"},
		{"rp_id with port", func(c *Config) { c.MFA.RPID = "id.example.com:443" }, "mfa.rp_id:"},
		{"rp_id an IP address", func(c *Config) {
			c.Issuer = "https://192.0.2.10"
			c.MFA.RPID = "192.0.2.10"
		}, "mfa.rp_id: \"192.0.2.10\" is an IP address"},
		{"no recovery codes", func(c *Config) { c.MFA.RecoveryCodes = 0 }, "mfa.recovery_codes:"},
		{"too many recovery codes", func(c *Config) { c.MFA.RecoveryCodes = 51 }, "mfa.recovery_codes:"},
		{"required role invalid", func(c *Config) { c.MFA.RequiredRoles = []string{"Admin!"} }, "mfa.required_roles:"},
		{"required role without factors", func(c *Config) {
			c.MFA.RequiredRoles = []string{"admin"}
			c.MFA.TOTP, c.MFA.Passkeys = false, false
		}, "mfa.required_roles:"},
		{"required role", func(c *Config) { c.MFA.RequiredRoles = []string{"admin"} }, ""},
		{"provider named mfa", func(c *Config) {
			c.Providers = []ProviderConfig{{ID: "mfa", Type: "github", ClientID: "x", ClientSecret: "y"}}
		}, "providers[mfa].id:"},
	} {
		t.Run(tc.name, func(t *testing.T) { checkValidate(t, tc.modify, tc.want) })
	}
}

// TestMFAConfigFromEnv sets every mfa key from its GATEHOUSE_MFA_* twin.
func TestMFAConfigFromEnv(t *testing.T) {
	cfg, err := LoadConfig("", envMap(map[string]string{
		"GATEHOUSE_MFA_TOTP":           "false",
		"GATEHOUSE_MFA_PASSKEYS":       "false",
		"GATEHOUSE_MFA_RP_ID":          "localhost",
		"GATEHOUSE_MFA_REQUIRED_ROLES": "admin, ops",
		"GATEHOUSE_MFA_RECOVERY_CODES": "12",
	}))
	if err != nil {
		t.Fatal(err)
	}
	m := cfg.MFA
	if m.TOTP || m.Passkeys || m.RPID != "localhost" || strings.Join(m.RequiredRoles, ",") != "admin,ops" || m.RecoveryCodes != 12 {
		t.Fatalf("MFA = %+v", m)
	}
	if d := Defaults().MFA; !d.TOTP || !d.Passkeys || d.RecoveryCodes != 10 || len(d.RequiredRoles) != 0 {
		t.Fatalf("Defaults().MFA = %+v", d)
	}
	c := validConfig()
	if got := c.RPID(); got != "id.example.com" {
		t.Fatalf("RPID() = %q, want the issuer host", got)
	}
}

// checkValidate validates the test's valid configuration changed by
// modify: want "" expects no error, else an error that mentions want.
func checkValidate(t *testing.T, modify func(*Config), want string) {
	t.Helper()
	c := validConfig()
	modify(&c)
	err := c.Validate()
	if want == "" {
		if err != nil {
			t.Fatalf("Validate() = %v, want nil", err)
		}
		return
	}
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("Validate() = %v, want it to mention %q", err, want)
	}
}
