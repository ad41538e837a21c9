package sqlutil

import (
	"strings"
	"unicode/utf8"

	"github.com/gatehouse-id/gatehouse/storage"
)

// ValidText reports whether s can be stored as text by every backend:
// valid UTF-8 without NUL bytes (PostgreSQL refuses both).
func ValidText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// CleanText returns s as ValidText: invalid bytes become U+FFFD and NUL
// bytes are dropped. For text that must be kept whatever a client sent
// (audit events, a session's user agent).
func CleanText(s string) string {
	if ValidText(s) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
}

// NullInvalidText returns args with every string that is not ValidText
// (and, with lists, every []string holding one) replaced by nil, so that
// the backends treat such text alike: a NULL compared in a WHERE clause
// matches no row (a lookup finds nothing, an update or delete changes
// nothing) and a NULL written to a column, all of which are NOT NULL,
// fails with a not-null violation, which the backends report as
// storage.ErrInvalid. args is returned as is when every value is valid.
func NullInvalidText(args []any, lists bool) []any {
	var out []any
	for i, a := range args {
		bad := false
		switch v := a.(type) {
		case string:
			bad = !ValidText(v)
		case []string:
			if lists {
				for _, e := range v {
					if !ValidText(e) {
						bad = true
						break
					}
				}
			}
		}
		if !bad {
			continue
		}
		if out == nil {
			out = append([]any(nil), args...)
		}
		out[i] = nil
	}
	if out == nil {
		return args
	}
	return out
}

// CleanAuditEvent returns e with every text field CleanText'ed: an audit
// event is stored whatever a client sent (a user agent, an attempted
// email), never refused.
func CleanAuditEvent(e storage.AuditEvent) storage.AuditEvent {
	for _, f := range []*string{&e.Type, &e.Outcome, &e.UserID, &e.ClientID, &e.IP, &e.UserAgent} {
		*f = CleanText(*f)
	}
	if len(e.Details) > 0 {
		d := make(map[string]string, len(e.Details))
		for k, v := range e.Details {
			d[CleanText(k)] = CleanText(v)
		}
		e.Details = d
	}
	return e
}
