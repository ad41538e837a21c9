// Package clientip finds the address of the client behind a request: the
// connection's peer, or, when that peer is a configured trusted proxy, the
// nearest untrusted address in X-Forwarded-For. Middleware resolves it once
// and puts it in the request context for rate limits and the audit log.
package clientip

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Resolver resolves client IPs. The zero value trusts no proxy.
type Resolver struct {
	trusted []netip.Prefix
}

// NewResolver trusts the given IPs and CIDR ranges as reverse proxies.
func NewResolver(trusted []string) (*Resolver, error) {
	r := &Resolver{}
	for _, t := range trusted {
		if p, err := netip.ParsePrefix(t); err == nil {
			r.trusted = append(r.trusted, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(t)
		if err != nil {
			return nil, fmt.Errorf("clientip: %q is not an IP address or CIDR range", t)
		}
		a = a.Unmap()
		r.trusted = append(r.trusted, netip.PrefixFrom(a, a.BitLen()))
	}
	return r, nil
}

func (r *Resolver) isTrusted(a netip.Addr) bool {
	for _, p := range r.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Resolve returns the client IP of req. X-Forwarded-For is read right to
// left, and only while each hop is a trusted proxy, so a client cannot
// choose its address by sending the header itself.
func (r *Resolver) Resolve(req *http.Request) string {
	peer := remoteAddr(req)
	a, err := netip.ParseAddr(peer)
	if err != nil || !r.isTrusted(a.Unmap()) {
		return peer
	}
	hops := strings.Split(strings.Join(req.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		ha, ok := parseHop(strings.TrimSpace(hops[i]))
		if !ok {
			return a.String() // a malformed hop: stop at the last trusted one
		}
		a = ha
		if !r.isTrusted(a) {
			return a.String()
		}
	}
	return a.String()
}

// parseHop reads one X-Forwarded-For entry: an address, or an address
// with the client's port, as some load balancers write it
// ("198.51.100.4:51234", "[2001:db8::1]:443").
func parseHop(h string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(h); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(h); err == nil {
		return ap.Addr().Unmap(), true
	}
	return netip.Addr{}, false
}

// Middleware stores the resolved client IP, and the User-Agent, in each
// request's context.
func (r *Resolver) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		ctx := context.WithValue(req.Context(), ctxKey{}, r.Resolve(req))
		ctx = context.WithValue(ctx, uaKey{}, req.UserAgent())
		next.ServeHTTP(w, req.WithContext(ctx))
	})
}

type (
	ctxKey struct{}
	uaKey  struct{}
)

// UserAgentFromContext returns the User-Agent of the request whose context
// Middleware made, or "" (for code that sees only the context, such as the
// rate limiter's audit events).
func UserAgentFromContext(ctx context.Context) string {
	ua, _ := ctx.Value(uaKey{}).(string)
	return ua
}

// FromRequest returns the client IP that Middleware resolved for req, or
// the connection's peer when no middleware ran.
func FromRequest(req *http.Request) string {
	if ip, ok := req.Context().Value(ctxKey{}).(string); ok {
		return ip
	}
	return remoteAddr(req)
}

// FromContext returns the client IP that Middleware stored in a request's
// context (which fosite passes on to storage), or "" outside a request.
func FromContext(ctx context.Context) string {
	ip, _ := ctx.Value(ctxKey{}).(string)
	return ip
}

func remoteAddr(req *http.Request) string {
	host, _, err := net.SplitHostPort(req.RemoteAddr)
	if err != nil {
		return req.RemoteAddr
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return a.Unmap().String()
	}
	return host
}
