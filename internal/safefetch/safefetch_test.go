package safefetch

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// local serves h on 127.0.0.1 and returns a Fetcher allowed to reach it
// over http.
func local(t *testing.T, h http.HandlerFunc, o Options) (*Fetcher, string) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	o.AllowedHTTPHosts = append(o.AllowedHTTPHosts, "127.0.0.1")
	return New(o), srv.URL
}

func jsonDoc(body string, headers ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		_, _ = w.Write([]byte(body))
	}
}

func wantRefused(t *testing.T, err error, what string) {
	t.Helper()
	if !errors.Is(err, ErrRefused) {
		t.Errorf("%s: %v, want a refusal", what, err)
	}
}

func TestGetDocument(t *testing.T) {
	f, base := local(t, jsonDoc(`{"client_id":"x"}`, "Cache-Control", "public, max-age=600"), Options{})
	resp, err := f.Get(t.Context(), base+"/client.json")
	if err != nil {
		t.Fatal(err)
	}
	if string(resp.Body) != `{"client_id":"x"}` || resp.MaxAge != 10*time.Minute {
		t.Errorf("got %q, max-age %v", resp.Body, resp.MaxAge)
	}
}

func TestRedirectNotFollowed(t *testing.T) {
	followed := false
	mux := http.NewServeMux()
	mux.HandleFunc("/client.json", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/elsewhere.json", http.StatusFound)
	})
	mux.HandleFunc("/elsewhere.json", func(w http.ResponseWriter, r *http.Request) { followed = true })
	f, base := local(t, mux.ServeHTTP, Options{})
	_, err := f.Get(t.Context(), base+"/client.json")
	wantRefused(t, err, "a redirect")
	if followed {
		t.Error("the redirect was followed")
	}
}

