package mail

import (
	"context"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFileDriverAlternativeParts: a message with an HTML body is written as
// multipart/alternative, plain text first and HTML last, each part holding
// the absolute link as is (readable and followable from the .eml).
func TestFileDriverAlternativeParts(t *testing.T) {
	dir := t.TempDir()
	s, err := New(Config{Driver: "file", Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	html := `<p><a href="` + link + `">Reset your password</a></p>`
	if err := s.Send(context.Background(), Message{To: "alice@example.com", Subject: "Reset", Text: "Open " + link + "\n", HTML: html}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.eml"))
	if err != nil || len(files) != 1 {
		t.Fatalf("files %v (%v), want 1 .eml file", files, err)
	}
	raw, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	msg, err := mail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatalf("not an RFC 5322 message: %v\n%s", err, raw)
	}
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/alternative" {
		t.Fatalf("Content-Type %q (%v), want multipart/alternative", msg.Header.Get("Content-Type"), err)
	}
	parts := multipart.NewReader(msg.Body, params["boundary"])
	for _, want := range []struct{ typ, body string }{
		{"text/plain", "Open " + link},
		{"text/html", `href="` + link + `"`},
	} {
		p, err := parts.NextPart()
		if err != nil {
			t.Fatalf("want a %s part: %v", want.typ, err)
		}
		if typ, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type")); typ != want.typ {
			t.Errorf("part Content-Type %q, want %s", typ, want.typ)
		}
		body, err := io.ReadAll(p)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(body), want.body) {
			t.Errorf("%s part lacks %q as is:\n%s", want.typ, want.body, body)
		}
	}
	if _, err := parts.NextPart(); err != io.EOF {
		t.Errorf("want exactly two parts, next: %v", err)
	}
}
