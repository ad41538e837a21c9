package clients

import (
	"net"
	"strings"
)

// HostPatterns is a list of hosts that a metadata document URL's host is
// matched against: an entry "example.com" (or an IP address) matches that
// host only, "*.example.com" every host below example.com but not
// example.com itself. Case does not matter.
type HostPatterns []string

// Match reports whether host (a URL's host name, without its port) is
// one of p's.
func (p HostPatterns) Match(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	for _, e := range p {
		e = strings.ToLower(e)
		if suffix, ok := strings.CutPrefix(e, "*."); ok {
			if strings.HasSuffix(host, "."+suffix) {
				return true
			}
		} else if host == e {
			return true
		}
	}
	return false
}

// ValidHostPattern reports whether s is a HostPatterns entry: a host name
// or an IP address, or "*." followed by a host name; no scheme, port,
// path or other wildcard.
func ValidHostPattern(s string) bool {
	if net.ParseIP(s) != nil {
		return true
	}
	name := strings.TrimPrefix(s, "*.")
	if name == "" || len(name) > 253 || strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") {
		return false
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" || len(label) > 63 || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
			return false
		}
		for _, r := range label {
			if !(r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
				return false
			}
		}
	}
	return true
}
