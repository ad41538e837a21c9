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
	// Only a prefix can survive the cut, so only a prefix is scanned: a
	// megabyte of request value costs no more than a short one. The margin
	// keeps a token that straddles the cut long enough to be recognised.
	if limit := n + 2*tokenMin; len(s) > limit {
		s = s[:limit]
		return Clip(Redact(s), n) + CutMark
	}
	return Cut(Redact(s), n)
}

// tokenMin is the shortest run Redact considers a token.
const tokenMin = 32

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
