package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/gatehouse-id/gatehouse/server"
	"github.com/gatehouse-id/gatehouse/storage/transfer"
)

// cmdMigrateData copies users, clients, consents, identities and keys from
// one database to another (e.g. SQLite to PostgreSQL). It needs no
// configuration: the two DSNs are flags. The target is migrated first.
func cmdMigrateData(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("migrate-data", flag.ContinueOnError)
	from := fs.String("from", "", "source database DSN (sqlite:///path.db, a path, or postgres://…)")
	to := fs.String("to", "", "target database DSN")
	allow := fs.Bool("allow-non-empty", false, "copy into a target that already has users, clients or keys (existing rows are kept)")
	if err := parse(fs, args); err != nil {
		return fail(stderr, err)
	}
	switch {
	case *from == "" || *to == "":
		return fail(stderr, errors.New("migrate-data: --from and --to are required"))
	case *from == *to:
		return fail(stderr, errors.New("migrate-data: --from and --to name the same database"))
	}
	if !strings.Contains(*from, "://") || strings.HasPrefix(*from, "sqlite://") {
		// Opening a missing SQLite file would create it: a typo would
		// copy nothing and succeed.
		if _, err := os.Stat(server.SQLitePath(*from)); err != nil {
			return fail(stderr, fmt.Errorf("migrate-data: source: %w", err))
		}
	}
	pool := server.Defaults().DatabasePool
	src, err := server.OpenStore(ctx, *from, pool)
	if err != nil {
		return fail(stderr, fmt.Errorf("migrate-data: source: %w", err))
	}
	defer src.Close()
	dst, err := server.OpenStore(ctx, *to, pool)
	if err != nil {
		return fail(stderr, fmt.Errorf("migrate-data: target: %w", err))
	}
	defer dst.Close()
	st, err := transfer.Copy(ctx, src, dst, transfer.Options{IntoNonEmpty: *allow})
	if errors.Is(err, transfer.ErrTargetNotEmpty) {
		err = fmt.Errorf("%w; pass --allow-non-empty to copy into it anyway", err)
	}
	if err != nil {
		return fail(stderr, fmt.Errorf("migrate-data: %w", err))
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(st); err != nil {
		return fail(stderr, err)
	}
	return 0
}
