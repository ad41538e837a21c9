package templates_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/gatehouse-id/gatehouse/templates"
)

func TestOverlay(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "login.html"), []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "error.html"), 0o700); err != nil { // unreadable as a file
		t.Fatal(err)
	}
	fsys := templates.Overlay(os.DirFS(dir))

	if b, err := fs.ReadFile(fsys, "login.html"); err != nil || string(b) != "mine" {
		t.Errorf("login.html = %q, %v; want the operator's file", b, err)
	}
	want, _ := fs.ReadFile(templates.FS, "consent.html")
	if b, err := fs.ReadFile(fsys, "consent.html"); err != nil || string(b) != string(want) {
		t.Errorf("consent.html = %d bytes, %v; want the embedded one", len(b), err)
	}
	if _, err := fs.ReadFile(fsys, "error.html"); err == nil {
		t.Error("a broken operator file was hidden behind the embedded one")
	}
	if _, err := fs.ReadFile(fsys, "nothing.html"); err == nil {
		t.Error("a file in neither layer was found")
	}
}