func TestStallTimesOut(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	f, base := local(t, func(w http.ResponseWriter, r *http.Request) {
		select { // never answers while the client waits
		case <-r.Context().Done():
		case <-release:
		}
	}, Options{Timeout: 200 * time.Millisecond})
	// Whatever the machine's speed, the fetch ends by itself: the test
	// only checks that it fails rather than hangs.
	if _, err := f.Get(t.Context(), base+"/client.json"); err == nil {
		t.Fatal("a stalled server answered")
	}

	// A server that sends its headers and then stalls in the body.
	f, base = local(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"client_id":`))
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}, Options{Timeout: 200 * time.Millisecond})
	if _, err := f.Get(t.Context(), base+"/client.json"); err == nil {
		t.Fatal("a body that stalls was read")
	}
}

func TestTooLarge(t *testing.T) {
	big := strings.Repeat("x", 10<<20)
	for name, h := range map[string]http.HandlerFunc{
		"with Content-Length": jsonDoc(big),
		"chunked": func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			for i := 0; i < 10<<10; i++ {
				if _, err := w.Write([]byte(big[:1024])); err != nil {
					return
				}
				w.(http.Flusher).Flush()
			}
		},
	} {
		f, base := local(t, h, Options{})
		_, err := f.Get(t.Context(), base+"/client.json")
		wantRefused(t, err, name)
	}
	f, base := local(t, jsonDoc(strings.Repeat("y", 5<<10)), Options{})
	if _, err := f.Get(t.Context(), base+"/client.json"); err != nil {
		t.Errorf("exactly MaxBytes: %v", err)
	}
}

func TestAnswersRefused(t *testing.T) {
	for name, h := range map[string]http.HandlerFunc{
		"not found": http.NotFound,
		"html":      func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("<html>")) },
	} {
		f, base := local(t, h, Options{})
		_, err := f.Get(t.Context(), base+"/client.json")
		wantRefused(t, err, name)
	}
}

func TestURLsRefused(t *testing.T) {
	f := New(Options{AllowedHTTPHosts: []string{"dev.example"}})
	for _, u := range []string{
		"http://agent.example/client.json", // http, not allowed
		"ftp://agent.example/client.json",
		"https://user:pw@agent.example/client.json",
		"https://agent.example/client.json#x",
		"/relative",
	} {
		_, err := f.Get(t.Context(), u)
		wantRefused(t, err, u)
	}
	if _, err := f.CheckURL("http://dev.example/client.json"); err != nil {
		t.Errorf("an allowed http host: %v", err)
	}
}

// TestPrivateAddressesRefused: loopback, private, link-local (the cloud
// metadata service) and other special addresses are refused at connect
// time, after resolution, whatever name leads there.
func TestPrivateAddressesRefused(t *testing.T) {
	srv := httptest.NewServer(jsonDoc(`{}`))
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	dns := fakeDNS(t, map[string]string{"loop.example.": "127.0.0.1", "private.example.": "10.1.2.3", "metadata.example.": "169.254.169.254"})
	f := New(Options{Timeout: 2 * time.Second, Resolver: dns})
	for _, host := range []string{"localhost", "127.0.0.1", "[::1]", "169.254.169.254", "10.0.0.1", "192.168.1.1", "100.64.0.1",
		"[::ffff:127.0.0.1]", "[fd00::1]", "0.0.0.0", "loop.example", "private.example", "metadata.example"} {
		_, err := f.Get(t.Context(), "https://"+host+":"+port+"/client.json")
		wantRefused(t, err, host)
	}
}

func TestPublic(t *testing.T) {
	for ip, want := range map[string]bool{
		"93.184.215.14": true, "2606:2800:21f:cb07:6820:80da:af6b:8b2c": true, "8.8.8.8": true,
		"127.0.0.1": false, "10.0.0.1": false, "172.16.0.1": false, "192.168.0.1": false, "169.254.169.254": false,
		"100.64.1.1": false, "0.0.0.0": false, "255.255.255.255": false, "224.0.0.1": false, "::1": false, "fe80::1": false,
		"fc00::1": false, "::ffff:10.0.0.1": false, "64:ff9b::a00:1": false, "2002:a00:1::": false, "::": false,
	} {
		if got := Public(net.ParseIP(ip)); got != want {
			t.Errorf("Public(%s) = %v, want %v", ip, got, want)
		}
	}
}

func TestMaxAge(t *testing.T) {
	for _, c := range []struct {
		in   []string
		want time.Duration
	}{
		{nil, 0},
		{[]string{"max-age=60"}, time.Minute},
		{[]string{"public, max-age=3600"}, time.Hour},
		{[]string{"max-age=60, no-cache"}, 0},
		{[]string{"no-store"}, 0},
		{[]string{"max-age=abc"}, 0},
		{[]string{"max-age=-5"}, 0},
	} {
		if got := maxAge(c.in); got != c.want {
			t.Errorf("%v: %v, want %v", c.in, got, c.want)
		}
	}
}

// fakeDNS is a resolver that answers A queries from names (FQDN → IPv4)
// through a local UDP server, as a real DNS server would.
func fakeDNS(t *testing.T, names map[string]string) *net.Resolver {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 512)
		for {
			n, addr, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			var p dnsmessage.Parser
			h, err := p.Start(buf[:n])
			if err != nil {
				continue
			}
			q, err := p.Question()
			if err != nil {
				continue
			}
			b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true})
			b.EnableCompression()
			_ = b.StartQuestions()
			_ = b.Question(q)
			_ = b.StartAnswers()
			if ip := net.ParseIP(names[q.Name.String()]); ip != nil && q.Type == dnsmessage.TypeA {
				var a [4]byte
				copy(a[:], ip.To4())
				_ = b.AResource(dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 60}, dnsmessage.AResource{A: a})
			}
			msg, err := b.Finish()
			if err == nil {
				_, _ = pc.WriteTo(msg, addr)
			}
		}
	}()
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", pc.LocalAddr().String())
	}}
}
