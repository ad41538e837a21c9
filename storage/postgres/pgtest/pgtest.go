// Package pgtest gives tests a PostgreSQL database of their own: a fresh
// schema in the server that GATEHOUSE_TEST_POSTGRES names, dropped when the
// test ends. Without the variable the test is skipped, except under CI=true,
// where it fails: CI must run every test.
package pgtest

import (
	"context"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-id/gatehouse/secret"
)

// EnvVar names the environment variable holding the test server's DSN,
// e.g. postgres://postgres@127.0.0.1:5432/gatehouse_test?sslmode=disable.
const EnvVar = "GATEHOUSE_TEST_POSTGRES"

// BaseDSN returns the test server's DSN, skipping t when none is set (and
// failing it under CI=true).
func BaseDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(EnvVar)
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set: CI must provide a PostgreSQL server (see .ci/run)", EnvVar)
		}
		t.Skipf("%s is not set: skipping the PostgreSQL test", EnvVar)
	}
	return dsn
}

// DSN creates an empty schema for t and returns a DSN whose search_path is
// that schema. The schema is dropped, with everything in it, when t ends;
// close stores opened on it before (register their cleanup after calling
// DSN, as cleanups run last-in first-out).
func DSN(t testing.TB) string {
	t.Helper()
	base := BaseDSN(t)
	schema := "gh_test_" + strings.ToLower(secret.Token(8))
	schema = strings.Map(func(r rune) rune {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '_' {
			return r
		}
		return '_'
	}, schema)
	exec(t, base, `CREATE SCHEMA `+schema)
	t.Cleanup(func() { exec(t, base, `DROP SCHEMA `+schema+` CASCADE`) })
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("pgtest: %s is not a URL: %v", EnvVar, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// exec runs one statement on its own connection.
func exec(t testing.TB, dsn, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("pgtest: connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("pgtest: %s: %v", sql, err)
	}
}
