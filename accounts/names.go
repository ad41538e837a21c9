package accounts

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxNameRunes bounds a person's name.
const MaxNameRunes = 200

// Errors of NormalizeName.
var (
	ErrNameInvalid = errors.New("accounts: name must be valid text without control characters")
	ErrNameTooLong = fmt.Errorf("accounts: name must be at most %d characters", MaxNameRunes)
)

// NormalizeName trims a person's name and checks it: required, valid
// UTF-8 without control characters (no line breaks or NULs), at most
// MaxNameRunes characters. Every way of setting a name (pages, admin API,
// CLI) goes through it.
func NormalizeName(name string) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", ErrNameRequired
	case !utf8.ValidString(name) || strings.ContainsFunc(name, unicode.IsControl):
		return "", ErrNameInvalid
	case utf8.RuneCountInString(name) > MaxNameRunes:
		return "", ErrNameTooLong
	}
	return name, nil
}
