package server

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Config is Gatehouse's runtime configuration. Every key can be set in the
// YAML file and overridden by an environment variable GATEHOUSE_<PATH>
// (nested keys joined by "_", e.g. GATEHOUSE_LIFETIMES_ACCESS_TOKEN); a
// variable GATEHOUSE_<PATH>_FILE reads the value from a file instead.
type Config struct {
	Issuer       string `yaml:"issuer"`
	Listen       string `yaml:"listen"`
	Database     string `yaml:"database"`
	Secret       string `yaml:"secret"`
	Dev          bool   `yaml:"dev"`
	LogLevel     string `yaml:"log_level"`
	TemplatesDir string `yaml:"templates_dir"`
	StaticDir    string `yaml:"static_dir"`
	BcryptCost   int    `yaml:"bcrypt_cost"`
	// DebugListen, when set, serves net/http/pprof on this address (keep
	// it on loopback); empty, the default, serves nothing.
	DebugListen string `yaml:"debug_listen"`

	Lifetimes Lifetimes `yaml:"lifetimes"`
	Keys      KeyConfig `yaml:"keys"`

	Registration RegistrationConfig `yaml:"registration"`
	Mail         MailConfig         `yaml:"mail"`
	Branding     BrandingConfig     `yaml:"branding"`
	// Providers are the upstream identity providers (federation). A
	// provider's client secret can also come from
	// GATEHOUSE_PROVIDERS_<ID>_CLIENT_SECRET (or _FILE).
	Providers []ProviderConfig `yaml:"providers"`
	RateLimit RateLimitConfig  `yaml:"ratelimit"`
	// TrustedProxies are the addresses or CIDR ranges of reverse proxies
	// whose X-Forwarded-For names the client.
	TrustedProxies []string      `yaml:"trusted_proxies"`
	CORS           CORSConfig    `yaml:"cors"`
	TLS            TLSConfig     `yaml:"tls"`
	Audit          AuditConfig   `yaml:"audit"`
	DatabasePool   PoolConfig    `yaml:"database_pool"`
	Janitor        JanitorConfig `yaml:"janitor"`
	// MetricsListen, when set, serves /metrics on this address only,
	// instead of on the main listener.
	MetricsListen string `yaml:"metrics_listen"`

	// Resources are the protected resources (RFC 8707) any client may ask
	// tokens for. From the environment: GATEHOUSE_RESOURCES as JSON.
	Resources               []ResourceConfig              `yaml:"resources"`
	DynamicRegistration     DynamicRegistrationConfig     `yaml:"dynamic_registration"`
	ClientMetadataDocuments ClientMetadataDocumentsConfig `yaml:"client_metadata_documents"`
	// MFA configures second factors: TOTP, passkeys, recovery codes and
	// who must have one.
	MFA MFAConfig `yaml:"mfa"`
	// BackchannelLogout configures the delivery of logout tokens (OpenID
	// Connect Back-Channel Logout).
	BackchannelLogout BackchannelLogoutConfig `yaml:"backchannel_logout"`
	// Clients are OAuth2 clients declared here: created or updated at
	// start, read-only in the admin API; one removed from the list is
	// disabled. A secret can come from GATEHOUSE_CLIENTS_<ID>_SECRET (or
	// _FILE).
	Clients []ClientConfig `yaml:"clients"`

	// The modern grants (config_grants.go).
	Device        DeviceConfig        `yaml:"device"`
	PAR           PARConfig           `yaml:"par"`
	DPoP          DPoPConfig          `yaml:"dpop"`
	TokenExchange TokenExchangeConfig `yaml:"token_exchange"`
	// Console configures the admin console at /console.
	Console ConsoleConfig `yaml:"console"`
}

// ConsoleConfig configures the admin console (config section console:).
type ConsoleConfig struct {
	// RequireMFA: an admin must have signed in with a second factor to
	// use the console. Default true.
	RequireMFA bool `yaml:"require_mfa"`
}

// BackchannelLogoutConfig configures back-channel logout deliveries.
type BackchannelLogoutConfig struct {
	// AllowedHosts may receive logout tokens although they resolve to a
	// loopback, private or reserved address (refused otherwise).
	AllowedHosts []string `yaml:"allowed_hosts"`
	// Timeout bounds each request; RetryFor is how long after the session
	// ended a failed delivery is retried (with backoff); Interval is how
	// often each node looks for due deliveries.
	Timeout  Duration `yaml:"timeout"`
	RetryFor Duration `yaml:"retry_for"`
	Interval Duration `yaml:"interval"`
}

