package server

import (
	"testing"
)

// TestValidateConsole: requiring a second factor for the console needs a
// kind of factor an admin can set up.
func TestValidateConsole(t *testing.T) {
	for _, tc := range []struct {
		name   string
		modify func(c *Config)
		want   string // "" for valid
	}{
		{"defaults", func(c *Config) {}, ""},
		{"no factors, not required", func(c *Config) {
			c.MFA.TOTP, c.MFA.Passkeys = false, false
			c.Console.RequireMFA = false
		}, ""},
		{"passkeys only", func(c *Config) { c.MFA.TOTP = false }, ""},
		{"no factors, required", func(c *Config) { c.MFA.TOTP, c.MFA.Passkeys = false, false }, "console.require_mfa:"},
	} {
		t.Run(tc.name, func(t *testing.T) { checkValidate(t, tc.modify, tc.want) })
	}
}

// TestConsoleConfig: require_mfa defaults to true and comes from
// GATEHOUSE_CONSOLE_REQUIRE_MFA too.
func TestConsoleConfig(t *testing.T) {
	if !Defaults().Console.RequireMFA {
		t.Error("console.require_mfa defaults to false, want true")
	}
	cfg, err := LoadConfig("", envMap(map[string]string{"GATEHOUSE_CONSOLE_REQUIRE_MFA": "false"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Console.RequireMFA {
		t.Error("GATEHOUSE_CONSOLE_REQUIRE_MFA=false left require_mfa on")
	}
}
