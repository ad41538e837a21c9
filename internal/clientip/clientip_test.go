package clientip

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestResolve(t *testing.T) {
	r, err := NewResolver([]string{"10.0.0.0/8", "192.0.2.7"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, remote string
		xff          []string
		want         string
	}{
		{"direct client ignores header", "203.0.113.9:5000", []string{"1.2.3.4"}, "203.0.113.9"},
		{"trusted proxy", "10.1.2.3:443", []string{"198.51.100.4"}, "198.51.100.4"},
		{"spoofed left entries ignored", "10.1.2.3:443", []string{"6.6.6.6, 198.51.100.4"}, "198.51.100.4"},
		{"chain of trusted proxies", "192.0.2.7:80", []string{"198.51.100.4, 10.9.9.9"}, "198.51.100.4"},
		{"several header lines", "10.1.2.3:443", []string{"6.6.6.6", "198.51.100.4"}, "198.51.100.4"},
		{"all trusted", "10.1.2.3:443", []string{"10.2.2.2"}, "10.2.2.2"},
		{"malformed hop", "10.1.2.3:443", []string{"198.51.100.4, garbage"}, "10.1.2.3"},
		{"no header", "10.1.2.3:443", nil, "10.1.2.3"},
		// Load balancers that add the client's port must not make every
		// client look like the proxy (one shared rate-limit budget).
		{"hop with port", "10.1.2.3:443", []string{"198.51.100.4:51234"}, "198.51.100.4"},
		{"ipv6 hop with port", "10.1.2.3:443", []string{"[2001:db8::5]:443"}, "2001:db8::5"},
		{"trusted hop with port", "10.1.2.3:443", []string{"198.51.100.4, 10.2.2.2:80"}, "198.51.100.4"},
		{"ipv6 peer", "[2001:db8::1]:443", nil, "2001:db8::1"},
		{"ipv4-mapped trusted", "[::ffff:10.0.0.1]:443", []string{"198.51.100.4"}, "198.51.100.4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.RemoteAddr = tc.remote
			for _, v := range tc.xff {
				req.Header.Add("X-Forwarded-For", v)
			}
			if got := r.Resolve(req); got != tc.want {
				t.Fatalf("Resolve = %q, want %q", got, tc.want)
			}
			var seen string
			r.Middleware(http.HandlerFunc(func(_ http.ResponseWriter, req *http.Request) { seen = FromRequest(req) })).ServeHTTP(httptest.NewRecorder(), req)
			if seen != tc.want {
				t.Fatalf("FromRequest after Middleware = %q, want %q", seen, tc.want)
			}
		})
	}
	if _, err := NewResolver([]string{"proxy.local"}); err == nil {
		t.Fatal("NewResolver accepted a host name")
	}
}
