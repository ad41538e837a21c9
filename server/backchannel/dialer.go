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

	"github.com/gatehouse-id/gatehouse/internal/safefetch"
)

// ErrRefusedAddress is the error of a delivery to a host that resolves to
// a loopback, private or otherwise internal address and is not listed in
// backchannel_logout.allowed_hosts.
var ErrRefusedAddress = errors.New("backchannel: refused: the host resolves to a loopback, private or reserved address")

// Internal reports whether addr is loopback, private, link-local or
// otherwise not a public unicast address: exactly what the client
// metadata fetcher refuses (safefetch.Public), 6to4, Teredo and NAT64
// ranges that embed an internal IPv4 address included.
func Internal(addr netip.Addr) bool {
	return !safefetch.Public(net.IP(addr.Unmap().AsSlice()))
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
