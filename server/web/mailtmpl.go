package web

import (
	"bytes"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	texttemplate "text/template"

	"github.com/gatehouse-id/gatehouse/templates"
)

// Mail template names: templates/mail/<name>.txt and <name>.html.
const (
	mailPasswordReset     = "password_reset"
	mailEmailVerification = "email_verification"
	mailAccountExists     = "account_exists"
)

// mailNames lists every mail a renderer needs.
var mailNames = []string{mailPasswordReset, mailEmailVerification, mailAccountExists, mailSecurityChange}

// mailData is what a mail template sees. Link is the absolute URL the
// mail is about. It does not name the person: a name is whatever was
// typed at registration, possibly by someone else than the owner of the
// address, and would let them put their words into a mail from this
// server.
type mailData struct {
	Product string
	Link    string
	Expires string // the link's lifetime in words; "" when it has none
	// Change says what changed (security_change), in fixed words.
	Change string
}

// mailTemplate is one message's two parts.
type mailTemplate struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

// parseMails parses every mail template, each file from override when it
// has one (an operator's templates directory, under mail/), else the
// embedded one, and dry-runs it so a broken template fails at start.
func parseMails(override fs.FS) (map[string]mailTemplate, error) {
	pick := func(name string) fs.FS {
		if override != nil {
			if _, err := fs.Stat(override, name); err == nil {
				return override
			}
		}
		return templates.Mail
	}
	sample := mailData{Product: DefaultBranding.ProductName, Link: "https://id.example/x?token=t", Expires: "1 hour", Change: "x"}
	out := make(map[string]mailTemplate, len(mailNames))
	for _, name := range mailNames {
		txt, html := "mail/"+name+".txt", "mail/"+name+".html"
		var m mailTemplate
		var err error
		if m.text, err = texttemplate.ParseFS(pick(txt), txt); err != nil {
			return nil, fmt.Errorf("web: parse %s: %w", txt, err)
		}
		if m.html, err = htmltemplate.ParseFS(pick(html), html); err != nil {
			return nil, fmt.Errorf("web: parse %s: %w", html, err)
		}
		if _, _, err := m.render(sample); err != nil {
			return nil, fmt.Errorf("web: dry run of mail %s: %w", name, err)
		}
		out[name] = m
	}
	return out, nil
}

// render returns the plain-text and HTML parts for d.
func (m mailTemplate) render(d mailData) (text, html string, err error) {
	var t, h bytes.Buffer
	if err := m.text.Execute(&t, d); err != nil {
		return "", "", fmt.Errorf("text part: %w", err)
	}
	if err := m.html.Execute(&h, d); err != nil {
		return "", "", fmt.Errorf("html part: %w", err)
	}
	return t.String(), h.String(), nil
}

// renderMail renders the mail name for d with r's branding.
func (r *Renderer) renderMail(name string, d mailData) (text, html string, err error) {
	m, ok := r.mails[name]
	if !ok {
		return "", "", errors.New("web: no mail template " + name)
	}
	d.Product = r.brand.ProductName
	return m.render(d)
}
