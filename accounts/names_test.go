package accounts

import (
	"errors"
	"strings"
	"testing"
)

func TestNormalizeName(t *testing.T) {
	for in, want := range map[string]error{
		"  Ada Lovelace ":           nil,
		"":                          ErrNameRequired,
		"   ":                       ErrNameRequired,
		"Bob\nSmith":                ErrNameInvalid,
		"nul\x00":                   ErrNameInvalid,
		"bad \xff utf8":             ErrNameInvalid,
		strings.Repeat("é", 200):    nil,
		strings.Repeat("é", 201):    ErrNameTooLong,
		"Zoë 😀 O'Brien-Łukasiewicz": nil,
	} {
		got, err := NormalizeName(in)
		if !errors.Is(err, want) || (want == nil && err != nil) {
			t.Errorf("NormalizeName(%q) error = %v, want %v", in, err, want)
		}
		if want == nil && got != strings.TrimSpace(in) {
			t.Errorf("NormalizeName(%q) = %q", in, got)
		}
	}
}
