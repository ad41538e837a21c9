package web

import (
	"fmt"
	"io/fs"
	"net/http"
	"os"
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

// staticHandler serves files under /static/, without directory listings.
func (h *Handlers) staticHandler() http.Handler {
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
