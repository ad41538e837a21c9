package server

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// testSecret is exactly MinSecretLength bytes.
const testSecret = "0123456789abcdef0123456789abcdef"

// validConfig is a production-shaped configuration that passes Validate.
func validConfig() Config {
	c := Defaults()
	c.Issuer = "https://id.example.com"
	c.Secret = testSecret
	c.Dev = false
	return c
}

// envMap turns a map into a lookup function; nothing leaks in from the
// process environment.
func envMap(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestValidConfigPasses(t *testing.T) {
	c := validConfig()
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate() = %v, want nil", err)
	}
	if len(testSecret) != MinSecretLength {
		t.Fatalf("testSecret is %d bytes, want %d", len(testSecret), MinSecretLength)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(*Config)
		wantErr []string // substrings; nil means Validate must succeed
	}{
		// Issuer.
		{"issuer empty", func(c *Config) { c.Issuer = "" }, []string{"issuer"}},
		{"issuer without scheme", func(c *Config) { c.Issuer = "id.example.com" }, []string{"issuer", "absolute"}},
		{"issuer relative path", func(c *Config) { c.Issuer = "/oauth" }, []string{"issuer", "absolute"}},
		{"issuer ftp scheme", func(c *Config) { c.Issuer = "ftp://id.example.com" }, []string{"issuer"}},
		{"issuer with query", func(c *Config) { c.Issuer = "https://id.example.com/?tenant=a" }, []string{"issuer", "query"}},
		{"issuer with fragment", func(c *Config) { c.Issuer = "https://id.example.com/#x" }, []string{"issuer", "fragment"}},
		{"issuer https with path", func(c *Config) { c.Issuer = "https://example.com/auth" }, nil},
		{"issuer http non-loopback outside dev", func(c *Config) { c.Issuer = "http://id.example.com" }, []string{"issuer", "http", "non-loopback"}},
		{"issuer http private IP outside dev", func(c *Config) { c.Issuer = "http://10.0.0.5:8080" }, []string{"issuer", "non-loopback"}},
		{"issuer http non-loopback in dev", func(c *Config) { c.Issuer = "http://id.example.com"; c.Dev = true }, nil},
		{"issuer http 127.0.0.1 outside dev", func(c *Config) { c.Issuer = "http://127.0.0.1:8080" }, nil},
		{"issuer http localhost outside dev", func(c *Config) { c.Issuer = "http://localhost:8080" }, nil},
		{"issuer http LOCALHOST outside dev", func(c *Config) { c.Issuer = "http://LOCALHOST" }, nil},
		{"issuer http ::1 outside dev", func(c *Config) { c.Issuer = "http://[::1]:8080" }, nil},

		// Listen and database.
		{"listen empty", func(c *Config) { c.Listen = "" }, []string{"listen"}},
		{"listen without port", func(c *Config) { c.Listen = "127.0.0.1" }, []string{"listen", "host:port"}},
		{"listen port only", func(c *Config) { c.Listen = ":8080" }, nil},
		{"database empty", func(c *Config) { c.Database = "" }, []string{"database"}},

		// Secret.
		{"secret missing outside dev", func(c *Config) { c.Secret = "" }, []string{"secret", "32"}},
		{"secret 31 bytes outside dev", func(c *Config) { c.Secret = testSecret[:31] }, []string{"secret", "32"}},
		{"secret 32 bytes outside dev", func(c *Config) { c.Secret = testSecret }, nil},
		{"secret missing in dev", func(c *Config) { c.Secret = ""; c.Dev = true }, nil},
		{"secret short in dev", func(c *Config) { c.Secret = "short"; c.Dev = true }, []string{"secret"}},

		// Log level.
		{"log level bad", func(c *Config) { c.LogLevel = "verbose" }, []string{"log_level", "verbose"}},
		{"log level empty", func(c *Config) { c.LogLevel = "" }, []string{"log_level"}},
		{"log level upper case", func(c *Config) { c.LogLevel = "DEBUG" }, nil},
		{"log level warn", func(c *Config) { c.LogLevel = "warn" }, nil},
		{"log level error", func(c *Config) { c.LogLevel = "error" }, nil},

		// Algorithm.
		{"algorithm bad", func(c *Config) { c.Keys.Algorithm = "HS256" }, []string{"keys.algorithm", "HS256"}},
		{"algorithm empty", func(c *Config) { c.Keys.Algorithm = "" }, []string{"keys.algorithm"}},
		{"algorithm lower case", func(c *Config) { c.Keys.Algorithm = "rs256" }, []string{"keys.algorithm"}},
		{"algorithm ES256", func(c *Config) { c.Keys.Algorithm = "ES256" }, nil},
		{"algorithm EdDSA (at_hash unsupported)", func(c *Config) { c.Keys.Algorithm = "EdDSA" }, []string{"keys.algorithm", "EdDSA"}},
		{"rsa_bits 3072", func(c *Config) { c.Keys.RSABits = 3072 }, nil},
		{"rsa_bits 4096", func(c *Config) { c.Keys.RSABits = 4096 }, nil},
		{"rsa_bits 1024", func(c *Config) { c.Keys.RSABits = 1024 }, []string{"keys.rsa_bits", "1024"}},
		{"rsa_bits 2500", func(c *Config) { c.Keys.RSABits = 2500 }, []string{"keys.rsa_bits", "2500"}},
		{"publish_ahead negative", func(c *Config) { c.Keys.PublishAhead = Duration(-time.Second) }, []string{"keys.publish_ahead"}},
		{"publish_ahead zero", func(c *Config) { c.Keys.PublishAhead = 0 }, nil},
		{"publish_ahead below refresh_interval", func(c *Config) { c.Keys.PublishAhead = Duration(30 * time.Second) }, []string{"keys.publish_ahead", "refresh_interval"}},
		{"refresh_interval too short", func(c *Config) { c.Keys.RefreshInterval = Duration(time.Millisecond) }, []string{"keys.refresh_interval"}},

		// Lifetimes.
		{"access token too short", func(c *Config) { c.Lifetimes.AccessToken = Duration(30 * time.Second) }, []string{"lifetimes.access_token"}},
		{"access token zero", func(c *Config) { c.Lifetimes.AccessToken = 0 }, []string{"lifetimes.access_token"}},
		{"refresh token too short", func(c *Config) { c.Lifetimes.RefreshToken = Duration(time.Second) }, []string{"lifetimes.refresh_token"}},
		{"id token too short", func(c *Config) { c.Lifetimes.IDToken = Duration(time.Second) }, []string{"lifetimes.id_token"}},
		{"authorize code too short", func(c *Config) { c.Lifetimes.AuthorizeCode = Duration(5 * time.Second) }, []string{"lifetimes.authorize_code"}},
		{"authorize code too long", func(c *Config) { c.Lifetimes.AuthorizeCode = Duration(2 * time.Hour) }, []string{"lifetimes.authorize_code", "longer"}},
		{"browser session too short", func(c *Config) { c.Lifetimes.BrowserSession = Duration(time.Second) }, []string{"lifetimes.browser_session"}},
		{"lifetimes at minimum", func(c *Config) {
			c.Lifetimes = Lifetimes{
				AccessToken: Duration(time.Minute), RefreshToken: Duration(time.Minute), IDToken: Duration(time.Minute),
				AuthorizeCode: Duration(10 * time.Second), BrowserSession: Duration(time.Minute),
				PasswordReset: Duration(time.Minute), EmailVerification: Duration(time.Minute),
			}
		}, nil},

		// Feature sections.
		{"mail driver unknown", func(c *Config) { c.Mail.Driver = "sendmail" }, []string{"mail.driver"}},
		{"mail smtp without host", func(c *Config) { c.Mail.Driver = "smtp"; c.Mail.From = "a@b.example" }, []string{"mail.host"}},
		{"mail smtp complete", func(c *Config) {
			c.Mail = MailConfig{Driver: "smtp", Host: "smtp.example", Port: 25, From: "Gatehouse <a@b.example>", StartTLS: "off"}
		}, nil},
		{"mail bad from", func(c *Config) { c.Mail.From = "not an address" }, []string{"mail.from"}},
		{"branding colour injection", func(c *Config) { c.Branding.PrimaryColor = "red;}</style>" }, []string{"branding.primary_color"}},
		{"branding logo javascript", func(c *Config) { c.Branding.LogoURL = "javascript:alert(1)" }, []string{"branding.logo_url"}},
		{"branding logo path", func(c *Config) { c.Branding.LogoURL = "/static/logo.svg" }, nil},
		{"provider ok", func(c *Config) {
			c.Providers = []ProviderConfig{{ID: "corp", Type: "oidc", Issuer: "https://sso.example", ClientID: "a", ClientSecret: "b"}}
		}, nil},
		{"provider problems", func(c *Config) {
			c.Providers = []ProviderConfig{{ID: "Bad ID", Type: "saml"}, {ID: "gh", Type: "github", ClientID: "x", ClientSecret: "y", HostedDomain: "a.example"}, {ID: "gh", Type: "oidc", Issuer: "http://sso.example", ClientID: "x", ClientSecret: "y"}}
		}, []string{"providers[Bad ID].id", "providers[Bad ID].type", "client_secret", "GATEHOUSE_PROVIDERS_BAD ID_CLIENT_SECRET", "hosted_domain", "used twice", "providers[gh].issuer"}},
		{"provider issuer and timeout", func(c *Config) {
			c.Providers = []ProviderConfig{{ID: "g", Type: "google", Issuer: "https://evil.example", ClientID: "x", ClientSecret: "y", Timeout: Duration(-time.Second)}}
		}, []string{"providers[g].issuer: only for type oidc", "providers[g].timeout"}},
		{"ratelimit zero", func(c *Config) { c.RateLimit.AccountFailures = 0; c.RateLimit.RedisURL = "http://x" }, []string{"ratelimit.account_failures", "ratelimit.redis_url"}},
		{"trusted proxy bad", func(c *Config) { c.TrustedProxies = []string{"10.0.0.0/8", "proxy.local"} }, []string{"trusted_proxies: \"proxy.local\""}},
		{"cors origin with path", func(c *Config) { c.CORS.AllowedOrigins = []string{"https://app.example", "https://app.example/x", "*"} }, []string{"\"https://app.example/x\"", "\"*\""}},
		{"tls half", func(c *Config) { c.TLS.CertFile = "/nonexistent/cert.pem" }, []string{"tls: set both", "tls.cert_file"}},
		{"audit retention short", func(c *Config) { c.Audit.Retention = Duration(time.Minute) }, []string{"audit.retention"}},
		{"pool min above max", func(c *Config) { c.DatabasePool.MinConns = 50 }, []string{"database_pool.min_conns"}},

		// bcrypt cost.
		{"bcrypt cost 4 outside dev", func(c *Config) { c.BcryptCost = 4 }, []string{"bcrypt_cost"}},
		{"bcrypt cost 4 in dev", func(c *Config) { c.BcryptCost = 4; c.Dev = true }, nil},
		{"bcrypt cost 3", func(c *Config) { c.BcryptCost = 3; c.Dev = true }, []string{"bcrypt_cost"}},
		{"bcrypt cost 32", func(c *Config) { c.BcryptCost = 32 }, []string{"bcrypt_cost"}},

		// Profiler address.
		{"debug_listen loopback", func(c *Config) { c.DebugListen = "127.0.0.1:6060" }, nil},
		{"debug_listen not host:port", func(c *Config) { c.DebugListen = "6060" }, []string{"debug_listen"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig()
			tt.mutate(&c)
			err := c.Validate()
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want an error containing %q", tt.wantErr)
			}
			for _, s := range tt.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("Validate() = %q, want it to contain %q", err, s)
				}
			}
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	c := validConfig()
	c.Issuer = "not a url"
	c.Secret = "short"
	c.LogLevel = "loud"
	c.Keys.Algorithm = "none"
	c.Lifetimes.AccessToken = Duration(time.Second)
	err := c.Validate()
	if err == nil {
		t.Fatal("Validate() = nil, want errors")
	}
	for _, s := range []string{"issuer", "secret", "log_level", "keys.algorithm", "lifetimes.access_token"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("Validate() = %q, want it to contain %q", err, s)
		}
	}
	// One problem per line.
	if lines := strings.Count(err.Error(), "\n") + 1; lines != 5 {
		t.Errorf("Validate() reported %d lines, want 5:\n%s", lines, err)
	}
	var joined interface{ Unwrap() []error }
	if !errors.As(err, &joined) || len(joined.Unwrap()) != 5 {
		t.Errorf("Validate() should join 5 errors, got %#v", err)
	}
}

