package safetext

import (
	"strings"
	"testing"
)

func TestBound(t *testing.T) {
	jwt := "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlc2lnbmF0dXJlc2ln"
	opaque := "ory_rt_Xk3VqL0p9ZbT7yR2mN8cW1sD4fG6hJ5a.Q9wE2rT4yU6iO8pA1sD3fG5hJ7kL9zX0"
	for _, tc := range []struct{ name, in, want string }{
		{"short", "openid profile", "openid profile"},
		{"jwt", jwt, Redacted},
		{"jwt in a sentence", "The grant type '" + jwt + "' is not supported.", "The grant type '" + Redacted + "' is not supported."},
		{"opaque token", opaque, Redacted},
		{"uuid kept", "6ad12029-b317-4b83-9168-78002691a381", "6ad12029-b317-4b83-9168-78002691a381"},
		{"hex digest kept", strings.Repeat("ab12", 16), strings.Repeat("ab12", 16)},
		{"long one-case value cut", strings.Repeat("A", 1<<20), strings.Repeat("A", MaxValue) + CutMark},
		{"invalid utf-8", "a\xffb", "a\uFFFDb"},
		{"url with a token", "https://app.example/?t=" + opaque, "https://app.example/?t=" + Redacted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Param(tc.in); got != tc.want {
				t.Errorf("Param(%.60q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
	if got := Bound(strings.Repeat("é", 100), 5); got != "éé"+CutMark {
		t.Errorf("cut through a character: %q", got)
	}
}
