package accounts

import (
	"errors"
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse/storage"
)

func TestNormalizeProfile(t *testing.T) {
	got, err := NormalizeProfile(storage.Profile{GivenName: " Ada ", Locale: "en-gb", Picture: " https://p.example/a.png "})
	if err != nil || got != (storage.Profile{GivenName: "Ada", Locale: "en-GB", Picture: "https://p.example/a.png"}) {
		t.Fatalf("got %+v, %v", got, err)
	}
	for _, c := range []struct {
		p     storage.Profile
		field string
	}{
		{storage.Profile{GivenName: "A\nB"}, "given_name"},
		{storage.Profile{FamilyName: strings.Repeat("x", MaxProfileRunes+1)}, "family_name"},
		{storage.Profile{PreferredUsername: "two words"}, "preferred_username"},
		{storage.Profile{Locale: "not a locale!"}, "locale"},
		{storage.Profile{Picture: "javascript:alert(1)"}, "picture"},
		{storage.Profile{Picture: "http://p.example/a.png"}, "picture"},
		{storage.Profile{Picture: "https://user@p.example/a.png"}, "picture"},
	} {
		_, err := NormalizeProfile(c.p)
		var pe *ProfileError
		if !errors.As(err, &pe) || pe.Field != c.field {
			t.Errorf("%+v: %v, want a %s error", c.p, err, c.field)
		}
	}
}
