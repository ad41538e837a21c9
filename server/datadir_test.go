package server

import (
	"path/filepath"
	"testing"
)

// TestDefaultMailDir: dev mail goes into gatehouse-data/mail beside the
// SQLite database, never into a source tree's mail/ package.
func TestDefaultMailDir(t *testing.T) {
	for _, tc := range []struct{ database, want string }{
		{"gatehouse.db", filepath.Join(DataDirName, "mail")},
		{"/var/lib/g/gatehouse.db", "/var/lib/g/" + DataDirName + "/mail"},
		{"sqlite:///srv/a.db", "/srv/" + DataDirName + "/mail"},
		{"postgres://u:p@db/g", filepath.Join(DataDirName, "mail")},
	} {
		if got := DefaultMailDir(tc.database); got != tc.want {
			t.Errorf("DefaultMailDir(%q) = %q, want %q", tc.database, got, tc.want)
		}
	}
	cfg, err := LoadConfig("", func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(DataDirName, "mail"); cfg.Mail.Dir != want {
		t.Errorf("dev mail.dir = %q, want %q", cfg.Mail.Dir, want)
	}
}
