package accounts

import (
	_ "embed"
	"errors"
	"strings"
	"sync"
)

// ErrCommonPassword is returned for a password on the embedded list of the
// most common passwords.
var ErrCommonPassword = errors.New("accounts: password is too common")

//go:embed common_passwords.txt
var commonPasswordList string

var commonPasswords = sync.OnceValue(func() map[string]bool {
	set := make(map[string]bool)
	for _, p := range strings.Split(commonPasswordList, "\n") {
		if p = strings.TrimSpace(p); p != "" {
			set[strings.ToLower(p)] = true
		}
	}
	return set
})

// IsCommonPassword reports whether password (case-insensitively) is one of
// the most common passwords of at least MinPasswordLength characters,
// the ones attackers try first.
func IsCommonPassword(password string) bool {
	return commonPasswords()[strings.ToLower(password)]
}

// CheckNewPassword applies the rules for a password a person chooses
// (registration, change, reset): ValidatePassword, and, when common is
// set, not one of the most common passwords.
func CheckNewPassword(password string, common bool) error {
	if err := ValidatePassword(password); err != nil {
		return err
	}
	if common && IsCommonPassword(password) {
		return ErrCommonPassword
	}
	return nil
}
