package accounts

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/language"

	"github.com/gatehouse-id/gatehouse/storage"
)

// Bounds of the profile claims a person sets.
const (
	MaxProfileRunes  = 200
	MaxUsernameRunes = 64
	MaxPictureBytes  = 2048
)

// Errors of NormalizeProfile; ProfileError says which field.
var (
	ErrProfileText     = fmt.Errorf("accounts: use at most %d characters of text on one line", MaxProfileRunes)
	ErrProfileUsername = fmt.Errorf("accounts: a username is at most %d characters without spaces", MaxUsernameRunes)
	ErrProfileLocale   = errors.New("accounts: a locale is a language tag such as en or en-GB")
	ErrProfilePicture  = errors.New("accounts: a picture is an https URL")
)

// ProfileError names the field NormalizeProfile refused.
type ProfileError struct {
	Field string // given_name, family_name, preferred_username, locale, picture
	Err   error
}

func (e *ProfileError) Error() string { return e.Field + ": " + e.Err.Error() }
func (e *ProfileError) Unwrap() error { return e.Err }

// NormalizeProfile trims each field and checks it: every field is
// optional; text on one line without control characters; a username
// without spaces; a locale a valid BCP 47 tag (written canonically); a
// picture an https URL without user information. Relying parties show
// these claims, so nothing else gets through.
func NormalizeProfile(p storage.Profile) (storage.Profile, error) {
	p.GivenName = strings.TrimSpace(p.GivenName)
	p.FamilyName = strings.TrimSpace(p.FamilyName)
	p.PreferredUsername = strings.TrimSpace(p.PreferredUsername)
	p.Locale = strings.TrimSpace(p.Locale)
	p.Picture = strings.TrimSpace(p.Picture)
	for _, f := range []struct{ name, v string }{{"given_name", p.GivenName}, {"family_name", p.FamilyName}} {
		if !plainText(f.v, MaxProfileRunes) {
			return p, &ProfileError{f.name, ErrProfileText}
		}
	}
	if !plainText(p.PreferredUsername, MaxUsernameRunes) || strings.ContainsFunc(p.PreferredUsername, unicode.IsSpace) {
		return p, &ProfileError{"preferred_username", ErrProfileUsername}
	}
	if p.Locale != "" {
		tag, err := language.Parse(p.Locale)
		if err != nil || len(p.Locale) > 35 {
			return p, &ProfileError{"locale", ErrProfileLocale}
		}
		p.Locale = tag.String()
	}
	if p.Picture != "" {
		u, err := url.Parse(p.Picture)
		if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || len(p.Picture) > MaxPictureBytes ||
			strings.ContainsFunc(p.Picture, unicode.IsSpace) {
			return p, &ProfileError{"picture", ErrProfilePicture}
		}
	}
	return p, nil
}

func plainText(s string, maxRunes int) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, unicode.IsControl) && utf8.RuneCountInString(s) <= maxRunes
}
