package mfa

import (
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
)

// Authentication method references (RFC 8176), as recorded in a browser
// session's factors and sent in the ID token's amr claim.
const (
	AMRPassword     = "pwd"  // a password
	AMROTP          = "otp"  // a one-time code: TOTP or a recovery code
	AMRHardwareKey  = "hwk"  // a passkey bound to hardware (security key, platform authenticator)
	AMRSoftwareKey  = "swk"  // a passkey held in software (synced passkey)
	AMRUser         = "user" // user presence / verification on an authenticator
	AMRMultiFactor  = "mfa"  // more than one factor; added, never recorded
	AMRFederated    = "fed"  // an upstream identity provider
	AMRRecoveryCode = AMROTP // a recovery code is a one-time password
)

// Authentication context classes, lowest first: a session that reached
// one satisfies a request for any below it.
const (
	ACRPassword          = "pwd" // one factor: a password or an upstream sign-in
	ACRMFA               = "mfa" // a second factor too
	ACRPhishingResistant = "phr" // a passkey
	acrUnknown           = ""
)

// ACRValues are the supported classes, lowest first
// (acr_values_supported in discovery).
var ACRValues = []string{ACRPassword, ACRMFA, ACRPhishingResistant}

// Level orders acr values: 1 pwd, 2 mfa, 3 phr, 0 anything else.
func Level(acr string) int {
	return slices.Index(ACRValues, acr) + 1
}

// Satisfies reports whether a session at acr have meets a request for
// want ("" asks for nothing).
func Satisfies(have, want string) bool {
	return want == "" || Level(have) >= Level(want)
}

// Higher returns the higher of two acr values.
func Higher(a, b string) string {
	if Level(b) > Level(a) {
		return b
	}
	return a
}

// Requested returns the class an acr_values parameter asks for: the
// lowest known value listed (any of them would do, OpenID Connect Core
// 3.1.2.1), or "" when it lists none Gatehouse knows.
func Requested(acrValues string) string {
	best := acrUnknown
	for _, v := range strings.Fields(acrValues) {
		if l := Level(v); l > 0 && (best == acrUnknown || l < Level(best)) {
			best = v
		}
	}
	return best
}

// isPasskey reports whether method is a passkey's.
func isPasskey(method string) bool {
	return method == AMRHardwareKey || method == AMRSoftwareKey
}

// ACRFor returns the class a session with factors reached: phr with a
// passkey, mfa with a first factor and a one-time code, else pwd ("" when
// there are no factors).
func ACRFor(factors []storage.SessionFactor) string {
	if len(factors) == 0 {
		return acrUnknown
	}
	first, second := false, false
	for _, f := range factors {
		switch {
		case isPasskey(f.Method):
			return ACRPhishingResistant
		case f.Method == AMROTP:
			second = true
		default:
			first = true
		}
	}
	if first && second {
		return ACRMFA
	}
	return ACRPassword
}

// AMR returns the amr claim of a session with factors: each method once,
// in the order first used, plus "mfa" when the session reached mfa or phr.
func AMR(factors []storage.SessionFactor) []string {
	var out []string
	for _, f := range factors {
		if f.Method != "" && !slices.Contains(out, f.Method) {
			out = append(out, f.Method)
		}
	}
	if Level(ACRFor(factors)) >= Level(ACRMFA) && !slices.Contains(out, AMRMultiFactor) {
		out = append(out, AMRMultiFactor)
	}
	return out
}

// AddFactors returns factors with each of methods recorded as used at
// at: an existing entry of the method is moved to the end with the new
// time.
func AddFactors(factors []storage.SessionFactor, at time.Time, methods ...string) []storage.SessionFactor {
	out := make([]storage.SessionFactor, 0, len(factors)+len(methods))
	for _, f := range factors {
		if !slices.Contains(methods, f.Method) {
			out = append(out, f)
		}
	}
	for _, m := range methods {
		out = append(out, storage.SessionFactor{Method: m, At: at.UTC()})
	}
	return out
}
