package web

import "net/http"

// tmplHome is the page at /.
const tmplHome = "home.html"

// homePage is what / shows: links to sign in, the account page and the
// discovery document, so that someone who opens the server's address
// finds their way.
type homePage struct {
	Register bool // registration is open
}

// Home serves /, and only / (other unknown paths are 404s).
func (h *SignIn) Home(w http.ResponseWriter, r *http.Request) {
	h.renderer.render(w, r, http.StatusOK, tmplHome, homePage{Register: h.registration.Enabled && h.accountPages})
}
