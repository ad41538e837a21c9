package safetext

import (
	"regexp"
	"strings"
	"unicode"
)

// MaxValue is how much of one request-derived value (a parameter echoed in
// a log line or an error description) is kept.
const MaxValue = 100

// CutMark ends a value that Bound cut.
const CutMark = "…(cut)"

// Redacted replaces a value that looks like a token or secret.
const Redacted = "[redacted]"

// tokenRun matches the runs of characters that tokens, secrets and JWTs
// are made of (base64url, base64, hex, and the dots of a JWT or of
// fosite's "ory_at_…" tokens).
var tokenRun = regexp.MustCompile(`[A-Za-z0-9._~+/-]{32,}={0,2}`)

// Bound makes a request-derived value fit to log or to echo in an error
// description: every run that looks like a token or secret (see
// Redact) replaced, then at most n bytes of it kept (see Cut).
func Bound(s string, n int) string {
	return Cut(Redact(s), n)
}

// Param is Bound(s, MaxValue): one request parameter's value.
func Param(s string) string { return Bound(s, MaxValue) }

// Cut returns s as Clip does, marked with CutMark when it was cut: at most
// n bytes of s, then the mark.
func Cut(s string, n int) string {
	clean := Clip(s, len(s)+len(s)*2) // valid UTF-8 without NUL, uncut
	if len(clean) <= n {
		return clean
	}
	return Clip(clean, n) + CutMark
}

// Redact replaces each run of 32 or more token characters that looks like
// a token or a secret with Redacted: a JWT (three base64url parts, the
// first "eyJ"), or a high-entropy string mixing upper case, lower case
// and digits. Identifiers in one case (UUIDs, hex digests) and words are
// kept.
func Redact(s string) string {
	if len(s) < 32 {
		return s
	}
	return tokenRun.ReplaceAllStringFunc(s, func(run string) string {
		if looksLikeToken(run) {
			return Redacted
		}
		return run
	})
}

func looksLikeToken(run string) bool {
	if strings.HasPrefix(run, "eyJ") && strings.Count(run, ".") >= 2 {
		return true
	}
	var upper, lower, digit bool
	for _, c := range run {
		switch {
		case unicode.IsUpper(c):
			upper = true
		case unicode.IsLower(c):
			lower = true
		case unicode.IsDigit(c):
			digit = true
		}
	}
	return upper && lower && digit
}
