package web

import (
	"context"
	"errors"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse/storage"
	"github.com/gatehouse-id/gatehouse/templates"
)

var wantPageHeaders = map[string]string{
	"Content-Type":            "text/html; charset=utf-8",
	"Cache-Control":           "no-store",
	"Content-Security-Policy": "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'",
	"X-Frame-Options":         "DENY",
	"X-Content-Type-Options":  "nosniff",
	"Referrer-Policy":         "no-referrer",
}

func checkPageHeaders(t *testing.T, name string, h http.Header) {
	t.Helper()
	for k, want := range wantPageHeaders {
		if got := h.Get(k); got != want {
			t.Errorf("%s: %s = %q, want %q", name, k, got, want)
		}
	}
}

func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t)
	signedIn := e.browser()
	resp, _ := e.signIn(signedIn, "alice@example.com", alicePassword, "")
	checkPageHeaders(t, "signed-in page", resp.Header)

	resp, _ = e.get(e.browser(), "/login")
	checkPageHeaders(t, "login form", resp.Header)

	resp, _ = e.signIn(e.browser(), "alice@example.com", "wrong-password-123", "")
	checkPageHeaders(t, "failed login", resp.Header)

	resp, _ = e.post(e.browser(), "/login", nil)
	checkPageHeaders(t, "CSRF failure", resp.Header)

	resp, _ = e.get(signedIn, consentPath(testFlow))
	checkPageHeaders(t, "consent form", resp.Header)

	resp, _ = e.get(signedIn, consentPath(flowFor("nope", "openid")))
	checkPageHeaders(t, "error page", resp.Header)
}

// failingClients fails the way a broken database would, with detail that
// must stay out of the page.
type failingClients struct{}

func (failingClients) GetClient(context.Context, string) (storage.Client, error) {
	return storage.Client{}, errors.New("sqlite: get client: sql: database is closed (clients.go:54) panic")
}

func TestServerErrorsShowFixedText(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Clients = failingClients{} })
	c := e.signedIn()
	resp, body := e.get(c, consentPath(testFlow))
	// A failed database is "try again in a moment" (issue 13): 503 with
	// Retry-After, and the fixed text.
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("status %d Retry-After %q, want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if !strings.Contains(body, esc(MsgServer)) {
		t.Errorf("503 page lacks the fixed text:\n%s", body)
	}
	checkPageHeaders(t, "503 page", resp.Header)
	if !strings.Contains(e.logs.String(), "database is closed") {
		t.Error("the detail was not logged")
	}
	// env's cleanup checks that no body contains "sql:", ".go:" or "panic".
}

func TestErrorShowsOnlyFixedMessages(t *testing.T) {
	r, err := NewRenderer("")
	if err != nil {
		t.Fatal(err)
	}
	r = r.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	tests := []struct {
		name    string
		status  int
		message string
		want    string
		status2 int
	}{
		{"bad redirect", http.StatusBadRequest, MsgBadRedirect, MsgBadRedirect, http.StatusBadRequest},
		{"not found", http.StatusNotFound, MsgNotFound, MsgNotFound, http.StatusNotFound},
		{"internal detail", http.StatusBadRequest, "sql: no rows at store.go:12", MsgServer, http.StatusBadRequest},
		{"non-error status", http.StatusOK, MsgInvalidRequest, MsgInvalidRequest, http.StatusInternalServerError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			r.Error(w, httptest.NewRequest(http.MethodGet, "/oauth2/auth", nil), tt.status, tt.message)
			body := w.Body.String()
			if w.Code != tt.status2 {
				t.Errorf("status %d, want %d", w.Code, tt.status2)
			}
			if !strings.Contains(body, esc(tt.want)) {
				t.Errorf("body lacks %q:\n%s", tt.want, body)
			}
			for _, bad := range []string{"sql:", ".go:", "panic"} {
				if strings.Contains(body, bad) {
					t.Errorf("body contains %q", bad)
				}
			}
			checkPageHeaders(t, tt.name, w.Header())
		})
	}
}

func TestRenderFailureIsPlain500(t *testing.T) {
	broken := template.Must(template.New("x").Parse(`{{define "layout"}}<p>{{.NoSuchField}}</p>{{end}}`))
	r := &Renderer{
		pages:  map[string]*template.Template{tmplLogin: broken},
		logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	w := httptest.NewRecorder()
	r.render(w, httptest.NewRequest(http.MethodGet, "/login", nil), http.StatusOK, tmplLogin, loginPage{})
	if w.Code != http.StatusInternalServerError {
		t.Errorf("status %d, want 500", w.Code)
	}
	if got := w.Body.String(); got != internalErrorText {
		t.Errorf("body %q, want the fixed text", got)
	}
	if ct := w.Header().Get("Content-Type"); ct != "text/plain; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if w.Header().Get("Cache-Control") != "no-store" {
		t.Error("no Cache-Control: no-store on the fallback")
	}
}

