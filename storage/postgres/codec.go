package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// Column encodings: timestamptz truncated to the microsecond, optional
// times NULL when zero, string lists as text[] (never NULL). Plus the row
// helpers that every file shares.

// toTime encodes a time as PostgreSQL stores it: UTC, whole microseconds.
func toTime(t time.Time) time.Time { return time.UnixMicro(t.UnixMicro()).UTC() }

// toOptTime encodes an optional time: NULL when zero.
func toOptTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return toTime(t)
}

// fromTime decodes a timestamptz to UTC.
func fromTime(t time.Time) time.Time { return t.UTC() }

// fromOptTime decodes an optional time: the zero time for NULL.
func fromOptTime(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// toList encodes a string list: an empty array for nil, since pgx sends a
// nil slice as NULL.
func toList(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

// fromList decodes a text[]: an empty array gives nil.
func fromList(v []string) []string {
	if len(v) == 0 {
		return nil
	}
	return v
}

// queryAll runs a query on q and scans every row with scan.
func queryAll[T any](ctx context.Context, q querier, scan func(pgx.Row) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.Query(ctx, query, args...)
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
