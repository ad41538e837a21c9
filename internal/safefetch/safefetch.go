// Package safefetch fetches small documents from URLs that someone on the
// internet chose (client ID metadata documents) without letting that
// someone reach what only the server can: no redirects, a short timeout,
// a size cap, no proxy, and every address checked after DNS resolution,
// at connect time, so that neither a name resolving to 127.0.0.1 nor a
// DNS answer that changes between check and use (rebinding) gets through
// to loopback, private, link-local (cloud metadata) or other special
// addresses. Hosts listed as allowed skip the address check and may use
// plain http: for development and tests only.
package safefetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ErrRefused is matched (errors.Is) by every refusal of a URL, address or
// answer, as opposed to a network failure.
var ErrRefused = errors.New("safefetch: refused")

// Options configure a Fetcher.
type Options struct {
	// Timeout bounds a whole fetch (default 5s).
	Timeout time.Duration
	// MaxBytes bounds the body (default 5 KiB).
	MaxBytes int64
	// AllowedHTTPHosts may be fetched over http and on any address.
	AllowedHTTPHosts []string
	// Resolver resolves host names (net.DefaultResolver when nil).
	Resolver *net.Resolver
}

// Fetcher fetches documents under its Options. It is safe for concurrent
// use.
type Fetcher struct {
	o      Options
	client *http.Client
}

// Response is a fetched document.
type Response struct {
	Body []byte
	// MaxAge is how long the answer may be cached (Cache-Control max-age;
	// 0 with no-store, no-cache or none).
	MaxAge time.Duration
}

// New returns a Fetcher.
func New(o Options) *Fetcher {
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = 5 << 10
	}
	f := &Fetcher{o: o}
	transport := &http.Transport{
		Proxy:                  nil, // a proxy would connect where no address was checked
		DialContext:            f.dial,
		TLSHandshakeTimeout:    o.Timeout,
		ResponseHeaderTimeout:  o.Timeout,
		MaxResponseHeaderBytes: 16 << 10,
		DisableKeepAlives:      true,
		ForceAttemptHTTP2:      true,
	}
	f.client = &http.Client{
		Transport: transport,
		Timeout:   o.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse // answered as a refusal in Get
		},
	}
	return f
}

// allowedHost reports whether host is listed in AllowedHTTPHosts.
func (f *Fetcher) allowedHost(host string) bool {
	return slices.ContainsFunc(f.o.AllowedHTTPHosts, func(h string) bool { return strings.EqualFold(h, host) })
}

// CheckURL refuses a URL the Fetcher would not fetch: https only (http
// for allowed hosts), a host, no user information or fragment.
func (f *Fetcher) CheckURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	switch {
	case err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "":
		return nil, fmt.Errorf("%w: %q is not an absolute URL with a host", ErrRefused, raw)
	case u.User != nil:
		return nil, fmt.Errorf("%w: user information in the URL", ErrRefused)
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return nil, fmt.Errorf("%w: a fragment in the URL", ErrRefused)
	case u.Scheme == "https":
	case u.Scheme == "http" && f.allowedHost(u.Hostname()):
	default:
		return nil, fmt.Errorf("%w: only https URLs are fetched", ErrRefused)
	}
	return u, nil
}

// dial connects to addr; unless its host is allowed, through a dialer
// whose Control hook refuses special addresses after resolution.
func (f *Fetcher) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	d := &net.Dialer{Timeout: f.o.Timeout, Resolver: f.o.Resolver}
	if !f.allowedHost(host) {
		d.Control = checkAddress
	}
	return d.DialContext(ctx, network, net.JoinHostPort(host, port))
}

// checkAddress is the dialer's Control hook: it sees the resolved address
// of every connection attempt.
func checkAddress(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("%w: address %q", ErrRefused, address)
	}
	ip := net.ParseIP(host)
	if ip == nil || !Public(ip) {
		return fmt.Errorf("%w: %s is not a public address", ErrRefused, host)
	}
	return nil
}

