package web

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMailTemplatesRenderBothParts(t *testing.T) {
	r, err := NewRenderer("")
	if err != nil {
		t.Fatal(err)
	}
	link := "https://id.example/reset-password?token=abc"
	for _, name := range mailNames {
		t.Run(name, func(t *testing.T) {
			text, html, err := r.renderMail(name, mailData{Link: link, Expires: "1 hour"})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(text, "Hello,\n\n") || !strings.Contains(text, "\n"+link+"\n") {
				t.Errorf("text part lacks the greeting or the link on its own line:\n%s", text)
			}
			if !strings.Contains(html, `href="`+link+`"`) {
				t.Errorf("html part lacks the link:\n%s", html)
			}
		})
	}
}

func TestMailTemplateOverride(t *testing.T) {
	dir := copyTemplates(t, "", nil)
	if err := os.MkdirAll(filepath.Join(dir, "mail"), 0o700); err != nil {
		t.Fatal(err)
	}
	custom := "Custom reset for {{.Link}}\n"
	if err := os.WriteFile(filepath.Join(dir, "mail", mailPasswordReset+".txt"), []byte(custom), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := NewRenderer(dir)
	if err != nil {
		t.Fatal(err)
	}
	text, html, err := r.renderMail(mailPasswordReset, mailData{Link: "https://x/y"})
	if err != nil {
		t.Fatal(err)
	}
	if text != "Custom reset for https://x/y\n" {
		t.Errorf("override not used: %q", text)
	}
	if !strings.Contains(html, `href="https://x/y"`) {
		t.Errorf("the html part should still come from the embedded template: %q", html)
	}
	// Other mails keep the embedded templates.
	if text, _, _ := r.renderMail(mailEmailVerification, mailData{Link: "https://x/v"}); !strings.Contains(text, "confirm your email") {
		t.Errorf("verification mail changed: %q", text)
	}

	// A broken override fails at start.
	if err := os.WriteFile(filepath.Join(dir, "mail", mailAccountExists+".html"), []byte("{{.Nope"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := NewRenderer(dir); err == nil {
		t.Error("NewRenderer accepted a broken mail template")
	}
}
