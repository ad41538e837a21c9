package web

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse/templates"
)

func TestBranding(t *testing.T) {
	r, err := NewBrandedRenderer("", Branding{ProductName: "Acme ID", LogoURL: "https://cdn.acme.example/logo.svg", PrimaryColor: "#ffcc00"})
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	r.Error(w, httptest.NewRequest(http.MethodGet, "/", nil), http.StatusNotFound, MsgNotFound)
	body := w.Body.String()
	for _, want := range []string{"– Acme ID</title>", `<img src="https://cdn.acme.example/logo.svg"`, `href="/static/brand.css"`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s:\n%s", want, body)
		}
	}
	if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "img-src 'self' data: https://cdn.acme.example;") {
		t.Errorf("CSP %q does not allow the logo's origin", csp)
	}

	e := newEnv(t, func(o *Options) { o.Renderer = r })
	_, css := e.get(e.browser(), "/static/brand.css")
	if !strings.Contains(css, "--brand: #ffcc00; --brand-fg: #000000;") {
		t.Errorf("brand.css %q: want the colour with black text on yellow", css)
	}
	for c, want := range map[string]string{"#2f5bea": "#ffffff", "#fff": "#000000", "#000000": "#ffffff", "#ffcc00": "#000000"} {
		if got := readableOn(c); got != want {
			t.Errorf("readableOn(%s) = %s, want %s", c, got, want)
		}
	}
	r2, _ := NewBrandedRenderer("", Branding{PrimaryColor: "red;}body{display:none"})
	if r2.brand.PrimaryColor != DefaultBranding.PrimaryColor || r2.brand.ProductName != "Gatehouse" {
		t.Errorf("invalid branding kept: %+v", r2.brand)
	}
}

func TestLoginTemplateHasProviderSpot(t *testing.T) {
	b, err := fs.ReadFile(templates.FS, tmplLogin)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "<!-- upstream providers -->") || !strings.Contains(string(b), "{{range .Providers}}") {
		t.Error("login.html lost the marked spot for upstream provider buttons")
	}
}

func TestLocalPath(t *testing.T) {
	for in, want := range map[string]string{
		"/account":              "/account",
		"/account?done=profile": "/account?done=profile",
		"":                      "",
		"account":               "",
		"//evil.example":        "",
		"/\\evil.example":       "",
		"https://evil.example/": "",
		"/a\nb":                 "",
		"javascript:alert(1)":   "",
		"/%2F%2Fevil.example":   "/%2F%2Fevil.example",
		"///evil.example":       "",
		"\t/account":            "",
	} {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
}
