package clients

import (
	"net"
	"strings"

	"golang.org/x/net/idna"
)

// HostPatterns is a list of hosts that a metadata document URL's host is
// matched against: an entry "example.com" (or an IP address) matches that
// host only, "*.example.com" every host below example.com but not
// example.com itself. Case does not matter, and an internationalized name
// matches in either spelling ("пример.рф" and "xn--e1afmkfd.xn--p1ai").
type HostPatterns []string

// Match reports whether host (a URL's host name, without its port) is
// one of p's. A host that is no valid name matches nothing: a caller
// applying a block list refuses it with CanonicalHost first.
func (p HostPatterns) Match(host string) bool {
	host, ok := CanonicalHost(host)
	if !ok {
		return false
	}
	for _, e := range p {
		wildcard := strings.HasPrefix(e, "*.")
		e, ok := CanonicalHost(strings.TrimPrefix(e, "*."))
		switch {
		case !ok:
		case wildcard && strings.HasSuffix(host, "."+e), !wildcard && host == e:
			return true
		}
	}
	return false
}

// CanonicalHost returns host as it is compared: an IP address as given,
// a name lowercased, in its ASCII (punycode) form and without a trailing
// dot. An empty label makes no name. ok is false when host is neither an IP address nor a valid name.
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
	if net.ParseIP(s) != nil {
		return true
	}
	name := strings.TrimPrefix(s, "*.")
	if name == "" || strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") {
		return false
	}
	name, ok := CanonicalHost(name)
	if !ok || len(name) > 253 {
		return false
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" || len(label) > 63 || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
			return false
		}
		for _, r := range label {
			if !(r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z') {
				return false
			}
		}
	}
	return true
}
