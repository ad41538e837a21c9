package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
)

// Limit names: what bounds a scenario's throughput.
const (
	limitSign   = "sign"   // JWT signatures per second, configured algorithm, all cores, over the signatures per request
	limitBcrypt = "bcrypt" // bcrypt verifications per second at the configured cost
	limitBare   = "bare"   // a bare net/http handler serving the JWKS bytes, same concurrency
	limitMixed  = "mixed"  // the weighted mix of the limits of the mixed scenario's parts
)

// scenario is a named load: setup returns one op per worker.
type scenario struct {
	name  string
	limit string
	// signatures is how many JWTs one request of a sign-bound scenario
	// signs (an OpenID grant signs an ID token too); 0 for the others.
	signatures int
	setup      func(ctx context.Context, a *api, workers int) ([]op, error)
}

// scenarios returns every named scenario, in report order.
func scenarios() []scenario {
	return []scenario{
		{"client_credentials", limitSign, 1, same(func(a *api) op { return wrapToken(a.clientCredentials) })},
		{"password", limitBcrypt, 0, same(func(a *api) op {
			return wrapToken(func(ctx context.Context) (int, tokenResponse, error) { return a.password(ctx, "openid") })
		})},
		{"refresh", limitSign, 2, setupRefresh}, // access and ID token (scope openid)
		{"authcode", limitBcrypt, 0, same(func(a *api) op { return a.authCodeFlow })},
		{"introspection", limitBare, 0, setupIntrospection},
		{"userinfo", limitBare, 0, setupUserinfo},
		{"jwks", limitBare, 0, same(func(a *api) op { return a.getOp(a.ep.JWKS, "") })},
		{"discovery", limitBare, 0, same(func(a *api) op { return a.getOp(a.ep.Discovery, "") })},
		{"device", limitSign, 2, setupDevice}, // access and ID token (scope openid)
		{"dpop_client_credentials", limitSign, 1, setupDPoP},
		{"token_exchange", limitSign, 1, setupExchange}, // an access token only
		{"mixed", limitMixed, 0, setupMixed},
	}
}

// mixWeights is the mixed scenario: a resource-server-heavy day.
var mixWeights = []struct {
	name   string
	weight int
}{
	{"introspection", 30}, {"client_credentials", 25}, {"jwks", 20}, {"userinfo", 15}, {"refresh", 5}, {"discovery", 5},
}

func findScenario(name string) (scenario, bool) {
	for _, s := range scenarios() {
		if s.name == name {
			return s, true
		}
	}
	return scenario{}, false
}

// same gives every worker the same op.
func same(f func(a *api) op) func(context.Context, *api, int) ([]op, error) {
	return func(_ context.Context, a *api, n int) ([]op, error) {
		o := f(a)
		ops := make([]op, n)
		for i := range ops {
			ops[i] = o
		}
		return ops, nil
	}
}

func wrapToken(f func(ctx context.Context) (int, tokenResponse, error)) op {
	return func(ctx context.Context) (int, error) {
		status, _, err := f(ctx)
		return status, err
	}
}

func (a *api) getOp(u, bearer string) op {
	return func(ctx context.Context) (int, error) {
		status, _, err := a.get(ctx, u, bearer)
		return status, err
	}
}

// setupRefresh gives each worker its own refresh-token chain, started with
// a password grant, which each op rotates.
func setupRefresh(ctx context.Context, a *api, n int) ([]op, error) {
	ops := make([]op, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range ops {
		wg.Go(func() {
			_, tr, err := a.password(ctx, "openid offline_access")
			if err == nil && tr.RefreshToken == "" {
				err = fmt.Errorf("password grant: no refresh token")
			}
			if err != nil {
				errs[i] = fmt.Errorf("refresh setup: %w", err)
				return
			}
			rt := tr.RefreshToken
			ops[i] = func(ctx context.Context) (int, error) {
				status, tr, err := a.refresh(ctx, rt)
				if err == nil {
					rt = tr.RefreshToken
				}
				return status, err
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return ops, nil
}

// setupIntrospection introspects one client-credentials access token.
func setupIntrospection(ctx context.Context, a *api, n int) ([]op, error) {
	_, tr, err := a.clientCredentials(ctx)
	if err != nil {
		return nil, fmt.Errorf("introspection setup: %w", err)
	}
	return same(func(a *api) op {
		return func(ctx context.Context) (int, error) { return a.introspect(ctx, tr.AccessToken) }
	})(ctx, a, n)
}

// setupUserinfo asks userinfo with one user's access token.
func setupUserinfo(ctx context.Context, a *api, n int) ([]op, error) {
	_, tr, err := a.password(ctx, "openid profile email")
	if err != nil {
		return nil, fmt.Errorf("userinfo setup: %w", err)
	}
	return same(func(a *api) op { return a.getOp(a.ep.UserInfo, tr.AccessToken) })(ctx, a, n)
}

// setupMixed builds each worker's op from the mixed scenario's parts and
// picks one at random, by weight, per request.
func setupMixed(ctx context.Context, a *api, n int) ([]op, error) {
	parts := make([][]op, len(mixWeights))
	total := 0
	for i, m := range mixWeights {
		s, _ := findScenario(m.name)
		ops, err := s.setup(ctx, a, n)
		if err != nil {
			return nil, err
		}
		parts[i] = ops
		total += m.weight
	}
	ops := make([]op, n)
	for w := range ops {
		rng := rand.New(rand.NewPCG(uint64(w), 7))
		ops[w] = func(ctx context.Context) (int, error) {
			pick := rng.IntN(total)
			for i, m := range mixWeights {
				if pick < m.weight {
					return parts[i][w](ctx)
				}
				pick -= m.weight
			}
			panic("unreachable")
		}
	}
	return ops, nil
}
