package server

import (
	"strings"
	"testing"
)

const clientsYAML = `issuer: https://id.example.com
clients:
  - client_id: shop
    name: Shop
    redirect_uris: [https://shop.example/cb]
    backchannel_logout_uri: https://shop.example/bcl
    backchannel_logout_session_required: true
  - client_id: my.spa
    public: true
    redirect_uris: [https://spa.example/cb]
`

// TestLoadConfigClients: declared clients are read with the admin API's
// names, and secrets come from GATEHOUSE_CLIENTS_<ID>_SECRET or _FILE.
func TestLoadConfigClients(t *testing.T) {
	p := writeFile(t, "gatehouse.yaml", clientsYAML)
	sec := strings.Repeat("s", 40)
	cfg, err := LoadConfig(p, envMap(map[string]string{"GATEHOUSE_CLIENTS_SHOP_SECRET": sec, "GATEHOUSE_SECRET": testSecret}))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Clients) != 2 {
		t.Fatalf("%d clients, want 2", len(cfg.Clients))
	}
	shop, spa := cfg.Clients[0], cfg.Clients[1]
	if shop.ID != "shop" || shop.Secret != sec || shop.BackchannelLogoutURI != "https://shop.example/bcl" || !shop.BackchannelLogoutSessionRequired {
		t.Errorf("shop %+v", shop.Spec)
	}
	if spa.ID != "my.spa" || !spa.Public || spa.Secret != "" {
		t.Errorf("spa %+v", spa.Spec)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}

	fromFile := writeFile(t, "shop-secret", sec+"\n")
	cfg, err = LoadConfig(p, envMap(map[string]string{"GATEHOUSE_CLIENTS_SHOP_SECRET_FILE": fromFile}))
	if err != nil || cfg.Clients[0].Secret != sec {
		t.Fatalf("secret from _FILE: %q, %v", cfg.Clients[0].Secret, err)
	}
	if ClientSecretEnv("my.spa") != "GATEHOUSE_CLIENTS_MY_SPA_SECRET" {
		t.Errorf("ClientSecretEnv(my.spa) = %s", ClientSecretEnv("my.spa"))
	}
	if u := UnknownEnv([]string{"GATEHOUSE_CLIENTS_SHOP_SECRET=x", "GATEHOUSE_CLIENTS_SHOP_SECRET_FILE=y", "GATEHOUSE_BACKCHANNEL_LOGOUT_TIMEOUT=1s"}); len(u) != 0 {
		t.Errorf("UnknownEnv flags %v", u)
	}
}

// TestLoadConfigClientsUnknownKey: a misspelt client setting is refused
// with its line, together with the file's other problems.
func TestLoadConfigClientsUnknownKey(t *testing.T) {
	p := writeFile(t, "gatehouse.yaml", "clients:\n  - client_id: a\n    redirect_uri: [https://a.example/cb]\nlifetimes: {acess_token: 1m}\n")
	_, err := LoadConfig(p, envMap(nil))
	if err == nil || !strings.Contains(err.Error(), "redirect_uri") || !strings.Contains(err.Error(), "line 2") || !strings.Contains(err.Error(), "acess_token") {
		t.Fatalf("error %v: want the unknown client key with its line, and the other problem", err)
	}
}

// TestValidateClientsEveryProblem: every declared client is checked with
// the rules of `gatehouse clients create`, and every problem is reported
// at once with the rest of the configuration's.
func TestValidateClientsEveryProblem(t *testing.T) {
	c := validConfig()
	c.Lifetimes.AccessToken = 0
	c.BackchannelLogout.AllowedHosts = []string{"http://rp.internal"}
	c.BackchannelLogout.Timeout = 0
	add := func(f func(*ClientConfig)) {
		var cc ClientConfig
		cc.ID, cc.RedirectURIs, cc.Secret = "c", []string{"https://c.example/cb"}, strings.Repeat("s", 40)
		f(&cc)
		c.Clients = append(c.Clients, cc)
	}
	add(func(cc *ClientConfig) { cc.ID = "ok" })
	add(func(cc *ClientConfig) { cc.ID = "ok" })                       // declared twice
	add(func(cc *ClientConfig) { cc.ID = "nosecret"; cc.Secret = "" }) // confidential without secret
	add(func(cc *ClientConfig) { cc.ID = "badgrant"; cc.GrantTypes = []string{"implicit"} })
	add(func(cc *ClientConfig) { cc.ID = "badbcl"; cc.BackchannelLogoutURI = "ftp://x" })
	add(func(cc *ClientConfig) { cc.ID = "a-b" })
	add(func(cc *ClientConfig) { cc.ID = "a_b" }) // same secret variable as a-b
	err := c.Validate()
	if err == nil {
		t.Fatal("Validate accepted bad clients")
	}
	for _, want := range []string{
		"lifetimes.access_token",
		"backchannel_logout.timeout",
		`backchannel_logout.allowed_hosts: "http://rp.internal"`,
		`clients[ok].client_id: "ok" is declared twice`,
		"clients[nosecret].client_secret: required for a confidential client (set GATEHOUSE_CLIENTS_NOSECRET_SECRET",
		`clients[badgrant]: unknown grant type "implicit"`,
		`clients[badbcl]: backchannel logout URI "ftp://x": must be an http or https URL`,
		"GATEHOUSE_CLIENTS_A_B_SECRET; rename one",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing problem %q in:\n%v", want, err)
		}
	}
}
