package server

import "net/mail"

// validateMail checks the mail section: the driver and what it needs, the
// sender address and the STARTTLS policy.
func validateMail(c *Config, k *checker) {
	m := c.Mail
	switch m.Driver {
	case "file":
		k.check(m.Dir != "", "mail.dir: required with mail.driver file")
	case "smtp":
		k.check(m.Host != "", "mail.host: required with mail.driver smtp")
		k.check(m.From != "", "mail.from: required with mail.driver smtp")
	default:
		k.check(false, "mail.driver: %q is not smtp or file", m.Driver)
	}
	k.check(m.Port > 0 && m.Port < 65536, "mail.port: %d is not a port", m.Port)
	if m.From != "" {
		_, err := mail.ParseAddress(m.From)
		k.check(err == nil, "mail.from: %q is not an email address", m.From)
	}
	switch m.StartTLS {
	case "mandatory", "opportunistic", "off":
	default:
		k.check(false, "mail.starttls: %q is not mandatory, opportunistic or off", m.StartTLS)
	}
}
