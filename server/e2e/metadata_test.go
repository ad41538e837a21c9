package e2e

import (
	"bytes"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"testing"

	"golang.org/x/oauth2"

	"github.com/gatehouse-id/gatehouse/server"
	"github.com/gatehouse-id/gatehouse/server/servertest"
)

// TestServerMetadata: RFC 8414 metadata is the OpenID Connect discovery
// document, byte for byte, and both list every capability exactly.
func TestServerMetadata(t *testing.T) {
	t.Parallel()
	for _, on := range []bool{false, true} {
		env := servertest.Start(t, servertest.WithConfig(func(c *server.Config) {
			c.DynamicRegistration.Enabled = on
			c.ClientMetadataDocuments.Enabled = on
		}))
		oidc := send(t, env, http.MethodGet, "/.well-known/openid-configuration", "", nil, nil)
		rfc := send(t, env, http.MethodGet, "/.well-known/oauth-authorization-server", "", nil, nil)
		if rfc.Status != http.StatusOK || rfc.JSON == nil || rfc.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("RFC 8414 metadata: %d %q %s", rfc.Status, rfc.Header.Get("Content-Type"), rfc.Body)
		}
		if !bytes.Equal(oidc.Body, rfc.Body) {
			t.Errorf("the two documents differ:\n%s\n%s", oidc.Body, rfc.Body)
		}
		doc := rfc.JSON
		if doc["issuer"] != env.URL {
			t.Errorf("issuer %v", doc["issuer"])
		}
		wantList := map[string][]string{
			"code_challenge_methods_supported":              {"S256"},
			"introspection_endpoint_auth_methods_supported": {"client_secret_basic", "client_secret_post"},
			"revocation_endpoint_auth_methods_supported":    {"client_secret_basic", "client_secret_post", "none"},
			"token_endpoint_auth_methods_supported":         {"client_secret_basic", "client_secret_post", "none"},
			"response_types_supported":                      {"code"},
			"response_modes_supported":                      {"query", "form_post"},
			"prompt_values_supported":                       {"none", "login", "consent", "select_account"},
		}
		for key, want := range wantList {
			if got := jsonStrings(doc[key]); !slices.Equal(got, want) {
				t.Errorf("%s %v, want %v", key, got, want)
			}
		}
		for _, c := range []string{"given_name", "family_name", "preferred_username", "locale", "picture", "updated_at", "name", "email"} {
			if !slices.Contains(jsonStrings(doc["claims_supported"]), c) {
				t.Errorf("claims_supported lacks %s", c)
			}
		}
		if doc["authorization_response_iss_parameter_supported"] != true {
			t.Errorf("authorization_response_iss_parameter_supported %v", doc["authorization_response_iss_parameter_supported"])
		}
		if doc["client_id_metadata_document_supported"] != on {
			t.Errorf("enabled %v: client_id_metadata_document_supported %v", on, doc["client_id_metadata_document_supported"])
		}
		if reg, ok := doc["registration_endpoint"]; ok != on || (on && reg != env.URL+"/oauth2/register") {
			t.Errorf("enabled %v: registration_endpoint %v", on, reg)
		}
	}
}

// TestAuthorizationResponseIss: every authorization response at the
// client, success or error, query or form_post, carries iss (RFC 9207).
func TestAuthorizationResponseIss(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := f.env.NewBrowser(t)
	a := b.AuthCodeFlow(t, f.config("openid"), aliceEmail, alicePassword)
	if got := a.Redirect.Query().Get("iss"); got != f.env.URL {
		t.Errorf("success: iss %q, want %q", got, f.env.URL)
	}
	formPost := oauth2.SetAuthURLParam("response_mode", "form_post")
	for name, c := range map[string]struct {
		scopes []string
		extra  []oauth2.AuthCodeOption
		errs   string
	}{
		"query error":     {[]string{"openid", "made-up"}, nil, "invalid_scope"},
		"prompt error":    {[]string{"openid", "email"}, []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("prompt", "none")}, "consent_required"},
		"form_post code":  {[]string{"openid"}, []oauth2.AuthCodeOption{formPost}, ""},
		"form_post error": {[]string{"openid"}, []oauth2.AuthCodeOption{formPost, oauth2.SetAuthURLParam("max_age", "abc")}, "invalid_request"},
	} {
		u, _ := f.authURL(t, c.scopes, c.extra...)
		resp := b.Authorize(t, u)
		var q url.Values
		if slices.Contains(c.extra, formPost) {
			q = formPostValues(t, servertest.ReadBody(t, resp))
		} else {
			q = redirectQuery(t, resp)
		}
		if q.Get("iss") != f.env.URL || q.Get("error") != c.errs || q.Get("state") != "state-123456789" {
			t.Errorf("%s: %v, want iss %s and error %q", name, q, f.env.URL, c.errs)
		}
	}
	// A consent denied.
	u, _ := f.authURL(t, []string{"openid", "profile"})
	q := redirectQuery(t, b.Consent(t, b.Authorize(t, u), "deny"))
	if q.Get("error") != "access_denied" || q.Get("iss") != f.env.URL {
		t.Errorf("denied: %v", q)
	}
}

var hiddenInputRE = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)"`)

// formPostValues reads the fields of a form_post answer page.
func formPostValues(t *testing.T, page []byte) url.Values {
	t.Helper()
	v := url.Values{}
	for _, m := range hiddenInputRE.FindAllSubmatch(page, -1) {
		v.Add(string(m[1]), html.UnescapeString(string(m[2])))
	}
	if len(v) == 0 {
		t.Fatalf("no fields on the form_post page:\n%s", page)
	}
	return v
}
