package sqlite

// SQLite keeps a statement or savepoint journal in memory up to 64 KiB,
// then in a temporary file. Every transaction after the first of a shared
// commit is a savepoint (shared.go), and a refresh's passes 64 KiB: it
// wrote three times as many pages to that file as to the WAL. A larger
// threshold keeps such journals in memory while a transaction that
// changes many pages (revoking the tokens of a subject with millions of
// rotated refresh rows) still spills to disk, which temp_store MEMORY
// (every journal in memory, whatever its size) would not. Per refresh at
// c=64: 25 instead of 37 pwrite calls, 8 % less CPU. go-sqlite3 does not
// expose the setting, and SQLite takes it only before it initializes,
// which the first connection does: it is set when this package
// initializes.

/*
extern int sqlite3_config(int, ...);

static int gatehouse_stmtjrnl_spill(int n) {
	return sqlite3_config(26, n); // SQLITE_CONFIG_STMTJRNL_SPILL
}
*/
import "C"

// journalSpill is the size past which a statement or savepoint journal
// goes to a temporary file.
const journalSpill = 4 << 20

// spillConfigured is SQLite's answer to setting journalSpill: 0 (SQLITE_OK)
// when it took it.
var spillConfigured = int(C.gatehouse_stmtjrnl_spill(C.int(journalSpill)))
