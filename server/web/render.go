package web

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/gatehouse-id/gatehouse/templates"
)

// Template file names. layout.html defines "layout"; each page defines
// "title" and "content" and is rendered through the layout.
const (
	tmplLayout   = "layout.html"
	tmplLogin    = "login.html"
	tmplConsent  = "consent.html"
	tmplError    = "error.html"
	tmplSignedIn = "signed_in.html"
	tmplRegister = "register.html"
	tmplNotice   = "notice.html"
	tmplForgot   = "forgot_password.html"
	tmplReset    = "reset_password.html"
	tmplVerify   = "verify_email.html"
	tmplAccount  = "account.html"
	tmplLogout   = "logout.html"
	tmplLoginMFA = "login_mfa.html"
	tmplSecurity = "account_security.html"
	tmplTOTP     = "account_totp.html"
	tmplCodes    = "recovery_codes.html"
	// tmplSelectAccount is the prompt=select_account page.
	tmplSelectAccount = "select_account.html"
	tmplDevice        = "device.html"
)

// pageNames lists every template a renderer needs, layout first.
var pageNames = []string{
	tmplLayout, tmplLogin, tmplConsent, tmplError, tmplSignedIn, tmplRegister, tmplNotice,
	tmplForgot, tmplReset, tmplVerify, tmplAccount, tmplLogout, tmplHome, tmplSelectAccount,
	tmplLoginMFA, tmplSecurity, tmplTOTP, tmplCodes, tmplDevice,
}

// contentSecurityPolicy is sent with every page (plus the logo's origin in
// img-src when the logo is on another host).
//
// There is deliberately no form-action directive. Chromium and Safari apply
// form-action not only to a form's action but to every redirect that follows
// the submission (w3c/webappsec-csp#8), and the login and consent POSTs end
// in a redirect to the client's redirect_uri. `form-action 'self'` would
// block that redirect outright; `form-action 'self' http: https:` still
// blocks native apps using private-use URI schemes (RFC 8252, e.g.
// com.example.app:/cb) and https callbacks that hop on to such a scheme.
// A per-request list of schemes cannot cover those hops either. What
// form-action would add, stopping injected markup from posting a form
// elsewhere, is already covered: every value goes through html/template
// escaping and script-src 'self' runs no inline script, only this server's
// own files. form-action does not fall back to default-src, so leaving it
// out leaves submissions unrestricted.
//
// script-src and connect-src 'self' are for the one script the pages load,
// static/passkey.js, and the passkey ceremony options it fetches.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'"

// Branding is what the pages show of the product: its name, an optional
// logo (an https URL or a local path) and the primary colour (#rgb or
// #rrggbb), served as /static/brand.css so no inline style is needed.
type Branding struct {
	ProductName  string
	LogoURL      string
	PrimaryColor string
}

// DefaultBranding is used when none is configured.
var DefaultBranding = Branding{ProductName: "Gatehouse", PrimaryColor: "#2f5bea"}

// Renderer renders the HTML pages. It is safe for concurrent use.
type Renderer struct {
	pages map[string]*template.Template
	// sections are the security-page parts other code adds
	// (section_*.html, see SecondFactor.AddSecuritySection).
	sections *template.Template
	mails    map[string]mailTemplate
	brand    Branding
	csp      string
	logger   *slog.Logger
	// fsys and layout are what PageSet parses other packages' pages
	// from: the same files (an operator's directory first) and layout.
	fsys   fs.FS
	layout *template.Template
}

// NewRenderer parses every page from dir, or from the embedded templates
// when dir is empty. A missing or broken template is an error here, at
// start, rather than on some later request.
func NewRenderer(dir string) (*Renderer, error) {
	return NewBrandedRenderer(dir, DefaultBranding)
}

// NewBrandedRenderer is NewRenderer with the product's branding.
func NewBrandedRenderer(dir string, b Branding) (*Renderer, error) {
	if dir == "" {
		return newRenderer(templates.FS, nil, b)
	}
	info, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("web: templates directory: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("web: templates directory %s is not a directory", dir)
	}
	return newRenderer(templates.Overlay(os.DirFS(dir)), os.DirFS(dir), b)
}

// NewRendererFS parses every page from fsys; see NewRenderer.
func NewRendererFS(fsys fs.FS) (*Renderer, error) {
	return newRenderer(fsys, nil, DefaultBranding)
}

