package web

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRendererPages: another package's pages render through the layout
// with the pages' security headers; an operator's templates directory
// overrides them file by file; a broken one fails at start, not on a
// request.
func TestRendererPages(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("x_shared.html", `{{define "cardclass"}} wide{{end}}{{define "greeting"}}Hello{{end}}`)
	write("x_page.html", `{{define "title"}}X{{end}}{{define "content"}}<p id="p">{{template "greeting"}}, {{.Name}}</p>{{end}}`)
	renderer, err := NewRenderer(dir)
	if err != nil {
		t.Fatal(err)
	}
	type page struct{ Name string }
	set, err := renderer.Pages([]string{"x_shared.html"}, map[string]any{"x_page.html": page{Name: "n"}}, nil)
	if err != nil {
		t.Fatalf("Pages: %v", err)
	}
	rec := httptest.NewRecorder()
	set.Render(rec, httptest.NewRequest(http.MethodGet, "/x", nil), http.StatusTeapot, "x_page.html", page{Name: "<b>Ann</b>"})
	body := rec.Body.String()
	if rec.Code != http.StatusTeapot || !strings.Contains(body, `<p id="p">Hello, &lt;b&gt;Ann&lt;/b&gt;</p>`) ||
		!strings.Contains(body, `<div class="card wide">`) || !strings.Contains(body, `/static/gatehouse.css`) {
		t.Errorf("rendered %d:\n%s", rec.Code, body)
	}
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || rec.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("headers %v", rec.Header())
	}
	// An unknown page is a plain 500, logged.
	rec = httptest.NewRecorder()
	set.Render(rec, httptest.NewRequest(http.MethodGet, "/x", nil), http.StatusOK, "nope.html", nil)
	if rec.Code != http.StatusInternalServerError {
		t.Errorf("unknown page: %d", rec.Code)
	}
	// A sample that does not fit the template fails at start.
	if _, err := renderer.Pages([]string{"x_shared.html"}, map[string]any{"x_page.html": struct{ Other string }{}}, nil); err == nil {
		t.Error("a page referring to a missing field parsed")
	}
	if _, err := renderer.Pages(nil, map[string]any{"missing.html": page{}}, nil); err == nil {
		t.Error("a missing page parsed")
	}
}
