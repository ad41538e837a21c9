package backchannel

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"syscall"
	"time"
)

// ErrRefusedAddress is the error of a delivery to a host that resolves to
// a loopback, private or otherwise internal address and is not listed in
// backchannel_logout.allowed_hosts.
var ErrRefusedAddress = errors.New("backchannel: refused: the host resolves to a loopback, private or reserved address")

// internalRanges are the addresses a logout token is never sent to unless
// the host is allowed: whatever a client registers, Gatehouse must not be
// made to post into its own network (SSRF).
var internalRanges = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"), // carrier-grade NAT
	netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("169.254.0.0/16"), // link-local, cloud metadata
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("224.0.0.0/3"), // multicast and reserved
	netip.MustParsePrefix("::/128"),
	netip.MustParsePrefix("::1/128"),
	netip.MustParsePrefix("64:ff9b::/96"), // NAT64 of any IPv4 address
	netip.MustParsePrefix("fc00::/7"),
	netip.MustParsePrefix("fe80::/10"),
	netip.MustParsePrefix("ff00::/8"),
}

// Internal reports whether addr is loopback, private, link-local or
// otherwise not a public unicast address.
func Internal(addr netip.Addr) bool {
	addr = addr.Unmap()
	for _, p := range internalRanges {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// newClient returns the HTTP client logout tokens go out with: no proxy
// from the environment, no redirects followed, no cookies, a timeout per
// request, and a dialer that checks every address it connects to, after
// DNS resolution, so a host name cannot lead to an internal address unless
// the host is in allowed.
func newClient(allowed []string, timeout time.Duration) *http.Client {
	allow := make([]string, 0, len(allowed))
	for _, h := range allowed {
		allow = append(allow, strings.ToLower(strings.Trim(strings.TrimSpace(h), "[]")))
	}
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		d := &net.Dialer{Timeout: timeout}
		if !slices.Contains(allow, strings.ToLower(host)) {
			d.Control = func(_, address string, _ syscall.RawConn) error {
				ap, err := netip.ParseAddrPort(address)
				if err != nil {
					return fmt.Errorf("%w: %s", ErrRefusedAddress, address)
				}
				if Internal(ap.Addr()) {
					return fmt.Errorf("%w: %s", ErrRefusedAddress, ap.Addr())
				}
				return nil
			}
		}
		return d.DialContext(ctx, network, addr)
	}
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           dial,
			TLSHandshakeTimeout:   timeout,
			ResponseHeaderTimeout: timeout,
			MaxIdleConnsPerHost:   2,
			IdleConnTimeout:       30 * time.Second,
			ForceAttemptHTTP2:     true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
