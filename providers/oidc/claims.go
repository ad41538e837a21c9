package oidc

import (
	"encoding/json"
	"strings"
)

// flexBool is a boolean claim that some providers send as a string
// ("true"), as AWS Cognito and older Azure AD do with email_verified.
type flexBool bool

// UnmarshalJSON accepts true, false, "true" and "false"; anything else is
// false.
func (b *flexBool) UnmarshalJSON(data []byte) error {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	switch t := v.(type) {
	case bool:
		*b = flexBool(t)
	case string:
		*b = flexBool(strings.EqualFold(t, "true"))
	default:
		*b = false
	}
	return nil
}
