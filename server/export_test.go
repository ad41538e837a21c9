package server

import (
	"sort"
	"strings"

	"github.com/gorilla/mux"

	"github.com/gatehouse-id/gatehouse/server/web"
)

// Route is one line of the route table as the tests see it.
type Route struct {
	Methods []string
	Path    string
	Prefix  bool
	// Guard is "open", "form", "client", "bearer", "admin" or "cross-site".
	Guard  string
	Reason string
}

var guardNames = map[guard]string{open: "open", form: "form", client: "client", bearer: "bearer", adminAPI: "admin", crossSite: "cross-site"}

// Routes returns s's route table.
func Routes(s *Server) []Route {
	out := make([]Route, 0, len(s.routes))
	for _, r := range s.routes {
		out = append(out, Route{Methods: r.methods, Path: r.path, Prefix: r.prefix, Guard: guardNames[r.guard], Reason: r.reason})
	}
	return out
}

// Served walks s's routers and returns every "METHOD path" they serve
// ("path*" for a prefix; "ANY path*" for a route without methods), the
// admin router's routes included, sorted.
func Served(s *Server) ([]string, error) {
	var out []string
	walk := func(r *mux.Router) error {
		return r.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
			path, err := route.GetPathTemplate()
			if err != nil {
				return err
			}
			if _, err := route.GetPathRegexp(); err == nil && isPrefix(route) {
				path += "*"
			}
			methods, err := route.GetMethods()
			if err != nil {
				methods = []string{"ANY"}
			}
			for _, m := range methods {
				out = append(out, m+" "+path)
			}
			return nil
		})
	}
	if err := walk(s.router); err != nil {
		return nil, err
	}
	if err := walk(s.admin.Router()); err != nil {
		return nil, err
	}
	sort.Strings(out)
	return out, nil
}

// isPrefix reports whether route matches a path prefix: its regexp is not
// anchored at the end.
func isPrefix(route *mux.Route) bool {
	re, _ := route.GetPathRegexp()
	return !strings.HasSuffix(re, "$")
}

// Pages returns s's page handlers, for tests of the hooks other features
// use (web.SecondFactor).
func Pages(s *Server) *web.Handlers { return s.pages }
