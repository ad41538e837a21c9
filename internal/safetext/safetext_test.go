package safetext

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestClip(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"plain", 10, "plain"},
		{"plain", 3, "pla"},
		{"aé", 2, "a"}, // é is two bytes: never cut in half
		{"a\xffb", 10, "a\uFFFDb"},
		{"a\x00b", 10, "a\uFFFDb"},
		{"€€", 5, "€"},
		{"", 5, ""},
		{"é", 0, ""},
	} {
		if got := Clip(tc.in, tc.n); got != tc.want {
			t.Errorf("Clip(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
	long := "a" + strings.Repeat("é", 200) + "\xff"
	for n := 0; n < len(long)+2; n++ {
		got := Clip(long, n)
		if !utf8.ValidString(got) || len(got) > n {
			t.Fatalf("Clip(long, %d) = %q: invalid or too long", n, got)
		}
	}
}

func TestStorable(t *testing.T) {
	for s, want := range map[string]bool{"app": true, "é": true, "": true, "a\xffb": false, "a\x00b": false} {
		if got := Storable(s); got != want {
			t.Errorf("Storable(%q) = %v", s, got)
		}
	}
}
