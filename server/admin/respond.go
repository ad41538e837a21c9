package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/gatehouse-id/gatehouse/accounts"
	"github.com/gatehouse-id/gatehouse/clients"
	"github.com/gatehouse-id/gatehouse/manage"
	"github.com/gatehouse-id/gatehouse/storage"
)

// maxLimit is the largest page size a listing accepts.
const maxLimit = 1000

// writeJSON sends v as the JSON body with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError sends {"error": code, "error_description": description}.
func writeError(w http.ResponseWriter, status int, code, description string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": description})
}

func badRequest(w http.ResponseWriter, description string) {
	writeError(w, http.StatusBadRequest, "invalid_request", description)
}

// fail answers err from a manage, accounts, clients or storage call:
// refused input is 400, an unknown id 404, a taken email or id, a change
// to a client declared in the configuration file and a change that would
// lock the admin out 409, anything else 500.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, what string, err error) {
	switch {
	case errors.Is(err, storage.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", "There is no such "+what+".")
	case errors.Is(err, accounts.ErrEmailTaken), errors.Is(err, clients.ErrExists), errors.Is(err, storage.ErrAlreadyExists):
		writeError(w, http.StatusConflict, "conflict", "A "+what+" with this identifier already exists.")
	case errors.Is(err, clients.ErrConfigManaged):
		writeError(w, http.StatusConflict, "config_managed", "This client is declared in the configuration file (clients:); change it there.")
	case errors.Is(err, manage.ErrSelf):
		writeError(w, http.StatusConflict, "conflict", "An admin cannot remove their own admin role, disable or delete themselves.")
	case errors.Is(err, manage.ErrLastAdmin):
		writeError(w, http.StatusConflict, "conflict", "This is the last enabled admin; make another user an admin first.")
	case errors.Is(err, storage.ErrInvalid):
		badRequest(w, "Text fields must be valid UTF-8 without NUL characters.")
	case errors.Is(err, clients.ErrInvalid), errors.Is(err, accounts.ErrInvalidEmail), errors.Is(err, accounts.ErrInvalidRole),
		errors.Is(err, accounts.ErrNameRequired), errors.Is(err, accounts.ErrNameInvalid), errors.Is(err, accounts.ErrNameTooLong),
		errors.Is(err, accounts.ErrPasswordTooShort), errors.Is(err, accounts.ErrPasswordTooLong):
		badRequest(w, reason(err))
	default:
		h.serverError(w, r, what, err)
	}
}

// reason is the sentence of a validation error, without the package
// prefix.
func reason(err error) string {
	return strings.TrimPrefix(err.Error(), "accounts: ")
}

func (h *Handler) serverError(w http.ResponseWriter, r *http.Request, what string, err error) {
	if storage.Failed(err) {
		// The database failed: not the caller's fault, and worth a retry.
		h.faults.Report(r.Context(), "admin", "admin API: "+what, err)
		w.Header().Set("Retry-After", "5")
		writeError(w, http.StatusServiceUnavailable, "temporarily_unavailable", "The database is unavailable; try again shortly.")
		return
	}
	h.logger.ErrorContext(r.Context(), "admin API failed", "method", r.Method, "path", r.URL.Path, "what", what, "error", err)
	writeError(w, http.StatusInternalServerError, "server_error", "The request could not be completed.")
}

// decode reads the request's JSON object into v, refusing other content
// types, unknown fields and trailing data. It answers the error itself
// and returns false.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, "invalid_request", "Send a JSON object with Content-Type: application/json.")
		return false
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.Decode(&struct{}{}) != io.EOF {
		err = errors.New("trailing data after the JSON object")
	}
	if err == nil {
		return true
	}
	var typeErr *json.UnmarshalTypeError
	var maxErr *http.MaxBytesError
	switch {
	case errors.As(err, &maxErr):
		writeError(w, http.StatusRequestEntityTooLarge, "invalid_request", "The request body is too large.")
	case errors.As(err, &typeErr) && typeErr.Field != "":
		badRequest(w, fmt.Sprintf("The field %q has the wrong type.", typeErr.Field))
	case errors.Is(err, io.EOF):
		badRequest(w, "The request body is empty; send a JSON object.")
	default:
		if f, ok := unknownField(err); ok {
			badRequest(w, fmt.Sprintf("Unknown field %s.", f))
			return false
		}
		badRequest(w, "The request body is not a valid JSON object.")
	}
	return false
}

// unknownField extracts the field name of encoding/json's unknown-field
// error, which has no type of its own.
func unknownField(err error) (string, bool) {
	const p = "json: unknown field "
	return strings.CutPrefix(err.Error(), p)
}

// page reads ?limit= (1 to 1000, default 100) and ?offset= (0 or more).
func page(w http.ResponseWriter, r *http.Request) (limit, offset int, ok bool) {
	q := r.URL.Query()
	limit, offset = 100, 0
	for _, p := range []struct {
		name     string
		dst      *int
		min, max int
	}{{"limit", &limit, 1, maxLimit}, {"offset", &offset, 0, 1 << 30}} {
		raw := q.Get(p.name)
		if raw == "" {
			continue
		}
		n, err := strconv.Atoi(raw)
		if err != nil || n < p.min || n > p.max {
			badRequest(w, fmt.Sprintf("%s must be a whole number from %d to %d.", p.name, p.min, p.max))
			return 0, 0, false
		}
		*p.dst = n
	}
	return limit, offset, true
}
