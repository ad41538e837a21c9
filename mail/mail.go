// Package mail sends Gatehouse's messages (password reset, email
// verification) through one of two drivers: smtp, a real SMTP submission
// with STARTTLS, or file, which writes each message as an .eml file for
// development and tests.
//
// The SMTP side uses github.com/wneessen/go-mail: it is maintained, has no
// dependencies beyond golang.org/x, speaks STARTTLS with a mandatory or
// opportunistic policy, negotiates SMTP AUTH (PLAIN, LOGIN, CRAM-MD5,
// SCRAM) and builds correctly encoded MIME, which net/smtp (frozen) leaves
// to the caller. The same message builder writes the .eml files, so what
// the file driver shows is what SMTP would send, except that SMTP bodies
// are quoted-printable (safe through any relay) and file bodies are left
// unencoded so their links can be copied as they are.
package mail

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	gomail "github.com/wneessen/go-mail"
)

// DefaultFrom is the sender when none is configured (file driver).
const DefaultFrom = "Gatehouse <no-reply@localhost>"

// Message is one plain-text mail.
type Message struct {
	To      string
	Subject string
	Text    string // the plain-text part
	HTML    string // the HTML part, an alternative to Text; "" for none
}

// Sender delivers messages.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// Config selects and configures a driver; see server.MailConfig.
type Config struct {
	Driver   string // "smtp" or "file"
	Dir      string // file: where .eml files go (created on demand)
	From     string
	Host     string
	Port     int
	Username string
	Password string
	StartTLS string // "mandatory", "opportunistic" or "off"
}

// New returns the driver cfg names.
func New(cfg Config) (Sender, error) {
	if cfg.From == "" {
		cfg.From = DefaultFrom
	}
	switch cfg.Driver {
	case "file":
		if cfg.Dir == "" {
			return nil, errors.New("mail: file driver needs a directory")
		}
		return &File{Dir: cfg.Dir, From: cfg.From}, nil
	case "smtp":
		return newSMTP(cfg)
	default:
		return nil, fmt.Errorf("mail: unknown driver %q", cfg.Driver)
	}
}

// build turns m into a MIME message from from, its body in enc.
func build(from string, m Message, enc gomail.Encoding) (*gomail.Msg, error) {
	if strings.ContainsAny(m.To+m.Subject, "\r\n") {
		return nil, errors.New("mail: line break in a header")
	}
	msg := gomail.NewMsg(gomail.WithEncoding(enc))
	if err := msg.From(from); err != nil {
		return nil, fmt.Errorf("mail: from address: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("mail: recipient address: %w", err)
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	msg.SetMessageID()
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		// multipart/alternative: plain text first, the preferred HTML last.
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}

// write writes m as an RFC 5322 message to w, its body unencoded (8bit)
// so that the links in it can be read and followed from the file as is.
func write(w io.Writer, from string, m Message) error {
	msg, err := build(from, m, gomail.NoEncoding)
	if err != nil {
		return err
	}
	if _, err := msg.WriteTo(w); err != nil {
		return fmt.Errorf("mail: write message: %w", err)
	}
	return nil
}
