package clients_test

import (
	"testing"

	"github.com/gatehouse-id/gatehouse/clients"
)

func TestHostPatterns(t *testing.T) {
	p := clients.NewHostPatterns("agents.example", "*.Example.com", "192.0.2.7", "xn--80ajpfesl.com", "*.пример.рф")
	for host, want := range map[string]bool{
		"agents.example":          true,
		"AGENTS.example":          true,
		"agents.example.":         true,
		"x.agents.example":        false,
		"example.com":             false,
		"a.example.com":           true,
		"a.b.EXAMPLE.com":         true,
		"evilexample.com":         false,
		"example.com.evil":        false,
		"192.0.2.7":               true,
		"192.0.2.70":              false,
		"":                        false,
		"ексампл.com":             true,
		"ЕКСАМПЛ.com":             true,
		"xn--80ajpfesl.com":       true,
		"b.пример.рф":             true,
		"a.xn--e1afmkfd.xn--p1ai": true,
		"пример.рф":               false,
		"xn--e1afmkfd.xn--p1ai":   false,
		"bad\x00.com":             false,
		"a..example.com":          false,
	} {
		if got := p.Match(host); got != want {
			t.Errorf("Match(%q) = %v, want %v", host, got, want)
		}
	}
	if _, ok := clients.CanonicalHost("bad\x00.com"); ok {
		t.Error("CanonicalHost accepts a name with a NUL")
	}
	if (clients.HostPatterns{}).Match("example.com") || clients.NewHostPatterns().Match("example.com") {
		t.Error("an empty list matches")
	}
}

func TestValidHostPattern(t *testing.T) {
	for s, want := range map[string]bool{
		"example.com":             true,
		"*.example.com":           true,
		"localhost":               true,
		"192.0.2.7":               true,
		"2001:db8::1":             true,
		"":                        false,
		"*":                       false,
		"*.":                      false,
		"a.*.example.com":         false,
		"**.example.com":          false,
		"example.com:443":         false,
		"https://example.com":     false,
		"example.com/path":        false,
		".example.com":            false,
		"example..com":            false,
		"-bad.example.com":        false,
		"under_score.example.com": false,
		"пример.рф":               true,
		"*.пример.рф":             true,
		"xn--e1afmkfd.xn--p1ai":   true,
		"*.xn--e1afmkfd.xn--p1ai": true,
		"bad\x00.com":             false,
	} {
		if got := clients.ValidHostPattern(s); got != want {
			t.Errorf("ValidHostPattern(%q) = %v, want %v", s, got, want)
		}
	}
}
