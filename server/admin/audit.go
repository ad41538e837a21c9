package admin

import (
	"net/http"
	"time"

	"github.com/gatehouse-id/gatehouse/manage"
	"github.com/gatehouse-id/gatehouse/storage"
)

// ListAudit answers GET /admin/audit?type=&user=&client=&since=&until=&limit=&offset=,
// newest first; since (inclusive) and until (exclusive) are RFC 3339 times.
func (h *Handler) ListAudit(w http.ResponseWriter, r *http.Request) {
	limit, offset, ok := page(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	f := storage.AuditFilter{Type: q.Get("type"), UserID: q.Get("user"), ClientID: q.Get("client"), Limit: limit, Offset: offset}
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		raw := q.Get(p.name)
		if raw == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, raw)
		if err != nil {
			badRequest(w, p.name+" must be an RFC 3339 time, such as 2026-01-02T15:04:05Z.")
			return
		}
		*p.dst = t.UTC()
	}
	list, err := h.store.ListAuditEvents(r.Context(), f)
	if err != nil {
		h.serverError(w, r, "list audit events", err)
		return
	}
	out := make([]manage.EventView, 0, len(list))
	for _, e := range list {
		out = append(out, manage.ViewEvent(e))
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": out, "limit": limit, "offset": offset})
}
