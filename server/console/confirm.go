package console

import (
	"net/http"
	"sort"

	"github.com/gatehouse-id/gatehouse/server/web"
)

// confirmed reports whether a destructive action's form carries
// confirm=yes. Without it nothing is done: the confirmation page asks,
// and its form posts the same action again with confirm=yes and the
// other fields carried along (no script needed).
func (h *Handler) confirmed(w http.ResponseWriter, r *http.Request, a admin, nav string, c confirmPage) bool {
	if r.PostForm.Get("confirm") == "yes" {
		return true
	}
	c.chrome = h.chrome(w, r, a, nav)
	c.Action = r.URL.EscapedPath() // a client ID may hold "/", escaped
	names := make([]string, 0, len(r.PostForm))
	for k := range r.PostForm {
		if k != web.CSRFField && k != "confirm" {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	for _, k := range names {
		for _, v := range r.PostForm[k] {
			c.Fields = append(c.Fields, field{Name: k, Value: v})
		}
	}
	h.pages.Render(w, r, http.StatusOK, tmplConfirm, c)
	return false
}
