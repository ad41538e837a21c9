package server

import "time"

// maxRefreshReuseGrace bounds lifetimes.refresh_reuse_grace: the window is
// for concurrent requests of one client (two tabs), not a second life for
// a stolen token.
const maxRefreshReuseGrace = 5 * time.Minute

// validateLifetimes checks the lifetimes of tokens, codes and browser
// sessions (those of mailed links are checked with the operations).
func validateLifetimes(c *Config, k *checker) {
	for _, l := range []struct {
		name string
		d    Duration
		min  time.Duration
	}{
		{"lifetimes.access_token", c.Lifetimes.AccessToken, time.Minute},
		{"lifetimes.refresh_token", c.Lifetimes.RefreshToken, time.Minute},
		{"lifetimes.id_token", c.Lifetimes.IDToken, time.Minute},
		{"lifetimes.authorize_code", c.Lifetimes.AuthorizeCode, 10 * time.Second},
		{"lifetimes.browser_session", c.Lifetimes.BrowserSession, time.Minute},
	} {
		k.check(l.d.D() >= l.min, "%s: %s is shorter than %s", l.name, l.d.D(), l.min)
	}
	k.check(c.Lifetimes.AuthorizeCode.D() <= time.Hour, "lifetimes.authorize_code: %s is longer than 1h", c.Lifetimes.AuthorizeCode.D())
	k.check(c.Lifetimes.RefreshReuseGrace.D() >= 0 && c.Lifetimes.RefreshReuseGrace.D() <= maxRefreshReuseGrace,
		"lifetimes.refresh_reuse_grace: %s is not between 0s and %s", c.Lifetimes.RefreshReuseGrace.D(), maxRefreshReuseGrace)
}