// RegistrationConfig controls self-service sign-up.
type RegistrationConfig struct {
	Enabled bool `yaml:"enabled"`
	// RequireVerifiedEmail keeps new accounts from signing in until they
	// followed the verification link.
	RequireVerifiedEmail bool `yaml:"require_verified_email"`
	// CommonPasswords refuses passwords from the embedded list of the most
	// common ones.
	CommonPasswords bool `yaml:"common_passwords"`
}

// MailConfig selects how mail goes out: driver "smtp" or "file" (each
// message an .eml file in Dir).
type MailConfig struct {
	Driver   string `yaml:"driver"`
	Dir      string `yaml:"dir"`
	From     string `yaml:"from"`
	Host     string `yaml:"host"`
	Port     int    `yaml:"port"`
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// StartTLS is "mandatory" (default), "opportunistic" or "off".
	StartTLS string `yaml:"starttls"`
}

// BrandingConfig is what the pages show of the product.
type BrandingConfig struct {
	ProductName  string `yaml:"product_name"`
	LogoURL      string `yaml:"logo_url"`
	PrimaryColor string `yaml:"primary_color"`
}

// ProviderConfig is one upstream identity provider.
type ProviderConfig struct {
	ID           string   `yaml:"id"`
	Type         string   `yaml:"type"` // oidc, google, github
	Name         string   `yaml:"name"` // the button text
	ClientID     string   `yaml:"client_id"`
	ClientSecret string   `yaml:"client_secret"`
	Scopes       []string `yaml:"scopes"`
	Issuer       string   `yaml:"issuer"`        // oidc
	HostedDomain string   `yaml:"hosted_domain"` // google: only accounts of this domain
	AuthURL      string   `yaml:"auth_url"`      // github enterprise
	TokenURL     string   `yaml:"token_url"`     // github enterprise
	APIURL       string   `yaml:"api_url"`       // github enterprise
	// Timeout bounds each request to the provider (discovery, token, API);
	// 0 means 10s.
	Timeout Duration `yaml:"timeout"`
	// LinkByEmail lets a login whose email this provider has verified link
	// to the existing local account with that (verified) address. Default
	// true; set false for a provider whose email_verified claim you do not
	// trust (an IdP where users set their own address unchecked).
	LinkByEmail *bool `yaml:"link_by_email"`
}

// RateLimitConfig bounds login attempts against brute force.
type RateLimitConfig struct {
	// RedisURL, when set, keeps the counters in Redis so nodes share them;
	// otherwise they live in the database.
	RedisURL string `yaml:"redis_url"`
	// Store is where the counters live without Redis: "memory" (this
	// process only) or "database" (shared by every node on the database).
	// Empty picks memory on SQLite, a single node, and the database on
	// PostgreSQL, where nodes must share one limit.
	Store  string   `yaml:"store"`
	Window Duration `yaml:"window"`
	// AccountFailures is how many failed logins an account may have per
	// window from one client IP (or one browser that signed in before).
	AccountFailures int `yaml:"account_failures"`
	// AccountTotalFailures is how many failed logins an account may have
	// per window from everywhere; then only browsers that signed in to it
	// before get through. 0 means max(50, 10 × account_failures).
	AccountTotalFailures int `yaml:"account_total_failures"`
	// IPAttempts is how many attempts one client IP may make per window.
	IPAttempts int `yaml:"ip_attempts"`
}

// CORSConfig lists the origins allowed to call the browser-facing API
// endpoints (token, userinfo, JWKS, discovery, revoke).
type CORSConfig struct {
	AllowedOrigins []string `yaml:"allowed_origins"`
}

// TLSConfig serves HTTPS directly when both files are set (reloaded on
// SIGHUP).
type TLSConfig struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

// AuditConfig controls the stored audit log.
type AuditConfig struct {
	Retention Duration `yaml:"retention"`
}

// PoolConfig sizes the PostgreSQL connection pool.
type PoolConfig struct {
	MaxConns       int      `yaml:"max_conns"`
	MinConns       int      `yaml:"min_conns"`
	ConnectTimeout Duration `yaml:"connect_timeout"`
	MaxConnLife    Duration `yaml:"max_conn_lifetime"`
	// StatementTimeout and LockTimeout bound every statement, and every
	// wait for a lock, on PostgreSQL connections (0 turns one off).
	StatementTimeout Duration `yaml:"statement_timeout"`
	LockTimeout      Duration `yaml:"lock_timeout"`
}

// JanitorConfig schedules the background cleanup.
type JanitorConfig struct {
	Interval Duration `yaml:"interval"`
	// BatchSize is how many rows of each table one delete takes;
	// BatchPause the rest between deletes, which leaves the database to
	// the requests; PassTimeout ends a pass, whatever is left waiting for
	// the next one.
	BatchSize   int      `yaml:"batch_size"`
	BatchPause  Duration `yaml:"batch_pause"`
	PassTimeout Duration `yaml:"pass_timeout"`
}

