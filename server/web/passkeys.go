package web

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"

	"github.com/gatehouse-id/gatehouse/passkeys"
	"github.com/gatehouse-id/gatehouse/storage"
)

// Passkeys serves the passkey ceremonies (passkey_login.go,
// passkey_account.go): sign-in without a password, the second factor on
// /login/mfa, and adding, renaming and removing passkeys on
// /account/security. Each ceremony's options come from a JSON endpoint that
// static/passkey.js calls; its answer comes back as a form post, so the
// server answers with a page, as for any other form.
type Passkeys struct {
	*flows
	// signInPages renders the login page the passkey sign-in fails back to.
	signInPages *SignIn
	// sf finishes sign-ins and renders the security page (the second
	// factors' hooks, mfa.go).
	sf         *SecondFactor
	store      storage.Store
	svc        *passkeys.Service
	ceremonies *ceremonies
}

// passkeyScript is the one script of the passkey pages.
const passkeyScript = "/static/passkey.js"

// maxOptionsBody bounds the body of an options request (it carries none
// that matters: "{}").
const maxOptionsBody = 1 << 10

// jsonError is the body of a JSON endpoint's error: a short code and a
// sentence for the person, which the script shows.
type jsonError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// writeJSON answers v with status, uncached.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Texts of the passkey endpoints and pages.
const (
	MsgPasskeyCSRF        = "This page has expired. Reload it and try again."
	MsgPasskeyBadRequest  = "The request was not understood. Reload the page and try again."
	MsgPasskeyNotSignedIn = "You are not signed in. Sign in again, then add the passkey."
	MsgPasskeyStepUp      = "Use your current second factor first (sign in with it again), then add the passkey."
	MsgPasskeyLimit       = "You have as many passkeys as an account may have. Remove one first."
	MsgPasskeyFailed      = "That passkey could not be used. Try again, or sign in another way."
	MsgPasskeyExpired     = "The passkey request expired or was already used. Try again."
	MsgPasskeyInvalid     = "The passkey answer was not understood. Try again."
	MsgPasskeyDuplicate   = "This passkey is registered already."
	MsgPasskeyName        = "Use at most 64 characters, on one line."
	MsgPasskeyAdded       = "Your passkey has been added."
	MsgPasskeyRenamed     = "Your passkey has been renamed."
	MsgPasskeyRemoved     = "Your passkey has been removed."
	MsgPasskeyNoPending   = "There is no sign-in waiting for a passkey. Sign in again."
	MsgPasskeyNone        = "You have no passkey. Use another way to confirm it is you."
)

// optionsRequest checks an options request: the page's CSRF token in
// CSRFHeader, the JSON content type and a body that is empty or a JSON
// object.
// On failure it has answered with a JSON error.
func (h *Passkeys) optionsRequest(w http.ResponseWriter, r *http.Request) bool {
	if !h.csrf.validToken(r, r.Header.Get(CSRFHeader)) {
		h.logger.InfoContext(r.Context(), "web: csrf check failed", "path", r.URL.Path)
		writeJSON(w, http.StatusForbidden, jsonError{"csrf", MsgPasskeyCSRF})
		return false
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		writeJSON(w, http.StatusUnsupportedMediaType, jsonError{"unsupported_media_type", MsgPasskeyBadRequest})
		return false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxOptionsBody))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeJSON(w, http.StatusRequestEntityTooLarge, jsonError{"too_large", MsgPasskeyBadRequest})
		return false
	case err != nil:
		writeJSON(w, http.StatusBadRequest, jsonError{"invalid_request", MsgPasskeyBadRequest})
		return false
	}
	if len(body) > 0 {
		var obj map[string]json.RawMessage
		if json.Unmarshal(body, &obj) != nil {
			writeJSON(w, http.StatusBadRequest, jsonError{"invalid_request", MsgPasskeyBadRequest})
			return false
		}
	}
	return true
}

// optionsFailed answers an options endpoint's unexpected failure: 503
// for a failed database (counted like the pages'), else 500, logged.
func (h *Passkeys) optionsFailed(w http.ResponseWriter, r *http.Request, what string, err error) {
	if storage.Failed(err) {
		h.faults.Report(r.Context(), "pages", "web: "+what, err)
		w.Header().Set("Retry-After", "5")
		writeJSON(w, http.StatusServiceUnavailable, jsonError{"temporarily_unavailable", MsgServer})
		return
	}
	h.logger.ErrorContext(r.Context(), "web: "+what, "err", err)
	writeJSON(w, http.StatusInternalServerError, jsonError{"server_error", MsgServer})
}

// sendOptions keeps the ceremony and answers its options.
func (h *Passkeys) sendOptions(w http.ResponseWriter, r *http.Request, opts any, c passkeys.Ceremony) {
	if err := h.ceremonies.save(w, c); err != nil {
		h.optionsFailed(w, r, "save passkey ceremony", err)
		return
	}
	writeJSON(w, http.StatusOK, opts)
}

// credentialField returns the form's credential (the browser's answer),
// or answers 400 with the error page.
func (h *Passkeys) credentialField(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	c := r.PostForm.Get("credential")
	if c == "" {
		h.renderer.Error(w, r, http.StatusBadRequest, MsgInvalidRequest)
		return nil, false
	}
	return []byte(c), true
}

// takeCeremony spends the request's ceremony of kind. ok false with nil
// error: there was none (answer MsgPasskeyExpired); an error is storage's.
func (h *Passkeys) takeCeremony(w http.ResponseWriter, r *http.Request, kind passkeys.Kind) (passkeys.Ceremony, bool, error) {
	c, err := h.ceremonies.take(w, r, kind)
	if errors.Is(err, errNoCeremony) {
		return c, false, nil
	}
	return c, err == nil, err
}
