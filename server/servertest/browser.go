package servertest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
	"golang.org/x/oauth2"
)

// Browser is a person's browser: an http.Client with a cookie jar that
// follows redirects within the server (authorization endpoint, login and
// consent pages) and stops at any other address, such as the client's
// redirect URI, returning that redirect for the test to read.
//
// Every response body Browser returns has been read in full, checked with
// CheckNoLeak, and can be read again (see ReadBody).
type Browser struct {
	Client *http.Client
	env    *Env
}

// NewBrowser returns a browser with an empty cookie jar.
func (e *Env) NewBrowser(t testing.TB) *Browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatalf("servertest: cookie jar: %v", err)
	}
	base, err := url.Parse(e.URL)
	if err != nil {
		t.Fatalf("servertest: %v", err)
	}
	return &Browser{
		env: e,
		Client: &http.Client{
			Jar:     jar,
			Timeout: 2 * time.Minute, // a guard against hangs, not a timing check
			CheckRedirect: func(req *http.Request, via []*http.Request) error {
				if req.URL.Scheme != base.Scheme || req.URL.Host != base.Host {
					return http.ErrUseLastResponse
				}
				if len(via) >= 10 {
					return errors.New("servertest: stopped after 10 redirects")
				}
				return nil
			},
		},
	}
}

// Get fetches rawURL.
func (b *Browser) Get(t testing.TB, rawURL string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatalf("servertest: GET %s: %v", rawURL, err)
	}
	return b.Do(t, req)
}

// PostForm submits form to rawURL as a browser would.
func (b *Browser) PostForm(t testing.TB, rawURL string, form url.Values) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, rawURL, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatalf("servertest: POST %s: %v", rawURL, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.Do(t, req)
}

// Do sends req, reads the whole body and checks it for leaks.
func (b *Browser) Do(t testing.TB, req *http.Request) *http.Response {
	t.Helper()
	resp, err := b.Client.Do(req)
	if err != nil {
		t.Fatalf("servertest: %s %s: %v", req.Method, req.URL, err)
	}
	CheckNoLeak(t, ReadBody(t, resp))
	return resp
}

// Authorize opens an authorization URL and follows the server's redirects.
// The response is the login page, the consent page, an error page, or the
// redirect to the client (see OnPage and ClientRedirect).
func (b *Browser) Authorize(t testing.TB, authURL string) *http.Response {
	t.Helper()
	return b.Get(t, authURL)
}

// Login fills in and submits the login page resp, following the server's
// redirects: the result is the consent page, the redirect to the client,
// or the login page again (401) when the credentials are wrong.
func (b *Browser) Login(t testing.TB, resp *http.Response, email, password string) *http.Response {
	t.Helper()
	form := b.form(t, resp, "/login")
	form.Set("email", email)
	form.Set("password", password)
	return b.PostForm(t, b.env.URL+"/login", form)
}

// Consent answers the consent page resp with decision "allow" or "deny".
func (b *Browser) Consent(t testing.TB, resp *http.Response, decision string) *http.Response {
	t.Helper()
	form := b.form(t, resp, "/consent")
	form.Set("decision", decision)
	return b.PostForm(t, b.env.URL+"/consent", form)
}

// form returns the hidden fields of the page's form posting to action,
// failing t unless resp is that page.
func (b *Browser) form(t testing.TB, resp *http.Response, action string) url.Values {
	t.Helper()
	body := ReadBody(t, resp)
	if !OnPage(resp, action) {
		t.Fatalf("servertest: expected the %s page, got %d at %s:\n%s", action, resp.StatusCode, resp.Request.URL, body)
	}
	form, ok := HiddenFields(body, action)
	if !ok {
		t.Fatalf("servertest: no form posting to %s on the page:\n%s", action, body)
	}
	if form.Get("csrf_token") == "" {
		t.Fatalf("servertest: the %s form has no csrf_token:\n%s", action, body)
	}
	return form
}

// Authorization is the outcome of AuthCodeFlow: the code and what the
// client needs to redeem it and to check the ID token.
type Authorization struct {
	Code     string
	State    string
	Verifier string // PKCE code_verifier for the token request
	Nonce    string // nonce the ID token must carry
	Redirect *url.URL
}

