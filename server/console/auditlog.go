package console

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/manage"
	"github.com/gatehouse-id/gatehouse/storage"
)

// maxExport bounds one download of the audit log; narrow the filters
// (time range) for more.
const maxExport = 100000

// exportPage is how many events the download reads at a time.
const exportPage = 1000

// msgBadTime is shown for a time filter that does not parse.
const msgBadTime = "Write times like 2026-01-02T15:04 (UTC)."

// Audit serves GET /console/audit?type=&user=&client=&since=&until=&page=:
// the audit log, newest first, filtered; user is an id or an email.
func (h *Handler) Audit(w http.ResponseWriter, r *http.Request) {
	a, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	page := auditPage{
		chrome: h.chrome(w, r, a, "audit"), Types: audit.KnownTypes,
		Type: q.Get("type"), User: q.Get("user"), Client: q.Get("client"), Since: q.Get("since"), Until: q.Get("until"),
	}
	f, err := h.auditFilter(r)
	if errors.Is(err, errBadTime) {
		page.Error = msgBadTime
		h.pages.Render(w, r, http.StatusBadRequest, tmplAudit, page)
		return
	}
	if err != nil {
		h.kit.ServerError(w, r, "console: audit filter", err)
		return
	}
	n := pageNumber(r)
	f.Limit, f.Offset = pageSize+1, (n-1)*pageSize
	events, err := h.store.ListAuditEvents(r.Context(), f)
	if err != nil {
		h.kit.ServerError(w, r, "console: list audit events", err)
		return
	}
	page.Events = h.eventRows(r.Context(), events[:min(len(events), pageSize)])
	page.Pager = makePager(r, n, len(events) > pageSize)
	exp := url.Values{}
	for _, k := range []string{"type", "user", "client", "since", "until"} {
		if v := q.Get(k); v != "" {
			exp.Set(k, v)
		}
	}
	page.Download = Path + "/audit/export"
	if len(exp) > 0 {
		page.Download += "?" + exp.Encode()
	}
	h.pages.Render(w, r, http.StatusOK, tmplAudit, page)
}

// ExportAudit serves GET /console/audit/export with the filters of
// Audit: the matching events, newest first, as JSON lines (one
// manage.EventView per line, as the admin API shows them), at most
// maxExport.
func (h *Handler) ExportAudit(w http.ResponseWriter, r *http.Request) {
	if _, ok := h.signedIn(w, r); !ok {
		return
	}
	f, err := h.auditFilter(r)
	if errors.Is(err, errBadTime) {
		http.Error(w, msgBadTime, http.StatusBadRequest)
		return
	}
	if err != nil {
		h.kit.ServerError(w, r, "console: audit filter", err)
		return
	}
	// The first page before any byte is written: a failure is still a
	// clean error page.
	f.Limit = exportPage
	events, err := h.store.ListAuditEvents(r.Context(), f)
	if err != nil {
		h.kit.ServerError(w, r, "console: export audit events", err)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/x-ndjson")
	hd.Set("Content-Disposition", `attachment; filename="gatehouse-audit-`+h.now().UTC().Format("20060102-150405")+`.jsonl"`)
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	enc := json.NewEncoder(w)
	for sent := 0; len(events) > 0 && sent < maxExport; {
		for _, e := range events {
			if err := enc.Encode(manage.ViewEvent(e)); err != nil {
				return // the client went away
			}
		}
		sent += len(events)
		if len(events) < exportPage {
			return
		}
		f.Offset += exportPage
		if events, err = h.store.ListAuditEvents(r.Context(), f); err != nil {
			// Headers are out: the download ends short, logged.
			h.logger.ErrorContext(r.Context(), "console: export audit events", "err", err)
			return
		}
	}
}

var errBadTime = errors.New("console: bad time filter")

// auditFilter reads the audit filters of the query: type, user (an id,
// or an email looked up), client, since and until (UTC).
func (h *Handler) auditFilter(r *http.Request) (storage.AuditFilter, error) {
	q := r.URL.Query()
	f := storage.AuditFilter{Type: strings.TrimSpace(q.Get("type")), UserID: strings.TrimSpace(q.Get("user")), ClientID: strings.TrimSpace(q.Get("client"))}
	if strings.Contains(f.UserID, "@") {
		u, err := h.store.GetUserByEmail(r.Context(), f.UserID)
		switch {
		case err == nil:
			f.UserID = u.ID
		case !errors.Is(err, storage.ErrNotFound):
			return f, err
		}
		// An unknown email stays as it is: it matches no event.
	}
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		raw := strings.TrimSpace(q.Get(p.name))
		if raw == "" {
			continue
		}
		t, ok := parseTime(raw)
		if !ok {
			return f, errBadTime
		}
		*p.dst = t
	}
	return f, nil
}

// parseTime reads a time filter: an RFC 3339 time, or a date and time
// (what a datetime-local field sends) or a date taken as UTC.
func parseTime(s string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), true
	}
	for _, layout := range []string{filterTimeForm, "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
