// Package passkeys is Gatehouse's WebAuthn relying party, built on
// github.com/go-webauthn/webauthn: it registers passkeys to a person's
// account and verifies them, either as the only factor (a discoverable
// passkey with user verification, no password) or as a second factor after
// the password.
//
// Every ceremony has two halves. Begin returns the options the browser
// passes to navigator.credentials.create or .get, and a Ceremony: the
// server's half, which the caller keeps (server/web puts it in a signed,
// short-lived cookie and spends it once) and hands back to Finish with the
// browser's answer. The package knows nothing of HTTP.
package passkeys
