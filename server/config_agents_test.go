package server

import (
	"strings"
	"testing"
)

func TestResourcesFromEnv(t *testing.T) {
	c, err := LoadConfig("", envMap(map[string]string{
		"GATEHOUSE_SECRET":                                        testSecret,
		"GATEHOUSE_RESOURCES":                                     `[{"uri": "https://mcp.example.com/mcp", "scopes": ["mcp:tools"]}]`,
		"GATEHOUSE_DYNAMIC_REGISTRATION_ENABLED":                  "true",
		"GATEHOUSE_DYNAMIC_REGISTRATION_ALLOWED_SCOPES":           "openid,mcp:tools",
		"GATEHOUSE_CLIENT_METADATA_DOCUMENTS_ALLOWED_HTTP_HOSTS":  "127.0.0.1,localhost",
		"GATEHOUSE_CLIENT_METADATA_DOCUMENTS_DELETE_UNUSED_AFTER": "1h",
		"GATEHOUSE_CLIENT_METADATA_DOCUMENTS_BLOCKED_HOSTS":       "*.bad.example,bad.example",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Resources) != 1 || c.Resources[0].URI != "https://mcp.example.com/mcp" || c.Resources[0].Scopes[0] != "mcp:tools" {
		t.Errorf("resources %+v", c.Resources)
	}
	if !c.DynamicRegistration.Enabled || len(c.DynamicRegistration.AllowedScopes) != 2 || len(c.ClientMetadataDocuments.AllowedHTTPHosts) != 2 ||
		len(c.ClientMetadataDocuments.BlockedHosts) != 2 {
		t.Errorf("agents config %+v %+v", c.DynamicRegistration, c.ClientMetadataDocuments)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if u := UnknownEnv([]string{"GATEHOUSE_RESOURCES=[]", "GATEHOUSE_DYNAMIC_REGISTRATION_OPEN=true"}); len(u) != 0 {
		t.Errorf("unknown: %v", u)
	}
	_, err = LoadConfig("", envMap(map[string]string{"GATEHOUSE_RESOURCES": `{not json`}))
	if err == nil || !strings.Contains(err.Error(), "GATEHOUSE_RESOURCES") {
		t.Errorf("bad JSON: %v", err)
	}
}

func TestValidateAgents(t *testing.T) {
	c := Defaults()
	c.Secret = testSecret
	c.Resources = []ResourceConfig{{URI: "relative/path"}, {URI: "https://a.example#frag"}, {URI: "https://b.example", Scopes: []string{"gatehouse:admin"}}}
	c.DynamicRegistration.AllowedScopes = []string{"openid", "gatehouse:admin", "two words"}
	c.DynamicRegistration.RateLimit = 0
	c.ClientMetadataDocuments.AllowedHTTPHosts = []string{"http://x.example"}
	c.ClientMetadataDocuments.Timeout = 0
	c.ClientMetadataDocuments.RateLimit = -1
	c.ClientMetadataDocuments.AllowedHosts = []string{"ok.example", "*.ok.example", "example.com:443"}
	c.ClientMetadataDocuments.BlockedHosts = []string{"https://bad.example"}
	err := c.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"resources[0].uri", "resources[1].uri", "resources[2].scopes", "allowed_scopes: gatehouse:admin",
		`allowed_scopes: "two words"`, "dynamic_registration.rate_limit", "allowed_http_hosts", "timeout",
		"client_metadata_documents.rate_limit", `allowed_hosts: "example.com:443"`, `blocked_hosts: "https://bad.example"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), `"ok.example"`) || strings.Contains(err.Error(), `"*.ok.example"`) {
		t.Errorf("a valid host refused:\n%v", err)
	}
}
