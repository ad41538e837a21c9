package web

import (
	"fmt"
	"io/fs"
	"math"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/gatehouse-id/gatehouse/static"
)

// staticCacheControl lets browsers and proxies keep assets for an hour.
const staticCacheControl = "public, max-age=3600"

// StaticFS returns the assets to serve under /static/: the embedded ones
// when dir is empty, else dir, which must hold gatehouse.css.
func StaticFS(dir string) (fs.FS, error) {
	if dir == "" {
		return defaultStatic(), nil
	}
	fsys := os.DirFS(dir)
	if _, err := fs.Stat(fsys, "gatehouse.css"); err != nil {
		return nil, fmt.Errorf("web: static directory: %w", err)
	}
	return fsys, nil
}

func defaultStatic() fs.FS { return static.FS }

// Static serves files under /static/, without directory listings.
func (h *Assets) Static() http.Handler {
	files := http.StripPrefix("/static/", http.FileServerFS(h.static))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/static/")
		if name == "" || strings.HasSuffix(name, "/") {
			http.NotFound(w, r)
			return
		}
		// http.FileServer drops Cache-Control again on errors (Go >= 1.23).
		w.Header().Set("Cache-Control", staticCacheControl)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		files.ServeHTTP(w, r)
	})
}

// PasskeyJS serves /static/passkey.js, always the embedded one: the
// script must match this server's passkey endpoints, whatever static
// directory is configured.
func (h *Assets) PasskeyJS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", staticCacheControl)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	http.ServeFileFS(w, r, static.FS, "passkey.js")
}

// BrandCSS serves /static/brand.css: the configured primary colour as CSS
// variables, with a text colour that stays readable on it. A stylesheet
// rather than an inline style keeps the CSP free of 'unsafe-inline'.
func (h *Assets) BrandCSS(w http.ResponseWriter, _ *http.Request) {
	c := h.renderer.brand.PrimaryColor
	css := fmt.Sprintf(":root { --brand: %s; --brand-fg: %s; }\n", c, readableOn(c))
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", staticCacheControl)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write([]byte(css))
}

// readableOn returns black or white, whichever contrasts more with the
// #rgb or #rrggbb colour c (WCAG relative luminance).
func readableOn(c string) string {
	hex := strings.TrimPrefix(c, "#")
	if len(hex) == 3 {
		hex = string([]byte{hex[0], hex[0], hex[1], hex[1], hex[2], hex[2]})
	}
	v, err := strconv.ParseUint(hex, 16, 32)
	if err != nil || len(hex) != 6 {
		return "#ffffff"
	}
	lin := func(x uint64) float64 {
		s := float64(x) / 255
		if s <= 0.03928 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	l := 0.2126*lin(v>>16&0xff) + 0.7152*lin(v>>8&0xff) + 0.0722*lin(v&0xff)
	if (l+0.05)/0.05 > 1.05/(l+0.05) {
		return "#000000"
	}
	return "#ffffff"
}
