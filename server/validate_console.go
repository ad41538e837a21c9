package server

// validateConsole checks the console section: requiring a second factor
// needs a kind of factor an admin can set up.
func validateConsole(c *Config, k *checker) {
	k.check(!c.Console.RequireMFA || c.MFA.TOTP || c.MFA.Passkeys,
		"console.require_mfa: true, but both mfa.totp and mfa.passkeys are off: no admin could set up a second factor (turn one on, or set console.require_mfa: false)")
}