// VerifierOption is the code_verifier option for oauth2.Config.Exchange.
func (a Authorization) VerifierOption() oauth2.AuthCodeOption {
	return oauth2.VerifierOption(a.Verifier)
}

// AuthCodeFlow runs the authorization code flow in the browser: an S256
// PKCE challenge, a random state and nonce (extra options may override the
// nonce or add parameters), login when asked and consent ("allow") when
// asked. It fails t unless the flow ends in a redirect to cfg.RedirectURL
// with a code and the same state.
func (b *Browser) AuthCodeFlow(t testing.TB, cfg *oauth2.Config, email, password string, extra ...oauth2.AuthCodeOption) Authorization {
	t.Helper()
	verifier := oauth2.GenerateVerifier()
	state := RandomString(t)
	opts := append([]oauth2.AuthCodeOption{
		oauth2.S256ChallengeOption(verifier),
		oauth2.SetAuthURLParam("nonce", RandomString(t)),
	}, extra...)
	authURL := cfg.AuthCodeURL(state, opts...)
	u, err := url.Parse(authURL)
	if err != nil {
		t.Fatalf("servertest: %v", err)
	}
	resp := b.Authorize(t, authURL)
	if OnPage(resp, "/login") {
		resp = b.Login(t, resp, email, password)
	}
	if OnPage(resp, "/consent") {
		resp = b.Consent(t, resp, "allow")
	}
	loc := ClientRedirect(t, resp, cfg.RedirectURL)
	q := loc.Query()
	if q.Get("error") != "" {
		t.Fatalf("servertest: authorization failed: %s: %s", q.Get("error"), q.Get("error_description"))
	}
	if q.Get("state") != state {
		t.Fatalf("servertest: state %q in the redirect, sent %q", q.Get("state"), state)
	}
	if q.Get("code") == "" {
		t.Fatalf("servertest: no code in the redirect %s", loc)
	}
	return Authorization{
		Code:     q.Get("code"),
		State:    state,
		Verifier: verifier,
		Nonce:    u.Query().Get("nonce"),
		Redirect: loc,
	}
}

// OnPage reports whether resp is the server's page at path (e.g. "/login"),
// shown with 200 or, for a failed login, 401.
func OnPage(resp *http.Response, path string) bool {
	return resp.Request != nil && resp.Request.URL.Path == path &&
		(resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusUnauthorized)
}

// ClientRedirect fails t unless resp redirects to redirectURI (with a query
// added), and returns the Location.
func ClientRedirect(t testing.TB, resp *http.Response, redirectURI string) *url.URL {
	t.Helper()
	if resp.StatusCode < 300 || resp.StatusCode > 399 {
		t.Fatalf("servertest: expected a redirect to %s, got %d at %s:\n%s", redirectURI, resp.StatusCode, resp.Request.URL, ReadBody(t, resp))
	}
	raw := resp.Header.Get("Location")
	if raw != redirectURI && !strings.HasPrefix(raw, redirectURI+"?") {
		t.Fatalf("servertest: redirect to %q, expected %s", raw, redirectURI)
	}
	loc, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("servertest: bad Location %q: %v", raw, err)
	}
	return loc
}

// HiddenFields returns the hidden inputs of the first form whose action is
// action, and whether there is one.
func HiddenFields(page []byte, action string) (url.Values, bool) {
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		return nil, false
	}
	form := find(doc, func(n *html.Node) bool { return n.Data == "form" && attr(n, "action") == action })
	if form == nil {
		return nil, false
	}
	fields := url.Values{}
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "input" && strings.EqualFold(attr(n, "type"), "hidden") {
			fields.Add(attr(n, "name"), attr(n, "value"))
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(form)
	return fields, true
}

func find(n *html.Node, match func(*html.Node) bool) *html.Node {
	if n.Type == html.ElementNode && match(n) {
		return n
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if f := find(c, match); f != nil {
			return f
		}
	}
	return nil
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == key {
			return a.Val
		}
	}
	return ""
}

// ReadBody returns resp's whole body and leaves it readable again.
func ReadBody(t testing.TB, resp *http.Response) []byte {
	t.Helper()
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("servertest: read body: %v", err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return body
}

// RandomString returns 32 random bytes in hex: a state or nonce with far
// more than fosite's minimum entropy.
func RandomString(t testing.TB) string {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("servertest: random: %v", err)
	}
	return hex.EncodeToString(b)
}
