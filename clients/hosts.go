package clients

import (
	"net"
	"strings"

	"golang.org/x/net/idna"
)

// HostPatterns is a list of hosts that a metadata document URL's host is
// matched against, made by NewHostPatterns: an entry "example.com" (or an
// IP address) matches that host only, "*.example.com" every host below
// example.com but not example.com itself. Case does not matter, and an
// internationalized name matches in either spelling ("пример.рф" and
// "xn--e1afmkfd.xn--p1ai"). The zero value matches nothing.
type HostPatterns struct {
	exact    map[string]bool
	suffixes []string // ".example.com" for "*.example.com"
}

// NewHostPatterns compiles entries, each in the form ValidHostPattern
// accepts (configuration validation refuses the others first; they are
// left out here).
func NewHostPatterns(entries ...string) HostPatterns {
	p := HostPatterns{exact: map[string]bool{}}
	for _, e := range entries {
		name, wildcard, ok := parseHostPattern(e)
		switch {
		case !ok:
		case wildcard:
			p.suffixes = append(p.suffixes, "."+name)
		default:
			p.exact[name] = true
		}
	}
	return p
}

// Empty reports whether p has no entry.
func (p HostPatterns) Empty() bool { return len(p.exact) == 0 && len(p.suffixes) == 0 }

// Match reports whether host (a URL's host name, without its port) is
// one of p's. A host that is no valid name matches nothing: a caller
// applying a block list refuses it with CanonicalHost first.
func (p HostPatterns) Match(host string) bool {
	host, ok := CanonicalHost(host)
	if !ok {
		return false
	}
	if p.exact[host] {
		return true
	}
	for _, s := range p.suffixes {
		if strings.HasSuffix(host, s) {
			return true
		}
	}
	return false
}

// CanonicalHost returns host as it is compared: an IP address as given,
// a name lowercased, in its ASCII (punycode) form and without a trailing
// dot. An empty label makes no name. ok is false when host is neither an
// IP address nor a valid name.
func CanonicalHost(host string) (canonical string, ok bool) {
	if net.ParseIP(host) != nil {
		return host, true
	}
	a, err := idna.Lookup.ToASCII(strings.TrimSuffix(host, "."))
	if err != nil || a == "" || strings.Contains(a, "..") || a[0] == '.' {
		return "", false
	}
	return a, true
}

// ValidHostPattern reports whether s is a HostPatterns entry: a host name
// (ASCII or internationalized) or an IP address, or "*." followed by a
// host name; no scheme, port, path or other wildcard.
func ValidHostPattern(s string) bool {
	_, _, ok := parseHostPattern(s)
	return ok
}

// parseHostPattern returns entry s's host in canonical form (CanonicalHost)
// and whether it is a "*." wildcard; ok is false when s is no entry.
func parseHostPattern(s string) (name string, wildcard, ok bool) {
	if net.ParseIP(s) != nil {
		return s, false, true
	}
	name, wildcard = strings.CutPrefix(s, "*.")
	if name == "" || strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") {
		return "", false, false
	}
	name, ok = CanonicalHost(name)
	if !ok || len(name) > 253 {
		return "", false, false
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" || len(label) > 63 || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
			return "", false, false
		}
		for _, r := range label {
			if !(r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z') {
				return "", false, false
			}
		}
	}
	return name, wildcard, true
}
