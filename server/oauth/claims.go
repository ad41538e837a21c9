package oauth

import "github.com/gatehouse-id/gatehouse/storage"

// ProfileClaims are the standard claims (OpenID Connect Core section 5.1)
// the profile scope yields, as Gatehouse holds them: name, updated_at,
// and the others only when the person has set them.
var ProfileClaims = []string{"name", "given_name", "family_name", "preferred_username", "locale", "picture", "updated_at"}

// profileClaims returns user's profile-scope claims.
func profileClaims(user storage.User) map[string]any {
	c := map[string]any{"name": user.Name}
	for k, v := range map[string]string{
		"given_name":         user.Profile.GivenName,
		"family_name":        user.Profile.FamilyName,
		"preferred_username": user.Profile.PreferredUsername,
		"locale":             user.Profile.Locale,
		"picture":            user.Profile.Picture,
	} {
		if v != "" {
			c[k] = v
		}
	}
	if !user.UpdatedAt.IsZero() {
		c["updated_at"] = user.UpdatedAt.Unix()
	}
	return c
}
