package servertest

import (
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"
)

// App stands in for a client application in browser tests: a server on
// its own loopback host (browsers keep cookies per host), whose /callback
// (and /logged-out, for post-logout redirects) records the query it
// receives and, like every other path, shows a page with an element of id
// "done".
type App struct {
	URL      string
	Callback string // URL + "/callback": the redirect URI to register
	got      chan url.Values
}

// StartApp serves an App on host (e.g. "127.0.0.3") until the test ends.
func StartApp(t testing.TB, host string) *App {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Fatalf("servertest: app: listen on %s: %v", host, err)
	}
	a := &App{got: make(chan url.Values, 16)}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/callback" || r.URL.Path == "/logged-out" {
			_ = r.ParseForm()
			select {
			case a.got <- r.Form:
			default:
			}
		}
		_, _ = w.Write([]byte("<!doctype html><title>app</title><p id=done>back at the app</p>"))
	}))
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	a.URL = srv.URL
	a.Callback = srv.URL + "/callback"
	return a
}

// Received returns the query of the next request to /callback or
// /logged-out, waiting for it (up to a minute: a hang guard, not a timing
// check).
func (a *App) Received(t testing.TB) url.Values {
	t.Helper()
	select {
	case q := <-a.got:
		return q
	case <-time.After(time.Minute):
		t.Fatal("servertest: the app's callback was not called")
		return nil
	}
}
