// Package pathvars makes a gorilla/mux router match on the escaped path,
// so that a path variable may hold "/" percent-encoded: a client ID that is
// a URL (a client ID metadata document) is one segment,
// /admin/clients/https:%2F%2Fagent.example%2Fclient.json. Handlers still
// read decoded values from mux.Vars.
package pathvars

import (
	"net/http"
	"net/url"

	"github.com/gorilla/mux"
)

// Encoded sets r to match on the escaped path and to hand its handlers
// decoded path variables. Call it before adding routes or subrouters:
// they copy the router's settings when made.
func Encoded(r *mux.Router) {
	r.UseEncodedPath()
	r.Use(decode)
}

// decode replaces the matched route's variables by their decoded values.
func decode(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		vars := mux.Vars(r)
		if len(vars) == 0 {
			next.ServeHTTP(w, r)
			return
		}
		dec := make(map[string]string, len(vars))
		for k, v := range vars {
			if d, err := url.PathUnescape(v); err == nil {
				v = d
			}
			dec[k] = v
		}
		next.ServeHTTP(w, mux.SetURLVars(r, dec))
	})
}
