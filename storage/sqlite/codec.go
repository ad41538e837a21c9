package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// Column encodings: times as INTEGER Unix microseconds (UTC), optional times
// NULL when zero, string lists as JSON arrays. Plus the row helpers that
// every file shares.

// toTime encodes a time as Unix microseconds.
func toTime(t time.Time) int64 { return t.UnixMicro() }

// toOptTime encodes an optional time: NULL when zero.
func toOptTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// fromTime decodes Unix microseconds to a UTC time.
func fromTime(us int64) time.Time { return time.UnixMicro(us).UTC() }

// fromOptTime decodes an optional time: the zero time for NULL.
func fromOptTime(us sql.NullInt64) time.Time {
	if !us.Valid {
		return time.Time{}
	}
	return fromTime(us.Int64)
}

// scanner is what *sql.Row and *sql.Rows have in common.
type scanner interface {
	Scan(dest ...any) error
}

// toList encodes a string list as a JSON array ("[]" for nil).
func toList(v []string) string {
	if len(v) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(v) // a []string always marshals
	return string(b)
}

// fromList decodes a JSON array; an empty array gives nil.
func fromList(s string) ([]string, error) {
	var v []string
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return nil, fmt.Errorf("sqlite: decode list %q: %w", s, err)
	}
	if len(v) == 0 {
		return nil, nil
	}
	return v, nil
}

// queryAll runs a query on q and scans every row with scan.
func queryAll[T any](ctx context.Context, q querier, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, mapErr(err)
	}
	return out, nil
}
