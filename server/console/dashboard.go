package console

import (
	"context"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
)

// recentEvents is how many security events the dashboard lists.
const recentEvents = 10

// Dashboard serves GET /console: counts, the last day's sign-ins as a
// chart, and the most recent security events.
func (h *Handler) Dashboard(w http.ResponseWriter, r *http.Request) {
	a, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	now := h.now()
	counts, err := h.store.Count(ctx, now)
	if err != nil {
		h.kit.ServerError(w, r, "console: count", err)
		return
	}
	since := hourWindow(now)
	hist, err := h.store.CountAuditEvents(ctx, storage.AuditHistogram{
		Types: append(append([]string(nil), successTypes...), failureTypes...), Since: since, Step: time.Hour, Buckets: chartHours,
	})
	if err != nil {
		h.kit.ServerError(w, r, "console: count sign-ins", err)
		return
	}
	events, err := h.store.ListAuditEvents(ctx, storage.AuditFilter{Limit: recentEvents})
	if err != nil {
		h.kit.ServerError(w, r, "console: recent events", err)
		return
	}
	h.pages.Render(w, r, http.StatusOK, tmplDashboard, dashboardPage{
		chrome: h.chrome(w, r, a, "dashboard"),
		Users:  counts.Users, Clients: counts.Clients, Sessions: counts.ActiveSessions,
		Chart:  buildChart(since, sum(hist, successTypes), sum(hist, failureTypes)),
		Events: h.eventRows(ctx, events),
	})
}

// sum adds the histogram's counts of types, bucket by bucket.
func sum(hist map[string][]int64, types []string) []int64 {
	out := make([]int64, chartHours)
	for _, t := range types {
		for i, n := range hist[t] {
			if i < len(out) {
				out[i] += n
			}
		}
	}
	return out
}

// eventRows shows events, details as sorted key=value pairs, users (and
// the acting admin) by email where they still exist.
func (h *Handler) eventRows(ctx context.Context, events []storage.AuditEvent) []eventRow {
	emails := map[string]string{}
	email := func(id string) string {
		if id == "" {
			return ""
		}
		if e, ok := emails[id]; ok {
			return e
		}
		e := ""
		if u, err := h.store.GetUser(ctx, id); err == nil {
			e = u.Email
		}
		emails[id] = e
		return e
	}
	out := make([]eventRow, 0, len(events))
	for _, e := range events {
		keys := make([]string, 0, len(e.Details))
		for k := range e.Details {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		pairs := make([]string, 0, len(keys))
		for _, k := range keys {
			v := e.Details[k]
			if k == "actor" {
				if m := email(v); m != "" {
					v = m
				}
			}
			pairs = append(pairs, k+"="+v)
		}
		out = append(out, eventRow{
			Time: e.Time.UTC().Format("2006-01-02 15:04:05"), Type: e.Type, Outcome: e.Outcome,
			UserID: e.UserID, UserEmail: email(e.UserID), ClientID: e.ClientID, IP: e.IP, Details: strings.Join(pairs, " "),
		})
	}
	return out
}