// special are ranges that are neither loopback, private nor link-local by
// net.IP's methods, yet not the public internet either.
var special = mustCIDRs(
	"0.0.0.0/8",       // "this" network
	"100.64.0.0/10",   // carrier-grade NAT (RFC 6598)
	"192.0.0.0/24",    // IETF protocol assignments
	"192.0.2.0/24",    // documentation
	"198.18.0.0/15",   // benchmarking
	"198.51.100.0/24", // documentation
	"203.0.113.0/24",  // documentation
	"240.0.0.0/4",     // reserved, and broadcast
	"64:ff9b::/96",    // NAT64: would reach any IPv4 address, private ones included
	"64:ff9b:1::/48",  // local-use NAT64
	"2001:db8::/32",   // documentation
	"2002::/16",       // 6to4: embeds any IPv4 address
	"2001::/32",       // Teredo: embeds an IPv4 address
	"100::/64",        // discard
	"fec0::/10",       // deprecated site-local
	"::/128",          // unspecified
)

// Public reports whether ip is an address of the public internet: not
// loopback, private, link-local (169.254.169.254, the cloud metadata
// service, is link-local), multicast, unspecified or another special range.
func Public(ip net.IP) bool {
	if v4 := ip.To4(); v4 != nil {
		ip = v4 // an IPv4-mapped IPv6 address is judged as IPv4
	}
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() {
		return false
	}
	for _, n := range special {
		if n.Contains(ip) {
			return false
		}
	}
	return true
}

func mustCIDRs(cidrs ...string) []*net.IPNet {
	out := make([]*net.IPNet, 0, len(cidrs))
	for _, c := range cidrs {
		_, n, err := net.ParseCIDR(c)
		if err != nil {
			panic(err)
		}
		out = append(out, n)
	}
	return out
}

// Get fetches rawURL: a 200 answer with a JSON body of at most MaxBytes,
// within Timeout, never following a redirect.
func (f *Fetcher) Get(ctx context.Context, rawURL string) (Response, error) {
	u, err := f.CheckURL(rawURL)
	if err != nil {
		return Response{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, f.o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return Response{}, fmt.Errorf("%w: %v", ErrRefused, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := f.client.Do(req)
	if err != nil {
		return Response{}, fmt.Errorf("safefetch: get %s: %w", u.Redacted(), err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return Response{}, fmt.Errorf("%w: the answer is a redirect (%d), which is not followed", ErrRefused, resp.StatusCode)
	case resp.StatusCode != http.StatusOK:
		return Response{}, fmt.Errorf("%w: status %d", ErrRefused, resp.StatusCode)
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "application/json" {
		return Response{}, fmt.Errorf("%w: Content-Type %q, want application/json", ErrRefused, mt)
	}
	if resp.ContentLength > f.o.MaxBytes {
		return Response{}, fmt.Errorf("%w: the body is %d bytes, more than %d", ErrRefused, resp.ContentLength, f.o.MaxBytes)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, f.o.MaxBytes+1))
	if err != nil {
		return Response{}, fmt.Errorf("safefetch: read %s: %w", u.Redacted(), err)
	}
	if int64(len(body)) > f.o.MaxBytes {
		return Response{}, fmt.Errorf("%w: the body is more than %d bytes", ErrRefused, f.o.MaxBytes)
	}
	return Response{Body: body, MaxAge: maxAge(resp.Header.Values("Cache-Control"))}, nil
}

// maxAge reads Cache-Control: max-age, unless no-store or no-cache.
func maxAge(values []string) time.Duration {
	var age time.Duration
	for _, v := range values {
		for _, d := range strings.Split(v, ",") {
			name, arg, _ := strings.Cut(strings.TrimSpace(d), "=")
			switch strings.ToLower(name) {
			case "no-store", "no-cache":
				return 0
			case "max-age":
				n, err := strconv.ParseInt(strings.Trim(arg, `"`), 10, 64)
				if err == nil && n > 0 && n < int64(365*24*time.Hour/time.Second) {
					age = time.Duration(n) * time.Second
				}
			}
		}
	}
	return age
}
