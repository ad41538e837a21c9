package accounts

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckNewPassword(t *testing.T) {
	for _, tt := range []struct {
		pw     string
		common bool
		want   error
	}{
		{"short", true, ErrPasswordTooShort},
		{strings.Repeat("x", 73), true, ErrPasswordTooLong},
		{"Password123", true, ErrCommonPassword},
		{"Password123", false, nil},
		{"QWERTYUIOP", true, ErrCommonPassword},
		{"correct horse battery", true, nil},
	} {
		if err := CheckNewPassword(tt.pw, tt.common); !errors.Is(err, tt.want) {
			t.Errorf("CheckNewPassword(%q, %v) = %v, want %v", tt.pw, tt.common, err, tt.want)
		}
	}
	for _, line := range strings.Split(commonPasswordList, "\n") {
		if line != "" && len([]rune(line)) < MinPasswordLength {
			t.Errorf("list entry %q is shorter than the minimum and could never be chosen", line)
		}
	}
}
