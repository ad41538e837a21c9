package mail

import (
	"context"
	"io"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse/mail/smtptest"
)

const link = "https://id.example.com/reset-password?token=abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

func TestFileDriver(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "outbox", "nested")
	s, err := New(Config{Driver: "file", Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := s.Send(context.Background(), Message{To: "alice@example.com", Subject: "Reset your password", Text: "Open " + link + "\n"}); err != nil {
			t.Fatalf("Send: %v", err)
		}
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.eml"))
	if err != nil || len(files) != 2 {
		t.Fatalf("files %v (%v), want 2 .eml files", files, err)
	}
	raw, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	msg, err := mail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatalf("not an RFC 5322 message: %v\n%s", err, raw)
	}
	if got := msg.Header.Get("To"); !strings.Contains(got, "alice@example.com") {
		t.Errorf("To %q", got)
	}
	if got := msg.Header.Get("Subject"); got != "Reset your password" {
		t.Errorf("Subject %q", got)
	}
	if !strings.Contains(msg.Header.Get("From"), "no-reply@localhost") {
		t.Errorf("From %q, want the default", msg.Header.Get("From"))
	}
	if !strings.Contains(string(raw), link) {
		t.Errorf("the link is not in the file as is:\n%s", raw)
	}
	if info, err := os.Stat(files[0]); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v (%v), want 0600", info.Mode(), err)
	}
}

func TestRejectsHeaderInjection(t *testing.T) {
	s, _ := New(Config{Driver: "file", Dir: t.TempDir()})
	for _, m := range []Message{
		{To: "a@example.com\r\nBcc: evil@example.com", Subject: "x", Text: "x"},
		{To: "a@example.com", Subject: "x\r\nBcc: evil@example.com", Text: "x"},
		{To: "not an address", Subject: "x", Text: "x"},
	} {
		if err := s.Send(context.Background(), m); err == nil {
			t.Errorf("Send(%q, %q) accepted", m.To, m.Subject)
		}
	}
}

func TestSMTPDriver(t *testing.T) {
	srv := smtptest.Start(t)
	s, err := New(Config{Driver: "smtp", Host: srv.Host, Port: srv.Port, From: "Gatehouse <id@example.com>", StartTLS: "off"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), Message{To: "bob@example.com", Subject: "Hello", Text: "Open " + link + "\n"}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := <-srv.Messages
	if got.From != "id@example.com" || len(got.To) != 1 || got.To[0] != "bob@example.com" {
		t.Errorf("envelope from %q to %v", got.From, got.To)
	}
	msg, err := mail.ReadMessage(strings.NewReader(got.Data))
	if err != nil {
		t.Fatalf("not a message: %v", err)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(body), link) {
		t.Errorf("body lacks the link:\n%s", body)
	}

	t.Run("mandatory STARTTLS refuses a server without it", func(t *testing.T) {
		s, err := New(Config{Driver: "smtp", Host: srv.Host, Port: srv.Port, From: "id@example.com", StartTLS: "mandatory"})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Send(context.Background(), Message{To: "bob@example.com", Subject: "x", Text: "x"}); err == nil {
			t.Fatal("sent in clear text despite starttls: mandatory")
		}
		select {
		case m := <-srv.Messages:
			t.Errorf("server received %v", m)
		default:
		}
	})
	t.Run("unreachable server is an error", func(t *testing.T) {
		s, _ := New(Config{Driver: "smtp", Host: "127.0.0.1", Port: 1, From: "id@example.com", StartTLS: "off"})
		if err := s.Send(context.Background(), Message{To: "bob@example.com", Subject: "x", Text: "x"}); err == nil {
			t.Fatal("no error")
		}
	})
}

func TestNewRejectsBadConfig(t *testing.T) {
	for _, c := range []Config{{Driver: "pigeon"}, {Driver: "file"}, {Driver: "smtp", Host: "h", StartTLS: "maybe"}} {
		if _, err := New(c); err == nil {
			t.Errorf("New(%+v) accepted", c)
		}
	}
}