// Lifetimes of tokens and sessions.
type Lifetimes struct {
	AccessToken    Duration `yaml:"access_token"`
	RefreshToken   Duration `yaml:"refresh_token"`
	IDToken        Duration `yaml:"id_token"`
	AuthorizeCode  Duration `yaml:"authorize_code"`
	BrowserSession Duration `yaml:"browser_session"`
	// PasswordReset and EmailVerification are the lifetimes of the links
	// mailed to people.
	PasswordReset     Duration `yaml:"password_reset"`
	EmailVerification Duration `yaml:"email_verification"`
	// RefreshReuseGrace is how long after its first use a refresh token
	// may be used again (a fresh pair, nothing revoked); 0 (the default):
	// any reuse revokes the token's whole family.
	RefreshReuseGrace Duration `yaml:"refresh_reuse_grace"`
}

// MFAConfig configures second factors (config section mfa:).
type MFAConfig struct {
	// TOTP offers authenticator-app codes (RFC 6238). Default true.
	TOTP bool `yaml:"totp"`
	// Passkeys offers WebAuthn passkeys. Default true.
	Passkeys bool `yaml:"passkeys"`
	// RPID is the WebAuthn relying-party id; empty means the issuer's
	// host (see Config.RPID).
	RPID string `yaml:"rp_id"`
	// RequiredRoles: a person holding one of these roles must enrol a
	// second factor at the next sign-in, before any code is issued.
	RequiredRoles []string `yaml:"required_roles"`
	// RecoveryCodes is how many single-use recovery codes one set holds.
	// Default 10.
	RecoveryCodes int `yaml:"recovery_codes"`
}

// RPID returns the WebAuthn relying-party id: mfa.rp_id, or the issuer's
// host when it is empty.
func (c *Config) RPID() string {
	if c.MFA.RPID != "" {
		return c.MFA.RPID
	}
	u, err := url.Parse(c.Issuer)
	if err != nil {
		return ""
	}
	return u.Hostname()
}

// KeyConfig configures the signing keys.
type KeyConfig struct {
	Algorithm string `yaml:"algorithm"`
	// RSABits is the size of generated RS256 keys: 2048, 3072 or 4096.
	RSABits         int      `yaml:"rsa_bits"`
	PublishAhead    Duration `yaml:"publish_ahead"`
	RefreshInterval Duration `yaml:"refresh_interval"`
}

// Duration is a time.Duration written as "15m", "168h" in YAML and env.
type Duration time.Duration

// UnmarshalYAML parses a Go duration string. A bad one is a *yaml.TypeError,
// which lets the decoder go on and report every problem of the file.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %q is not a duration (use e.g. 15m, 1h, 168h)", n.Line, n.Value)}}
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration as a string.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// D returns the time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// DevListen is where the embedded default serves.
const DevListen = "127.0.0.1:8080"

// DevDatabase is the embedded default's SQLite database.
const DevDatabase = "gatehouse.db"

// Defaults returns the configuration before file and environment: the
// embedded development default.
func Defaults() Config {
	c := Config{
		Issuer:     "http://" + DevListen,
		Listen:     DevListen,
		Database:   DevDatabase,
		LogLevel:   "info",
		BcryptCost: 12,
		Lifetimes: Lifetimes{
			AccessToken:       Duration(15 * time.Minute),
			RefreshToken:      Duration(7 * 24 * time.Hour),
			IDToken:           Duration(time.Hour),
			AuthorizeCode:     Duration(10 * time.Minute),
			BrowserSession:    Duration(24 * time.Hour),
			PasswordReset:     Duration(time.Hour),
			EmailVerification: Duration(48 * time.Hour),
		},
		Keys: KeyConfig{
			Algorithm:       "RS256",
			RSABits:         2048,
			PublishAhead:    Duration(5 * time.Minute),
			RefreshInterval: Duration(time.Minute),
		},
		Registration: RegistrationConfig{Enabled: true, CommonPasswords: true},
		Mail:         MailConfig{Driver: "file", Dir: DefaultMailDir(DevDatabase), Port: 587, StartTLS: "mandatory"},
		Branding:     BrandingConfig{ProductName: "Gatehouse", PrimaryColor: "#2f5bea"},
		RateLimit: RateLimitConfig{
			Window:          Duration(15 * time.Minute),
			AccountFailures: 5,
			IPAttempts:      100,
		},
		Audit: AuditConfig{Retention: Duration(90 * 24 * time.Hour)},
		DatabasePool: PoolConfig{MaxConns: 20, ConnectTimeout: Duration(5 * time.Second), MaxConnLife: Duration(time.Hour),
			StatementTimeout: Duration(30 * time.Second), LockTimeout: Duration(5 * time.Second)},
		Janitor: JanitorConfig{Interval: Duration(5 * time.Minute),
			BatchSize: 500, BatchPause: Duration(100 * time.Millisecond), PassTimeout: Duration(time.Minute)},
		BackchannelLogout: BackchannelLogoutConfig{Timeout: Duration(5 * time.Second),
			RetryFor: Duration(time.Hour), Interval: Duration(2 * time.Second)},
		MFA:     MFAConfig{TOTP: true, Passkeys: true, RecoveryCodes: 10},
		Console: ConsoleConfig{RequireMFA: true},
	}
	agentDefaults(&c)
	grantDefaults(&c)
	return c
}