func TestLoadConfigNoPathIsDevDefault(t *testing.T) {
	c, err := LoadConfig("", envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Dev {
		t.Error("Dev = false without a config file, want true")
	}
	if c.Listen != "127.0.0.1:8080" {
		t.Errorf("Listen = %q, want 127.0.0.1:8080", c.Listen)
	}
	if c.Database != "gatehouse.db" {
		t.Errorf("Database = %q, want gatehouse.db", c.Database)
	}
	if c.Issuer != "http://127.0.0.1:8080" {
		t.Errorf("Issuer = %q, want http://127.0.0.1:8080", c.Issuer)
	}
	if c.Secret != "" {
		t.Errorf("Secret = %q, want empty", c.Secret)
	}
	want := Defaults()
	want.Dev = true
	if !reflect.DeepEqual(c, want) {
		t.Errorf("LoadConfig(\"\") = %+v, want %+v", c, want)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("dev default does not validate: %v", err)
	}
}

func TestLoadConfigNoPathEnvCanDisableDev(t *testing.T) {
	c, err := LoadConfig("", envMap(map[string]string{"GATEHOUSE_DEV": "false"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Dev {
		t.Error("GATEHOUSE_DEV=false should turn dev mode off")
	}
}

func TestLoadConfigEmptyFile(t *testing.T) {
	for name, content := range map[string]string{
		"empty":         "",
		"comments only": "# nothing here\n# at all\n",
		"blank lines":   "\n\n",
	} {
		t.Run(name, func(t *testing.T) {
			p := writeFile(t, "gatehouse.yaml", content)
			c, err := LoadConfig(p, envMap(nil))
			if err != nil {
				t.Fatalf("LoadConfig(%s file) = %v, want nil", name, err)
			}
			want := Defaults() // a file means dev mode stays off
			if !reflect.DeepEqual(c, want) {
				t.Errorf("LoadConfig = %+v, want defaults %+v", c, want)
			}
		})
	}
}

func TestLoadConfigMissingFile(t *testing.T) {
	_, err := LoadConfig(filepath.Join(t.TempDir(), "nope.yaml"), envMap(nil))
	if err == nil {
		t.Fatal("LoadConfig(missing file) = nil error")
	}
	if !strings.Contains(err.Error(), "nope.yaml") {
		t.Errorf("error %q does not name the file", err)
	}
}

func TestLoadConfigFile(t *testing.T) {
	p := writeFile(t, "gatehouse.yaml", `
issuer: https://id.example.com
listen: 0.0.0.0:9000
database: sqlite:///var/lib/gatehouse/g.db
secret: `+testSecret+`
log_level: debug
bcrypt_cost: 11
lifetimes:
  access_token: 5m
  refresh_token: 720h
keys:
  algorithm: ES256
  publish_ahead: 0s
`)
	c, err := LoadConfig(p, envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := Defaults()
	want.Issuer = "https://id.example.com"
	want.Listen = "0.0.0.0:9000"
	want.Database = "sqlite:///var/lib/gatehouse/g.db"
	want.Mail.Dir = "/var/lib/gatehouse/gatehouse-data/mail" // beside the database
	want.Secret = testSecret
	want.LogLevel = "debug"
	want.BcryptCost = 11
	want.Lifetimes.AccessToken = Duration(5 * time.Minute)
	want.Lifetimes.RefreshToken = Duration(720 * time.Hour)
	want.Keys.Algorithm = "ES256"
	want.Keys.PublishAhead = 0
	if !reflect.DeepEqual(c, want) {
		t.Errorf("LoadConfig =\n%+v\nwant\n%+v", c, want)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate() = %v", err)
	}
}

func TestLoadConfigUnknownKey(t *testing.T) {
	tests := []struct {
		name, content, key string
	}{
		{"top level", "issuer: https://id.example.com\nissuer_url: https://x\n", "issuer_url"},
		{"nested", "lifetimes:\n  acess_token: 15m\n", "acess_token"},
		{"nested keys", "keys:\n  alg: ES256\n", "alg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, "gatehouse.yaml", tt.content)
			_, err := LoadConfig(p, envMap(nil))
			if err == nil {
				t.Fatalf("LoadConfig accepted unknown key %q", tt.key)
			}
			if !strings.Contains(err.Error(), `"`+tt.key+`"`) && !strings.Contains(err.Error(), " "+tt.key+" ") {
				t.Errorf("error %q does not name the key %q", err, tt.key)
			}
		})
	}
}

func TestLoadConfigBadDurationInFile(t *testing.T) {
	p := writeFile(t, "gatehouse.yaml", "lifetimes: {access_token: 15 minutes}\n")
	_, err := LoadConfig(p, envMap(nil))
	if err == nil {
		t.Fatal(`LoadConfig accepted "15 minutes"`)
	}
	for _, s := range []string{"15 minutes", "not a duration", "line 1", p} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not contain %q", err, s)
		}
	}
}

func TestLoadConfigBadValueInFile(t *testing.T) {
	for name, content := range map[string]string{
		"duration without unit": "lifetimes:\n  access_token: 900\n",
		"bool":                  "dev: maybe\n",
		"int":                   "bcrypt_cost: high\n",
		"not a mapping":         "- issuer\n",
	} {
		t.Run(name, func(t *testing.T) {
			p := writeFile(t, "gatehouse.yaml", content)
			if _, err := LoadConfig(p, envMap(nil)); err == nil {
				t.Fatalf("LoadConfig accepted %q", content)
			}
		})
	}
}

func TestLoadConfigBadEnv(t *testing.T) {
	tests := []struct{ name, value string }{
		{"GATEHOUSE_LIFETIMES_ACCESS_TOKEN", "15 minutes"},
		{"GATEHOUSE_KEYS_PUBLISH_AHEAD", "soon"},
		{"GATEHOUSE_DEV", "yes please"},
		{"GATEHOUSE_BCRYPT_COST", "twelve"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadConfig("", envMap(map[string]string{tt.name: tt.value}))
			if err == nil {
				t.Fatalf("LoadConfig accepted %s=%q", tt.name, tt.value)
			}
			if !strings.Contains(err.Error(), tt.name) {
				t.Errorf("error %q does not name %s", err, tt.name)
			}
			if !strings.Contains(err.Error(), tt.value) {
				t.Errorf("error %q does not quote the value %q", err, tt.value)
			}
		})
	}
}

func TestLoadConfigEnvOverridesFile(t *testing.T) {
	p := writeFile(t, "gatehouse.yaml", `
issuer: https://file.example.com
listen: 127.0.0.1:1111
dev: true
lifetimes:
  access_token: 5m
  id_token: 2h
keys:
  algorithm: ES256
`)
	env := map[string]string{
		"GATEHOUSE_ISSUER":                 "https://env.example.com",
		"GATEHOUSE_SECRET":                 testSecret,
		"GATEHOUSE_DEV":                    "false",
		"GATEHOUSE_BCRYPT_COST":            "10",
		"GATEHOUSE_LIFETIMES_ACCESS_TOKEN": "30m",
		"GATEHOUSE_KEYS_ALGORITHM":         "ES256",
		"GATEHOUSE_KEYS_RSA_BITS":          "3072",
		"GATEHOUSE_KEYS_REFRESH_INTERVAL":  "90s",
	}
	c, err := LoadConfig(p, envMap(env))
	if err != nil {
		t.Fatal(err)
	}
	if c.Issuer != "https://env.example.com" {
		t.Errorf("Issuer = %q, want the env value", c.Issuer)
	}
	if c.Secret != testSecret {
		t.Errorf("Secret not taken from GATEHOUSE_SECRET")
	}
	if c.Dev {
		t.Error("Dev = true, want GATEHOUSE_DEV=false to win over the file")
	}
	if c.BcryptCost != 10 {
		t.Errorf("BcryptCost = %d, want 10", c.BcryptCost)
	}
	if c.Lifetimes.AccessToken.D() != 30*time.Minute {
		t.Errorf("AccessToken = %s, want 30m", c.Lifetimes.AccessToken.D())
	}
	if c.Keys.Algorithm != "ES256" {
		t.Errorf("Algorithm = %q, want ES256", c.Keys.Algorithm)
	}
	if c.Keys.RSABits != 3072 {
		t.Errorf("RSABits = %d, want 3072", c.Keys.RSABits)
	}
	if c.Keys.RefreshInterval.D() != 90*time.Second {
		t.Errorf("RefreshInterval = %s, want 90s", c.Keys.RefreshInterval.D())
	}
	// Keys set only in the file survive.
	if c.Listen != "127.0.0.1:1111" {
		t.Errorf("Listen = %q, want the file value", c.Listen)
	}
	if c.Lifetimes.IDToken.D() != 2*time.Hour {
		t.Errorf("IDToken = %s, want the file value 2h", c.Lifetimes.IDToken.D())
	}
	// And keys in neither keep the default.
	if c.Lifetimes.RefreshToken != Defaults().Lifetimes.RefreshToken {
		t.Errorf("RefreshToken = %s, want the default", c.Lifetimes.RefreshToken.D())
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate() = %v", err)
	}
}

func TestLoadConfigEnvEmptyValueOverrides(t *testing.T) {
	p := writeFile(t, "gatehouse.yaml", "templates_dir: /srv/templates\n")
	c, err := LoadConfig(p, envMap(map[string]string{"GATEHOUSE_TEMPLATES_DIR": ""}))
	if err != nil {
		t.Fatal(err)
	}
	if c.TemplatesDir != "" {
		t.Errorf("TemplatesDir = %q, want a set-but-empty env var to clear it", c.TemplatesDir)
	}
}

func TestLoadConfigFileVariant(t *testing.T) {
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "secret")
	if err := os.WriteFile(secretFile, []byte(testSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	durFile := filepath.Join(dir, "ttl")
	if err := os.WriteFile(durFile, []byte("20m\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := LoadConfig("", envMap(map[string]string{
		"GATEHOUSE_SECRET_FILE":                 secretFile,
		"GATEHOUSE_LIFETIMES_ACCESS_TOKEN_FILE": durFile,
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Secret != testSecret {
		t.Errorf("Secret = %q, want the file content without the trailing newline", c.Secret)
	}
	if c.Lifetimes.AccessToken.D() != 20*time.Minute {
		t.Errorf("AccessToken = %s, want 20m from the _FILE variable", c.Lifetimes.AccessToken.D())
	}

	// A file that cannot be read is an error naming the variable.
	_, err = LoadConfig("", envMap(map[string]string{"GATEHOUSE_SECRET_FILE": filepath.Join(dir, "missing")}))
	if err == nil || !strings.Contains(err.Error(), "GATEHOUSE_SECRET_FILE") {
		t.Errorf("LoadConfig with an unreadable _FILE = %v, want an error naming GATEHOUSE_SECRET_FILE", err)
	}

	// A bad value read from a file names the variable too.
	bad := filepath.Join(dir, "bad")
	if err := os.WriteFile(bad, []byte("forever\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = LoadConfig("", envMap(map[string]string{"GATEHOUSE_LIFETIMES_ID_TOKEN_FILE": bad}))
	if err == nil || !strings.Contains(err.Error(), "GATEHOUSE_LIFETIMES_ID_TOKEN") {
		t.Errorf("LoadConfig with a bad duration file = %v, want an error naming GATEHOUSE_LIFETIMES_ID_TOKEN", err)
	}
}

func TestEnsureDevSecret(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("file modes are not POSIX on windows")
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "data", "gatehouse.db")
	cfg := Config{Dev: true, Database: db}
	// A missing directory is a mistyped path, not one to create.
	if _, err := EnsureDevSecret(&cfg); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("missing directory: err %v, want does not exist", err)
	}
	if err := os.Mkdir(filepath.Dir(db), 0o700); err != nil {
		t.Fatal(err)
	}
	path, err := EnsureDevSecret(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	if want := db + ".secret"; path != want {
		t.Errorf("path = %q, want %q", path, want)
	}
	if len(cfg.Secret) < MinSecretLength {
		t.Errorf("generated secret is %d bytes, want at least %d", len(cfg.Secret), MinSecretLength)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := fi.Mode().Perm(); mode != 0o600 {
		t.Errorf("secret file mode = %o, want 600", mode)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(string(raw)) != cfg.Secret {
		t.Errorf("file holds %q, config got %q", raw, cfg.Secret)
	}
	if len(strings.TrimSpace(string(raw))) < MinSecretLength {
		t.Errorf("file holds %d bytes, want at least %d", len(strings.TrimSpace(string(raw))), MinSecretLength)
	}
	full := validConfig()
	full.Dev, full.Secret = true, cfg.Secret
	if err := full.Validate(); err != nil {
		t.Errorf("generated secret fails Validate: %v", err)
	}

	// A restart reuses it.
	again := Config{Dev: true, Database: db}
	path2, err := EnsureDevSecret(&again)
	if err != nil {
		t.Fatal(err)
	}
	if path2 != path || again.Secret != cfg.Secret {
		t.Errorf("second call: path %q secret %q, want %q %q", path2, again.Secret, path, cfg.Secret)
	}

	// The sqlite:// form of the same database finds the same file.
	viaDSN := Config{Dev: true, Database: "sqlite://" + db}
	if _, err := EnsureDevSecret(&viaDSN); err != nil {
		t.Fatal(err)
	}
	if viaDSN.Secret != cfg.Secret {
		t.Error("sqlite:// DSN did not reuse the persisted secret")
	}
}

func TestEnsureDevSecretNoOp(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		cfg  Config
	}{
		{"not dev", Config{Dev: false, Database: filepath.Join(dir, "a.db")}},
		{"secret set", Config{Dev: true, Secret: testSecret, Database: filepath.Join(dir, "b.db")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			path, err := EnsureDevSecret(&cfg)
			if err != nil {
				t.Fatal(err)
			}
			if path != "" {
				t.Errorf("path = %q, want empty", path)
			}
			if cfg.Secret != tt.cfg.Secret {
				t.Errorf("Secret changed from %q to %q", tt.cfg.Secret, cfg.Secret)
			}
			if _, err := os.Stat(tt.cfg.Database + ".secret"); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a secret file was written: %v", err)
			}
		})
	}
}

func TestEnsureDevSecretRejectsShortFile(t *testing.T) {
	db := filepath.Join(t.TempDir(), "g.db")
	if err := os.WriteFile(db+".secret", []byte("tooshort\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := Config{Dev: true, Database: db}
	if _, err := EnsureDevSecret(&cfg); err == nil {
		t.Fatal("EnsureDevSecret accepted a short persisted secret")
	}
}

// exampleConfig is the documented example at the repository root.
const exampleConfig = "../config.example.yaml"

func readExample(t *testing.T) []byte {
	t.Helper()
	raw, err := os.ReadFile(exampleConfig)
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("%s does not exist yet", exampleConfig)
	}
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestExampleConfigLoadsAndValidates(t *testing.T) {
	readExample(t)
	c, err := LoadConfig(exampleConfig, envMap(map[string]string{"GATEHOUSE_SECRET": testSecret}))
	if err != nil {
		t.Fatalf("LoadConfig(%s) = %v", exampleConfig, err)
	}
	if c.Secret != testSecret {
		t.Errorf("GATEHOUSE_SECRET did not override the example's secret")
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("the example does not validate with a secret set:\n%v", err)
	}
}

// configKeys returns every dotted yaml key path of a struct type.
func configKeys(t reflect.Type, prefix string) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		path := name
		if prefix != "" {
			path = prefix + "." + name
		}
		out = append(out, path)
		if f.Type.Kind() == reflect.Struct {
			out = append(out, configKeys(f.Type, path)...)
		}
	}
	return out
}

// lookupNode finds a dotted key path in a YAML mapping tree.
func lookupNode(n *yaml.Node, path []string) *yaml.Node {
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	if len(path) == 0 {
		return n
	}
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == path[0] {
			return lookupNode(n.Content[i+1], path[1:])
		}
	}
	return nil
}

func TestExampleConfigDocumentsEveryKey(t *testing.T) {
	raw := readExample(t)
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("parse %s: %v", exampleConfig, err)
	}
	keys := configKeys(reflect.TypeOf(Config{}), "")
	if len(keys) < 10 || !slices.Contains(keys, "lifetimes.access_token") || !slices.Contains(keys, "keys.algorithm") {
		t.Fatalf("found only %d config keys; the struct walk is broken: %v", len(keys), keys)
	}
	for _, k := range keys {
		if lookupNode(&doc, strings.Split(k, ".")) != nil {
			continue
		}
		// A commented-out key ("# templates_dir: ...") also documents it.
		leaf := k[strings.LastIndex(k, ".")+1:]
		commented := regexp.MustCompile(`(?m)^\s*#\s*` + regexp.QuoteMeta(leaf) + `:`)
		if !commented.Match(raw) {
			t.Errorf("%s does not document the key %q", exampleConfig, k)
		}
	}
}

func TestEnsureDevSecretNeedsSQLite(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	cfg := Config{Dev: true, Database: "postgres://app:hunter2@db.internal/gatehouse"}
	_, err := EnsureDevSecret(&cfg)
	if err == nil || !strings.Contains(err.Error(), "GATEHOUSE_SECRET") {
		t.Fatalf("EnsureDevSecret(postgres DSN) = %v, want an error asking for GATEHOUSE_SECRET", err)
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error leaks the DSN password: %v", err)
	}
	if cfg.Secret != "" {
		t.Errorf("Secret = %q, want none generated", cfg.Secret)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("EnsureDevSecret created %v in the working directory", entries)
	}
}

func TestLoadConfigFileAndPlainConflict(t *testing.T) {
	f := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(f, []byte(testSecret), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := LoadConfig("", envMap(map[string]string{"GATEHOUSE_SECRET": testSecret, "GATEHOUSE_SECRET_FILE": f}))
	if err == nil || !strings.Contains(err.Error(), "GATEHOUSE_SECRET_FILE") {
		t.Fatalf("both set: err = %v, want an error naming both", err)
	}
}

func TestLoadConfigDevIssuerFollowsListen(t *testing.T) {
	c, err := LoadConfig("", envMap(map[string]string{"GATEHOUSE_LISTEN": "127.0.0.1:9090"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Issuer != "http://127.0.0.1:9090" {
		t.Fatalf("Issuer = %q, want it to follow the listen address", c.Issuer)
	}
	c, err = LoadConfig("", envMap(map[string]string{"GATEHOUSE_LISTEN": "127.0.0.1:9090", "GATEHOUSE_ISSUER": "http://localhost:9090"}))
	if err != nil || c.Issuer != "http://localhost:9090" {
		t.Fatalf("explicit issuer overridden: %q, %v", c.Issuer, err)
	}
}

func TestUnknownEnv(t *testing.T) {
	got := UnknownEnv([]string{
		"GATEHOUSE_ISSUER=x", "GATEHOUSE_SECRET_FILE=/s", "GATEHOUSE_LIFETIMES_ACCESS_TOKEN=1m",
		"GATEHOUSE_CONFIG=/c", "GATEHOUSE_TEST_POSTGRES=x", "PATH=/bin",
		"GATEHOUSE_LIFETIME_ACCESS_TOKEN=1m", "GATEHOUSE_ISUER=x",
	})
	if !reflect.DeepEqual(got, []string{"GATEHOUSE_LIFETIME_ACCESS_TOKEN", "GATEHOUSE_ISUER"}) {
		t.Fatalf("UnknownEnv = %v", got)
	}
}

func TestLoadConfigListsAndProviderSecrets(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	raw := "providers:\n  - id: corp-sso\n    type: oidc\n    issuer: https://sso.example\n    client_id: gh\n    client_secret: from-file\n"
	if err := os.WriteFile(path, []byte(raw), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := LoadConfig(path, envMap(map[string]string{
		"GATEHOUSE_CORS_ALLOWED_ORIGINS":             "https://a.example, https://b.example,",
		"GATEHOUSE_PROVIDERS_CORP_SSO_CLIENT_SECRET": "from-env",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.CORS.AllowedOrigins, []string{"https://a.example", "https://b.example"}) {
		t.Errorf("origins = %q", c.CORS.AllowedOrigins)
	}
	if len(c.Providers) != 1 || c.Providers[0].ClientSecret != "from-env" {
		t.Errorf("providers = %+v", c.Providers)
	}
	if u := UnknownEnv([]string{"GATEHOUSE_PROVIDERS_CORP_SSO_CLIENT_SECRET=x", "GATEHOUSE_PROVIDERS_X=y"}); !reflect.DeepEqual(u, []string{"GATEHOUSE_PROVIDERS_X"}) {
		t.Errorf("UnknownEnv = %v", u)
	}
}

func TestLoadConfigDevIssuerWildcardListen(t *testing.T) {
	for listen, want := range map[string]string{":9091": "http://127.0.0.1:9091", "0.0.0.0:9092": "http://127.0.0.1:9092", "[::]:9093": "http://127.0.0.1:9093"} {
		c, err := LoadConfig("", envMap(map[string]string{"GATEHOUSE_LISTEN": listen}))
		if err != nil || c.Issuer != want {
			t.Errorf("listen %q: issuer %q, %v; want %q", listen, c.Issuer, err, want)
		}
	}
	c := Defaults()
	c.Dev, c.Issuer = true, "http://127.0.0.1:0"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "issuer") {
		t.Errorf("issuer with port 0 validated: %v", err)
	}
}

// TestLoadReportsEverything: file problems (unknown key, bad duration),
// environment problems and validation problems come back in one error.
func TestLoadReportsEverything(t *testing.T) {
	p := writeFile(t, "gatehouse.yaml", "issuer: https://id.example.com\nsecret: short\nisuer: x\nlifetimes:\n  access_token: 15 minutes\n")
	_, _, err := Load(p, envMap(map[string]string{"GATEHOUSE_DEV": "maybe"}))
	if err == nil {
		t.Fatal("Load accepted a broken configuration")
	}
	for _, want := range []string{`unknown key "isuer"`, "line 3", `"15 minutes" is not a duration`, "GATEHOUSE_DEV", "secret: must be at least 32 bytes"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not report %q:\n%v", want, err)
		}
	}
}
