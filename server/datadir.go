package server

import (
	"path/filepath"
	"strings"
)

// DataDirName is the directory, beside a SQLite database (in the working
// directory on PostgreSQL), where a node keeps files of its own: the file
// driver's mail unless mail.dir says otherwise. It keeps them out of a
// source tree the server happens to run in.
const DataDirName = "gatehouse-data"

// DefaultMailDir is where the file mail driver writes without mail.dir:
// gatehouse-data/mail beside the SQLite database, or in the working
// directory for a server database.
func DefaultMailDir(database string) string {
	dir := "."
	if database != "" && (!strings.Contains(database, "://") || strings.HasPrefix(database, "sqlite://")) {
		dir = filepath.Dir(SQLitePath(database))
	}
	return filepath.Join(dir, DataDirName, "mail")
}