// Problems are configuration errors that still leave a Config worth
// validating, so that Load reports every problem at once.
type Problems []error

func (p Problems) Error() string { return errors.Join(p...).Error() }

// Load is LoadAndValidate, then the dev secret (EnsureDevSecret). It
// returns the dev secret's path when one was used. A configuration that
// fails validation writes nothing: no secret file is made for it.
func Load(path string, lookup func(string) (string, bool)) (Config, string, error) {
	cfg, err := LoadAndValidate(path, lookup)
	if err != nil {
		return Config{}, "", err
	}
	secretPath, err := EnsureDevSecret(&cfg)
	if err != nil {
		return Config{}, "", err
	}
	return cfg, secretPath, nil
}

// LoadAndValidate is LoadConfig, then Validate, with every problem of both
// reported together. It writes nothing; in dev mode the secret may still
// be missing (see EnsureDevSecret).
func LoadAndValidate(path string, lookup func(string) (string, bool)) (Config, error) {
	cfg, err := LoadConfig(path, lookup)
	var problems Problems
	if err != nil && !errors.As(err, &problems) {
		return Config{}, err
	}
	all := append([]error(problems), cfg.Validate())
	if err := errors.Join(all...); err != nil {
		return Config{}, fmt.Errorf("invalid configuration: %w", err)
	}
	return cfg, nil
}

// LoadConfig reads the YAML file at path (none when path is ""), then the
// GATEHOUSE_* environment from lookup (os.LookupEnv when nil). Without a
// file, dev mode is on unless the environment says otherwise. The result
// is not validated: call Validate, or use Load. Unknown keys and bad values
// come back as Problems with the rest of the configuration loaded; an
// unreadable or malformed file is a plain error.
func LoadConfig(path string, lookup func(string) (string, bool)) (Config, error) {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	cfg := Defaults()
	var problems Problems
	if path == "" {
		cfg.Dev = true
	} else {
		raw, err := os.ReadFile(path)
		if err != nil {
			return Config{}, fmt.Errorf("config: %w", err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		dec.KnownFields(true)
		var typeErr *yaml.TypeError
		switch err := dec.Decode(&cfg); {
		case err == nil, errors.Is(err, io.EOF):
		case errors.As(err, &typeErr):
			for _, e := range typeErr.Errors {
				problems = append(problems, fmt.Errorf("config %s: %s", path, friendlyYAML(e)))
			}
		default:
			return Config{}, fmt.Errorf("config %s: %w", path, err)
		}
	}
	problems = append(problems, applyEnv(reflect.ValueOf(&cfg).Elem(), "GATEHOUSE", lookup)...)
	problems = append(problems, applyProviderSecrets(&cfg, lookup)...)
	problems = append(problems, applyClientSecrets(&cfg, lookup)...)
	if cfg.Dev && cfg.Issuer == Defaults().Issuer && cfg.Listen != DevListen {
		// A dev server moved to another address keeps a matching issuer;
		// a wildcard listen host is reached through loopback.
		if host, port, err := net.SplitHostPort(cfg.Listen); err == nil {
			if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
				host = "127.0.0.1"
			}
			cfg.Issuer = "http://" + net.JoinHostPort(host, port)
		}
	}
	if cfg.Mail.Dir == Defaults().Mail.Dir {
		// The default data directory follows the database.
		cfg.Mail.Dir = DefaultMailDir(cfg.Database)
	}
	if problems != nil {
		return cfg, problems
	}
	return cfg, nil
}

var unknownFieldRE = regexp.MustCompile(`^(line \d+): field (\S+) not found in type server\.\w+$`)

// friendlyYAML rewords the decoder's unknown-field message, which names
// Go types, in terms of the file.
func friendlyYAML(msg string) string {
	if m := unknownFieldRE.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("%s: unknown key %q", m[1], m[2])
	}
	return msg
}

