package manage

import (
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
)

// EventView is how an audit event is shown: by the admin API's
// GET /admin/audit and as one line of the console's JSON-lines download.
type EventView struct {
	ID        int64             `json:"id"`
	Time      time.Time         `json:"time"`
	Type      string            `json:"type"`
	Outcome   string            `json:"outcome"`
	UserID    string            `json:"user_id,omitempty"`
	ClientID  string            `json:"client_id,omitempty"`
	IP        string            `json:"ip,omitempty"`
	UserAgent string            `json:"user_agent,omitempty"`
	Details   map[string]string `json:"details,omitempty"`
}

// ViewEvent returns the view of e.
func ViewEvent(e storage.AuditEvent) EventView { return EventView(e) }
