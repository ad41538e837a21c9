package oauth

import (
	"strings"
	"testing"
)

func TestUserCodeShape(t *testing.T) {
	seen := map[byte]bool{}
	for range 2000 {
		c := newUserCode()
		if len(c) != userCodeLength || strings.Trim(c, userCodeAlphabet) != "" {
			t.Fatalf("user code %q is not 8 letters of %s", c, userCodeAlphabet)
		}
		for i := range c {
			seen[c[i]] = true
		}
		if got := normalizeUserCode(strings.ToLower(formatUserCode(c))); got != c {
			t.Fatalf("normalize(format(%q)) = %q", c, got)
		}
	}
	if len(seen) != len(userCodeAlphabet) {
		t.Errorf("2000 codes used %d letters, want all %d", len(seen), len(userCodeAlphabet))
	}
}

func TestNormalizeUserCode(t *testing.T) {
	for typed, want := range map[string]string{
		"BCDF-GHJK":   "BCDFGHJK",
		" bcdf ghjk ": "BCDFGHJK",
		"BCDFGHJ":     "",
		"BCDFGHJKL":   "",
		"BCDF-GHJA":   "", // a vowel is never in a code
		"BCDF-GHJ1":   "",
		"ВCDF-GHJK":   "", // Cyrillic В
		"":            "",
	} {
		if got := normalizeUserCode(typed); got != want {
			t.Errorf("normalizeUserCode(%q) = %q, want %q", typed, got, want)
		}
	}
}
