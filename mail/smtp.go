package mail

import (
	"context"
	"fmt"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// smtpTimeout bounds one SMTP conversation.
const smtpTimeout = 30 * time.Second

// SMTP submits messages to a mail server, one connection per message.
type SMTP struct {
	from string
	host string
	opts []gomail.Option
}

var _ Sender = (*SMTP)(nil)

func newSMTP(cfg Config) (*SMTP, error) {
	var policy gomail.TLSPolicy
	switch cfg.StartTLS {
	case "", "mandatory":
		policy = gomail.TLSMandatory
	case "opportunistic":
		policy = gomail.TLSOpportunistic
	case "off":
		policy = gomail.NoTLS
	default:
		return nil, fmt.Errorf("mail: starttls %q is not mandatory, opportunistic or off", cfg.StartTLS)
	}
	port := cfg.Port
	if port == 0 {
		port = 587
	}
	opts := []gomail.Option{
		gomail.WithPort(port),
		gomail.WithTLSPolicy(policy),
		gomail.WithTimeout(smtpTimeout),
	}
	if cfg.Username != "" {
		opts = append(opts,
			gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(cfg.Username),
			gomail.WithPassword(cfg.Password),
		)
	}
	if _, err := gomail.NewClient(cfg.Host, opts...); err != nil {
		return nil, fmt.Errorf("mail: smtp client: %w", err)
	}
	return &SMTP{from: cfg.From, host: cfg.Host, opts: opts}, nil
}

// Send delivers m in its own SMTP conversation.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	msg, err := build(s.from, m, gomail.EncodingQP)
	if err != nil {
		return err
	}
	// A client per message: a go-mail Client holds one connection's state.
	c, err := gomail.NewClient(s.host, s.opts...)
	if err != nil {
		return fmt.Errorf("mail: smtp client: %w", err)
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("mail: smtp send: %w", err)
	}
	return nil
}
