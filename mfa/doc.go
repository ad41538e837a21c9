// Package mfa holds the rules of second factors: the authentication
// methods and context classes a sign-in reaches (acr.go: RFC 8176 amr
// values, acr pwd < mfa < phr), the one list of factor kinds a person may
// have (Registry: TOTP and recovery codes here, passkeys registered by
// their own package), TOTP enrolment and verification (RFC 6238 with a
// stored last step, so a code works once on every node), and recovery
// codes (keyed hashes, single use). It knows nothing of HTTP: the pages
// (server/web) and the protocol endpoints (server/oauth) call it.
package mfa