// copyTemplates writes the embedded templates to a directory, minus skip,
// with edits applied.
func copyTemplates(t *testing.T, skip string, edits map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	entries, err := fs.ReadDir(templates.FS, ".")
	if err != nil {
		t.Fatal(err)
	}
	for _, ent := range entries {
		if ent.Name() == skip {
			continue
		}
		b, err := fs.ReadFile(templates.FS, ent.Name())
		if err != nil {
			t.Fatal(err)
		}
		if edit, ok := edits[ent.Name()]; ok {
			b = []byte(edit)
		}
		if err := os.WriteFile(filepath.Join(dir, ent.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestRendererOverrideDir(t *testing.T) {
	// A page the directory does not hold is the built-in one, so a release
	// that adds a page does not break an operator's directory.
	for _, name := range []string{tmplLayout, tmplLogin, tmplConsent, tmplError, tmplSignedIn} {
		t.Run("missing "+name+" is built in", func(t *testing.T) {
			if _, err := NewRenderer(copyTemplates(t, name, nil)); err != nil {
				t.Fatalf("NewRenderer = %v, want the built-in %s", err, name)
			}
		})
	}
	t.Run("only the changed page", func(t *testing.T) {
		dir := t.TempDir()
		page := `{{define "title"}}Mine{{end}}{{define "content"}}<p id="mine">operator's error page</p>{{end}}`
		if err := os.WriteFile(filepath.Join(dir, tmplError), []byte(page), 0o600); err != nil {
			t.Fatal(err)
		}
		r, err := NewRenderer(dir)
		if err != nil {
			t.Fatal(err)
		}
		w := httptest.NewRecorder()
		r.Error(w, httptest.NewRequest(http.MethodGet, "/", nil), http.StatusNotFound, MsgNotFound)
		if !strings.Contains(w.Body.String(), `id="mine"`) {
			t.Errorf("the operator's error page was not used: %s", w.Body)
		}
	})
	t.Run("no such directory", func(t *testing.T) {
		if _, err := NewRenderer(filepath.Join(t.TempDir(), "nope")); err == nil {
			t.Fatal("NewRenderer accepted a missing directory")
		}
	})
	t.Run("unknown field fails at start", func(t *testing.T) {
		dir := copyTemplates(t, "", map[string]string{
			tmplLogin: `{{define "title"}}x{{end}}{{define "content"}}{{.Username}}{{end}}`,
		})
		if _, err := NewRenderer(dir); err == nil || !strings.Contains(err.Error(), tmplLogin) {
			t.Fatalf("NewRenderer = %v, want a dry-run error for %s", err, tmplLogin)
		}
	})
	t.Run("page without content", func(t *testing.T) {
		dir := copyTemplates(t, "", map[string]string{tmplSignedIn: `{{define "title"}}x{{end}}`})
		if _, err := NewRenderer(dir); err == nil || !strings.Contains(err.Error(), tmplSignedIn) {
			t.Fatalf("NewRenderer = %v, want an error for %s", err, tmplSignedIn)
		}
	})
	t.Run("override is used", func(t *testing.T) {
		dir := copyTemplates(t, "", map[string]string{
			tmplError: `{{define "title"}}Oops{{end}}{{define "content"}}<p class="custom">{{.Message}}</p>{{end}}`,
		})
		r, err := NewRenderer(dir)
		if err != nil {
			t.Fatal(err)
		}
		w := httptest.NewRecorder()
		r.Error(w, httptest.NewRequest(http.MethodGet, "/", nil), http.StatusBadRequest, MsgNotFound)
		if !strings.Contains(w.Body.String(), `<p class="custom">`+esc(MsgNotFound)) {
			t.Errorf("override not rendered:\n%s", w.Body.String())
		}
	})
}

func TestStatic(t *testing.T) {
	e := newEnv(t)
	c := e.browser()
	for _, tt := range []struct{ path, contentType string }{
		{"/static/gatehouse.css", "text/css; charset=utf-8"},
		{"/static/favicon.svg", "image/svg+xml"},
	} {
		resp, body := e.get(c, tt.path)
		if resp.StatusCode != http.StatusOK || body == "" {
			t.Errorf("%s: status %d", tt.path, resp.StatusCode)
		}
		if got := resp.Header.Get("Content-Type"); got != tt.contentType {
			t.Errorf("%s: Content-Type %q, want %q", tt.path, got, tt.contentType)
		}
		if got := resp.Header.Get("Cache-Control"); got != "public, max-age=3600" {
			t.Errorf("%s: Cache-Control %q", tt.path, got)
		}
	}
	for _, path := range []string{"/static/", "/static/nope.css"} {
		resp, _ := e.get(c, path)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", path, resp.StatusCode)
		}
		if strings.Contains(resp.Header.Get("Cache-Control"), "public") {
			t.Errorf("%s: a 404 is cacheable", path)
		}
	}

	if _, err := StaticFS(t.TempDir()); err == nil {
		t.Error("StaticFS accepted a directory without gatehouse.css")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "gatehouse.css"), []byte("body{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	fsys, err := StaticFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	e2 := newEnv(t, func(o *Options) { o.Static = fsys })
	if _, body := e2.get(e2.browser(), "/static/gatehouse.css"); body != "body{}" {
		t.Errorf("override static not served: %q", body)
	}
}