// applyEnv sets each leaf of v from GATEHOUSE_<PATH> or
// GATEHOUSE_<PATH>_FILE, and returns every problem it met.
func applyEnv(v reflect.Value, prefix string, lookup func(string) (string, bool)) Problems {
	var problems Problems
	_ = eachLeaf(v, prefix, func(name string, fv reflect.Value) error {
		val, ok := lookup(name)
		file, fok := lookup(name + "_FILE")
		if ok && fok {
			problems = append(problems, fmt.Errorf("config: both %s and %s_FILE are set; use one", name, name))
			return nil
		}
		if fok {
			raw, err := os.ReadFile(file)
			if err != nil {
				problems = append(problems, fmt.Errorf("config: %s_FILE: %w", name, err))
				return nil
			}
			val, ok = strings.TrimRight(string(raw), "\r\n"), true
		}
		if !ok {
			return nil
		}
		if err := setField(fv, val); err != nil {
			problems = append(problems, fmt.Errorf("config: %s: %w", name, err))
		}
		return nil
	})
	return problems
}

// eachLeaf calls fn with the environment name of every leaf field of the
// struct v (prefix + "_" + the upper-cased yaml path).
func eachLeaf(v reflect.Value, prefix string, fn func(name string, fv reflect.Value) error) error {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		key, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		name := prefix + "_" + strings.ToUpper(key)
		fv := v.Field(i)
		var err error
		if fv.Kind() == reflect.Slice && fv.Type().Elem().Kind() == reflect.Struct && fv.Type() != resourceListType {
			continue // lists of sections (providers) come from the file
		}
		if fv.Kind() == reflect.Struct {
			err = eachLeaf(fv, name, fn)
		} else {
			err = fn(name, fv)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func setField(fv reflect.Value, val string) error {
	switch {
	case fv.Type() == reflect.TypeOf(Duration(0)):
		d, err := time.ParseDuration(val)
		if err != nil {
			return fmt.Errorf("%q is not a duration (use e.g. 15m, 1h, 168h)", val)
		}
		fv.SetInt(int64(d))
	case fv.Type() == resourceListType:
		// A list of sections in one variable: JSON (or YAML flow style).
		var list []ResourceConfig
		if err := yaml.Unmarshal([]byte(val), &list); err != nil {
			return fmt.Errorf("not a JSON list of {\"uri\": …, \"scopes\": […]}: %w", err)
		}
		fv.Set(reflect.ValueOf(list))
	case fv.Kind() == reflect.String:
		fv.SetString(val)
	case fv.Type() == reflect.TypeOf([]string(nil)):
		var list []string
		for _, item := range strings.Split(val, ",") {
			if item = strings.TrimSpace(item); item != "" {
				list = append(list, item)
			}
		}
		fv.Set(reflect.ValueOf(list))
	case fv.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(val)
		if err != nil {
			return fmt.Errorf("%q is not true or false", val)
		}
		fv.SetBool(b)
	case fv.Kind() == reflect.Int:
		n, err := strconv.Atoi(val)
		if err != nil {
			return fmt.Errorf("%q is not a whole number", val)
		}
		fv.SetInt(int64(n))
	default:
		return fmt.Errorf("unsupported type %s", fv.Type())
	}
	return nil
}

// resourceListType is Config.Resources, a list of sections that also comes
// from one environment variable.
var resourceListType = reflect.TypeOf([]ResourceConfig(nil))

// UnknownEnv returns the GATEHOUSE_* names in environ (KEY=value lines)
// that set no configuration key: most likely a misspelt one.
func UnknownEnv(environ []string) []string {
	known := map[string]bool{"GATEHOUSE_CONFIG": true}
	_ = eachLeaf(reflect.ValueOf(&Config{}).Elem(), "GATEHOUSE", func(name string, _ reflect.Value) error {
		known[name], known[name+"_FILE"] = true, true
		return nil
	})
	var unknown []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		perProvider := strings.HasPrefix(name, "GATEHOUSE_PROVIDERS_") &&
			(strings.HasSuffix(name, "_CLIENT_SECRET") || strings.HasSuffix(name, "_CLIENT_SECRET_FILE"))
		if strings.HasPrefix(name, "GATEHOUSE_") && !known[name] && !perProvider && !isClientSecretEnv(name) && !strings.HasPrefix(name, "GATEHOUSE_TEST_") {
			unknown = append(unknown, name)
		}
	}
	return unknown
}
