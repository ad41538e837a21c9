package server

import (
	"fmt"

	"github.com/gatehouse-id/gatehouse/clients"
)

// validateClients checks the clients declared in the configuration file
// with the rules of `gatehouse clients create` (clients.Check): a unique
// id (and secret variable), and a secret for every confidential client.
func validateClients(c *Config, k *checker) {
	ids := map[string]bool{}
	envs := map[string]string{}
	for i, cc := range c.Clients {
		name := fmt.Sprintf("clients[%d]", i)
		if cc.ID != "" {
			name = fmt.Sprintf("clients[%s]", cc.ID)
		}
		spec, err := clients.Check(cc.Spec)
		if err != nil {
			k.check(false, "%s: %s", name, err.Error())
			continue
		}
		k.check(!ids[spec.ID], "%s.client_id: %q is declared twice", name, spec.ID)
		ids[spec.ID] = true
		env := ClientSecretEnv(spec.ID)
		if other, ok := envs[env]; ok && other != spec.ID {
			k.check(false, "%s.client_id: %q and %q both take their secret from %s; rename one", name, other, spec.ID, env)
		}
		envs[env] = spec.ID
		k.check(spec.Public || spec.Secret != "", "%s.client_secret: required for a confidential client (set %s or %s_FILE)", name, env, env)
	}
}
