package web

import (
	"fmt"
	"html/template"
	"io"
	"net/http"
)

// PageKit lends pages served by another package (the admin console,
// server/console) what these pages use: the CSRF token and check, form
// parsing with the same limits and the fixed-text error pages. Their
// pages are a PageSet (Renderer.Pages), rendered through the same layout,
// stylesheet, branding and security headers (strict CSP).
type PageKit struct {
	b *base
}

// Kit returns the PageKit of these pages.
func (h *Handlers) Kit() *PageKit { return &PageKit{b: h.base} }

// Token returns the browser's CSRF form token (field CSRFField), giving
// the browser its CSRF cookie first when it has none.
func (k *PageKit) Token(w http.ResponseWriter, r *http.Request) string { return k.b.csrf.token(w, r) }

// ParseForm limits and parses a POST body and checks its CSRF token. On
// failure it has answered (400, 413, or 403 with MsgCSRF) and returns
// false.
func (k *PageKit) ParseForm(w http.ResponseWriter, r *http.Request) bool {
	return k.b.parseForm(w, r) && k.b.checkCSRF(w, r)
}

// Error sends the error page; message must be one of the Msg constants.
func (k *PageKit) Error(w http.ResponseWriter, r *http.Request, status int, message string) {
	k.b.renderer.Error(w, r, status, message)
}

// ServerError answers an unexpected failure with the fixed text: 503 and
// Retry-After when the database failed, else 500; the detail is logged.
func (k *PageKit) ServerError(w http.ResponseWriter, r *http.Request, what string, err error) {
	k.b.serverError(w, r, what, err)
}

// PageSet is a set of pages defined outside this package and rendered
// like these ones.
type PageSet struct {
	renderer *Renderer
	pages    map[string]*template.Template
}

// Pages parses, from the pages' templates (an operator's directory
// first, then the embedded ones), one page per key of samples: the file
// of that name, which defines "title" and "content" (and may define
// "scripts" and "cardclass"), with the shared files (partials) and funcs.
// Each page is dry-run with its sample, so a missing or broken template
// fails start-up rather than a request. The pages render like r's.
func (r *Renderer) Pages(shared []string, samples map[string]any, funcs template.FuncMap) (*PageSet, error) {
	set := &PageSet{renderer: r, pages: make(map[string]*template.Template, len(samples))}
	for name, sample := range samples {
		t, err := r.layout.Clone()
		if err != nil {
			return nil, fmt.Errorf("web: clone layout for %s: %w", name, err)
		}
		t.Funcs(funcs)
		for _, file := range append(append([]string(nil), shared...), name) {
			if _, err := t.ParseFS(r.fsys, file); err != nil {
				return nil, fmt.Errorf("web: parse %s: %w", file, err)
			}
		}
		for _, block := range []string{"title", "content"} {
			if t.Lookup(block) == nil {
				return nil, fmt.Errorf("web: %s does not define %q", name, block)
			}
		}
		if err := t.ExecuteTemplate(io.Discard, "layout", sample); err != nil {
			return nil, fmt.Errorf("web: dry run of %s: %w", name, err)
		}
		set.pages[name] = t
	}
	return set, nil
}

// Render sends page name executed with data, with status and the pages'
// security headers; a failed render is logged and answered with a plain
// 500.
func (s *PageSet) Render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	t, ok := s.pages[name]
	if !ok {
		s.renderer.render(w, r, status, "", data) // logs the unknown page
		return
	}
	s.renderer.renderTemplate(w, r, status, name, t, data)
}

// DeviceName names a browser readably from its User-Agent ("Chrome on
// Linux"), as the account page does.
func DeviceName(userAgent string) string { return deviceName(userAgent) }
