package e2e

import (
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"
)

// testApp is a relying party for browser tests on 127.0.0.2 (browsers keep
// cookies per host, not port): every page it serves shows #done, and each
// callback's query is handed to the test.
type testApp struct {
	URL      string
	Callback string
	got      chan url.Values
}

func startApp(t *testing.T) *testApp {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Fatal(err)
	}
	a := &testApp{got: make(chan url.Values, 16)}
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

// next returns the next callback query.
func (a *testApp) next(t *testing.T) url.Values {
	t.Helper()
	select {
	case q := <-a.got:
		return q
	case <-time.After(time.Minute): // a hang guard, not a timing check
		t.Fatal("the app got no callback")
		return nil
	}
}
