// Package sqlutil holds what the SQL backends (storage/sqlite,
// storage/postgres) share: listing bounds, substring patterns and the
// loading of numbered, embedded migrations.
package sqlutil

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse/storage"
)

// Listing bounds: the page size when none is asked for, and the largest.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// Page returns the LIMIT and OFFSET for opts.
func Page(opts storage.ListOptions) (limit, offset int) {
	limit = opts.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxLimit)
	return limit, max(opts.Offset, 0)
}

// LikePattern is a LIKE / ILIKE pattern (escape character '\') matching s
// as a substring.
func LikePattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(s) + "%"
}

// Migration is one numbered schema change.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// LoadMigrations reads the files NNNN_name.sql in dir of fsys, ordered by
// version. A misnamed file, a shared version or an empty directory is an
// error.
func LoadMigrations(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var ms []Migration
	seen := map[int]string{}
	for _, e := range entries {
		name := e.Name()
		num, _, ok := strings.Cut(name, "_")
		version, err := strconv.Atoi(num)
		if !ok || err != nil || version <= 0 || !strings.HasSuffix(name, ".sql") {
			return nil, fmt.Errorf("migration %q: name must be NNNN_name.sql", name)
		}
		if other, dup := seen[version]; dup {
			return nil, fmt.Errorf("migrations %q and %q share version %d", other, name, version)
		}
		seen[version] = name
		body, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("read migration %q: %w", name, err)
		}
		ms = append(ms, Migration{Version: version, Name: name, SQL: string(body)})
	}
	if len(ms) == 0 {
		return nil, errors.New("no migrations embedded")
	}
	slices.SortFunc(ms, func(a, b Migration) int { return cmp.Compare(a.Version, b.Version) })
	return ms, nil
}

// AuditQuery builds the SELECT of ListAuditEvents: the given columns of
// audit_events matching f, newest first, paged. placeholder(n) is the
// backend's nth parameter marker ("?" or "$n"); encodeTime turns a time
// into the backend's column value.
func AuditQuery(columns string, f storage.AuditFilter, placeholder func(n int) string, encodeTime func(time.Time) any) (string, []any) {
	var (
		where []string
		args  []any
	)
	add := func(cond string, arg any) {
		args = append(args, arg)
		where = append(where, cond+placeholder(len(args)))
	}
	if f.Type != "" {
		add("type = ", f.Type)
	}
	if f.UserID != "" {
		add("user_id = ", f.UserID)
	}
	if f.ClientID != "" {
		add("client_id = ", f.ClientID)
	}
	if !f.Since.IsZero() {
		add("time >= ", encodeTime(f.Since))
	}
	if !f.Until.IsZero() {
		add("time < ", encodeTime(f.Until))
	}
	q := `SELECT ` + columns + ` FROM audit_events`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	limit, offset := Page(storage.ListOptions{Limit: f.Limit, Offset: f.Offset})
	args = append(args, limit, offset)
	q += ` ORDER BY time DESC, id DESC LIMIT ` + placeholder(len(args)-1) + ` OFFSET ` + placeholder(len(args))
	return q, args
}

// EncodeDetails encodes an audit event's details as a JSON object ("{}"
// when there are none).
func EncodeDetails(d map[string]string) string {
	if len(d) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(d) // a map[string]string always marshals
	return string(b)
}

// DecodeDetails decodes EncodeDetails's output; an empty object gives nil.
func DecodeDetails(raw []byte) (map[string]string, error) {
	var d map[string]string
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, fmt.Errorf("decode audit details: %w", err)
	}
	if len(d) == 0 {
		return nil, nil
	}
	return d, nil
}
