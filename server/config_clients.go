package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/gatehouse-id/gatehouse/clients"
)

// ClientConfig is one client declared in the configuration file: every
// setting of `gatehouse clients create` and of the admin API, under the
// admin API's names (client_id, client_secret, redirect_uris, …). Its
// secret is best left out of the file: GATEHOUSE_CLIENTS_<ID>_SECRET (or
// _FILE) wins over client_secret.
type ClientConfig struct {
	clients.Spec
}

// UnmarshalYAML reads the entry with the admin API's JSON names, refusing
// unknown keys. A bad entry is a *yaml.TypeError, which lets the decoder
// go on and report every problem of the file.
func (c *ClientConfig) UnmarshalYAML(n *yaml.Node) error {
	var raw map[string]any
	if err := n.Decode(&raw); err != nil {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: a client must be a mapping of its settings", n.Line)}}
	}
	b, err := json.Marshal(raw)
	if err != nil {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: client: %v", n.Line, err)}}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c.Spec); err != nil {
		msg := strings.TrimPrefix(err.Error(), "json: ")
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			msg = fmt.Sprintf("%s: wrong type (want %s)", typeErr.Field, typeErr.Type)
		}
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: client: %s", n.Line, msg)}}
	}
	return nil
}

// MarshalYAML writes the entry with the same names, without the secret.
func (c ClientConfig) MarshalYAML() (any, error) {
	spec := c.Spec
	spec.Secret = ""
	b, err := json.Marshal(spec)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	err = json.Unmarshal(b, &m)
	return m, err
}

// ClientSecretEnv names the environment variable that carries the secret
// of declared client id: GATEHOUSE_CLIENTS_<ID>_SECRET, the id upper-cased
// with every character other than a letter or digit made "_".
func ClientSecretEnv(id string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(id) {
		if r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return "GATEHOUSE_CLIENTS_" + b.String() + "_SECRET"
}

// applyClientSecrets fills each declared client's secret from its
// environment variable (or _FILE), which wins over the file.
func applyClientSecrets(c *Config, lookup func(string) (string, bool)) Problems {
	var problems Problems
	for i := range c.Clients {
		problems = append(problems, secretFromEnv(ClientSecretEnv(c.Clients[i].ID), lookup, &c.Clients[i].Secret)...)
	}
	return problems
}

// isClientSecretEnv reports whether name is a declared client's secret
// variable (or its _FILE).
func isClientSecretEnv(name string) bool {
	return strings.HasPrefix(name, "GATEHOUSE_CLIENTS_") &&
		(strings.HasSuffix(name, "_SECRET") || strings.HasSuffix(name, "_SECRET_FILE"))
}
