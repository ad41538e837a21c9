package server

import (
	"net/url"
	"regexp"
	"strings"
)

var colorRE = regexp.MustCompile(`^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)

// validateBranding checks the branding section: a product name, a #rgb or
// #rrggbb colour and a logo served over https or from this server.
func validateBranding(c *Config, k *checker) {
	b := c.Branding
	k.check(strings.TrimSpace(b.ProductName) != "", "branding.product_name: required")
	k.check(colorRE.MatchString(b.PrimaryColor), "branding.primary_color: %q is not a #rgb or #rrggbb colour", b.PrimaryColor)
	if b.LogoURL != "" {
		u, err := url.Parse(b.LogoURL)
		ok := err == nil && ((u.Scheme == "https" && u.Host != "") || (u.Scheme == "" && u.Host == "" && strings.HasPrefix(u.Path, "/")))
		k.check(ok, "branding.logo_url: %q is not an https URL or an absolute path", b.LogoURL)
	}
}
