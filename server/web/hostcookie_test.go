package web

import (
	"net/http"
	"net/url"
	"sync"
	"testing"

	"github.com/gatehouse-id/gatehouse/ratelimit"
	"github.com/gatehouse-id/gatehouse/server/session"
)

// plainJar keeps cookies by name and sends them all back, Secure or not,
// as a browser does over https; the test server speaks plain http.
type plainJar struct {
	mu      sync.Mutex
	cookies map[string]*http.Cookie
}

func (j *plainJar) SetCookies(_ *url.URL, cs []*http.Cookie) {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, c := range cs {
		if c.MaxAge < 0 {
			delete(j.cookies, c.Name)
			continue
		}
		j.cookies[c.Name] = c
	}
}

func (j *plainJar) Cookies(*url.URL) []*http.Cookie {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []*http.Cookie
	for _, c := range j.cookies {
		out = append(out, &http.Cookie{Name: c.Name, Value: c.Value})
	}
	return out
}

// TestHostPrefixCookiesOnHTTPS: on an https issuer the session, CSRF and
// device cookies carry the __Host- prefix (Secure, Path=/, no Domain), so a
// sibling subdomain cannot plant or overwrite them; and sign-in works with
// them.
func TestHostPrefixCookiesOnHTTPS(t *testing.T) {
	e := newEnv(t, func(o *Options) {
		o.Secure = true
		o.Sessions = session.NewManager(session.Options{Store: o.Clients.(session.Store), Secure: true})
		o.Limiter = ratelimit.New(ratelimit.Options{Counters: ratelimit.NewMemory(), DeviceKey: []byte("device key for the test")})
	})
	e.resumer.sessions = e.pages.SignIn.sessions
	jar := &plainJar{cookies: map[string]*http.Cookie{}}
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, _ := e.signIn(c, "alice@example.com", alicePassword, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("sign-in over https cookies: status %d", resp.StatusCode)
	}
	for _, name := range []string{"__Host-gatehouse_csrf", "__Host-gatehouse_session", "__Host-gatehouse_device"} {
		ck := jar.cookies[name]
		if ck == nil {
			t.Errorf("no %s cookie (have %v)", name, jar.cookies)
			continue
		}
		if !ck.Secure || ck.Path != "/" || ck.Domain != "" || !ck.HttpOnly {
			t.Errorf("%s flags: %+v", name, ck)
		}
	}
	for _, old := range []string{CSRFCookieName, session.CookieName} {
		if jar.cookies[old] != nil {
			t.Errorf("cookie %s set on https", old)
		}
	}
	r, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/", nil)
	for _, ck := range jar.Cookies(nil) {
		r.AddCookie(ck)
	}
	if cur, err := e.pages.SignIn.sessions.Current(r); err != nil || cur.User.Email != "alice@example.com" {
		t.Fatalf("the __Host- session cookie does not sign in: %+v, %v", cur.User, err)
	}
}