// newRenderer parses the pages from fsys and the mails from mailFS, file
// by file where it has them, else from the embedded ones.
func newRenderer(fsys, mailFS fs.FS, b Branding) (*Renderer, error) {
	if strings.TrimSpace(b.ProductName) == "" {
		b.ProductName = DefaultBranding.ProductName
	}
	if !colorRE.MatchString(b.PrimaryColor) {
		b.PrimaryColor = DefaultBranding.PrimaryColor
	}
	var missing []string
	for _, name := range pageNames {
		if _, err := fs.Stat(fsys, name); err != nil {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("web: missing template(s): %s", strings.Join(missing, ", "))
	}
	funcs := template.FuncMap{
		"product": func() string { return b.ProductName },
		"logo":    func() string { return b.LogoURL },
	}
	layout, err := template.New(tmplLayout).Funcs(funcs).ParseFS(fsys, tmplLayout)
	if err != nil {
		return nil, fmt.Errorf("web: parse %s: %w", tmplLayout, err)
	}
	if layout.Lookup("layout") == nil {
		return nil, fmt.Errorf("web: %s does not define \"layout\"", tmplLayout)
	}
	mails, err := parseMails(mailFS)
	if err != nil {
		return nil, err
	}
	r := &Renderer{pages: make(map[string]*template.Template, len(samples)), mails: mails, brand: b, csp: pagePolicy(b.LogoURL), logger: slog.Default(),
		fsys: fsys, layout: layout}
	if r.sections, err = parseSections(fsys, funcs); err != nil {
		return nil, err
	}
	for name, sample := range samples {
		t, err := layout.Clone()
		if err != nil {
			return nil, fmt.Errorf("web: clone layout for %s: %w", name, err)
		}
		if _, err := t.ParseFS(fsys, name); err != nil {
			return nil, fmt.Errorf("web: parse %s: %w", name, err)
		}
		for _, block := range []string{"title", "content"} {
			if t.Lookup(block) == nil {
				return nil, fmt.Errorf("web: %s does not define %q", name, block)
			}
		}
		if err := t.ExecuteTemplate(io.Discard, "layout", sample); err != nil {
			return nil, fmt.Errorf("web: dry run of %s: %w", name, err)
		}
		r.pages[name] = t
	}
	return r, nil
}

// WithLogger returns a copy of r that logs render failures to l.
func (r *Renderer) WithLogger(l *slog.Logger) *Renderer {
	c := *r
	if l != nil {
		c.logger = l
	}
	return &c
}

// Error sends the error page with status and message, which must be one of
// the Msg constants of this package. Any other text is logged and replaced
// by MsgServer, so that an error's detail can never reach the page.
func (r *Renderer) Error(w http.ResponseWriter, req *http.Request, status int, message string) {
	if !fixedMessages[message] {
		r.logger.ErrorContext(req.Context(), "web: error page asked to show a non-fixed message; showing the generic one",
			"status", status, "message", message)
		message = MsgServer
	}
	if status < 400 || status > 599 {
		status = http.StatusInternalServerError
	}
	title := "We could not complete your request"
	if status >= 500 {
		title = "Something went wrong"
	}
	r.render(w, req, status, tmplError, errorPage{Status: status, Title: title, Message: message})
}

// render executes page into a buffer and sends it with status. A render
// failure is logged and becomes a plain fixed-text 500.
func (r *Renderer) render(w http.ResponseWriter, req *http.Request, status int, page string, data any) {
	r.renderTemplate(w, req, status, page, r.pages[page], data)
}

// renderTemplate is render with the page's template t (nil: unknown).
func (r *Renderer) renderTemplate(w http.ResponseWriter, req *http.Request, status int, page string, t *template.Template, data any) {
	var buf bytes.Buffer
	err := errors.New("unknown page")
	if t != nil {
		err = t.ExecuteTemplate(&buf, "layout", data)
	}
	if err != nil {
		r.logger.ErrorContext(req.Context(), "web: render page", "page", page, "err", err)
		r.setSecurityHeaders(w.Header())
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Content-Length", strconv.Itoa(len(internalErrorText)))
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, internalErrorText)
		return
	}
	r.setSecurityHeaders(w.Header())
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// pagePolicy is the Content-Security-Policy of the pages: the fixed one,
// with the logo's origin allowed as an image source when it is elsewhere.
func pagePolicy(logo string) string {
	u, err := url.Parse(logo)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return contentSecurityPolicy
	}
	return strings.Replace(contentSecurityPolicy, "img-src 'self' data:", "img-src 'self' data: https://"+u.Host, 1)
}

// setSecurityHeaders sets the headers every page is sent with.
func (r *Renderer) setSecurityHeaders(h http.Header) {
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", r.csp)
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
}

var colorRE = regexp.MustCompile(`^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)

// parseSections parses every section_*.html template, by the names the
// binary embeds (an operator's directory may override them) and those
// fsys holds; nil when there are none.
func parseSections(fsys fs.FS, funcs template.FuncMap) (*template.Template, error) {
	names, _ := fs.Glob(templates.FS, "section_*.html")
	if more, err := fs.Glob(fsys, "section_*.html"); err == nil {
		names = append(names, more...)
	}
	var t *template.Template
	seen := map[string]bool{}
	for _, name := range names {
		if seen[name] {
			continue
		}
		seen[name] = true
		if _, err := fs.Stat(fsys, name); err != nil {
			continue
		}
		if t == nil {
			t = template.New("sections").Funcs(funcs)
		}
		if _, err := t.ParseFS(fsys, name); err != nil {
			return nil, fmt.Errorf("web: parse %s: %w", name, err)
		}
	}
	return t, nil
}
