package registration

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"mime"
	"net/http"

	"github.com/gatehouse-id/gatehouse/clients"
	"github.com/gatehouse-id/gatehouse/storage"
)

// writeJSON sends v as the JSON body with status; nothing here may be
// cached (RFC 7591 section 3.2.1).
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError sends {"error": code, "error_description": description}.
func writeError(w http.ResponseWriter, status int, code, description string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": description})
}

// decodeMetadata reads a registration request's JSON body.
func decodeMetadata(w http.ResponseWriter, r *http.Request) (clients.Metadata, bool) {
	var m clients.Metadata
	ok := decodeJSON(w, r, &m)
	return m, ok
}

// decodeJSON reads a JSON object body into v; on failure it has answered
// invalid_client_metadata (a body too large is 413).
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		writeError(w, http.StatusBadRequest, clients.ErrCodeMetadata, "Send the client metadata as application/json.")
		return false
	}
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(v); err != nil {
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			writeError(w, http.StatusRequestEntityTooLarge, clients.ErrCodeMetadata, "The request body is too large.")
			return false
		}
		writeError(w, http.StatusBadRequest, clients.ErrCodeMetadata, "The body is not a JSON object of client metadata with the right types.")
		return false
	}
	return true
}

// refuse answers a refused registration or update: the metadata error, or
// a rule of the clients package (also invalid_client_metadata).
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, clientID string, err error) {
	var me *clients.MetadataError
	switch {
	case errors.As(err, &me):
		writeError(w, http.StatusBadRequest, me.Code, me.Description)
	case errors.Is(err, clients.ErrInvalid):
		writeError(w, http.StatusBadRequest, clients.ErrCodeMetadata, err.Error())
	case errors.Is(err, storage.ErrNotFound):
		writeError(w, http.StatusUnauthorized, "invalid_token", "The registration access token is invalid for this client.")
	default:
		h.serverError(w, r, "register client "+clientID, err)
	}
}

// serverError logs err and answers 503 for a database failure, else 500.
func (h *Handler) serverError(w http.ResponseWriter, r *http.Request, what string, err error) {
	h.o.Logger.ErrorContext(r.Context(), "registration: "+what, "error", err)
	if storage.Failed(err) {
		w.Header().Set("Retry-After", "5")
		writeError(w, http.StatusServiceUnavailable, "temporarily_unavailable", "Try again shortly.")
		return
	}
	writeError(w, http.StatusInternalServerError, "server_error", "The registration failed.")
}

func subtleEqual(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }
