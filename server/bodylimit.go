package server

import (
	"bytes"
	"io"
	"net/http"
	"strings"

	"github.com/gatehouse-id/gatehouse/server/admin"
	"github.com/gatehouse-id/gatehouse/server/oauth"
)

// maxBodyBytes bounds every request body; no Gatehouse request is larger.
const maxBodyBytes = 1 << 20

// withBodyLimit answers 413 to a request whose body is over limit, before
// any handler reads it: a handler that met a cut-off body would answer 400
// (or 401, when the client's credentials were in the part not read). A
// declared Content-Length is checked at once; a chunked body is read, up
// to limit, into memory (every handler reads its whole body anyway) and
// handed on with its length known. Protocol endpoints and the admin API
// get an RFC 6749 error object (invalid_request); pages get page(w, r).
func withBodyLimit(h http.Handler, limit int64, page http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > limit {
			tooLarge(w, r, page)
			return
		}
		if r.ContentLength < 0 && r.Body != nil && r.Body != http.NoBody {
			body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
			if err != nil {
				writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": "The request body could not be read."})
				return
			}
			if int64(len(body)) > limit {
				tooLarge(w, r, page)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.ContentLength = int64(len(body))
		}
		h.ServeHTTP(w, r)
	})
}

func tooLarge(w http.ResponseWriter, r *http.Request, page http.HandlerFunc) {
	w.Header().Set("Connection", "close") // the rest of the body is not read
	if !answersJSON(r.URL.Path) && page != nil {
		page(w, r)
		return
	}
	writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{
		"error":             "invalid_request",
		"error_description": "The request body is too large.",
	})
}

// answersJSON reports whether path is a protocol endpoint or the admin API
// (JSON errors) rather than a page. The authorization and end-session
// endpoints show their errors to a person, as pages.
func answersJSON(path string) bool {
	switch {
	case path == oauth.PathAuthorize, path == oauth.PathEndSession:
		return false
	case strings.HasPrefix(path, "/oauth2/"), path == oauth.PathUserInfo,
		strings.HasPrefix(path, "/.well-known/"), strings.HasPrefix(path, admin.PathPrefix):
		return true
	}
	return false
}
