// Package transfer copies a Gatehouse installation's lasting data from one
// storage.Store to another, e.g. from SQLite to PostgreSQL when one machine
// is no longer enough (`gatehouse migrate-data`).
//
// What is copied: users (password hashes, roles, flags), clients (secret
// hashes), consents, upstream identities, second factors (TOTP secrets,
// still sealed, and recovery-code hashes) and signing keys (still
// encrypted under the system secret, so the target deployment must keep
// the same secret). What is not: token sessions, browser sessions, one-time tokens,
// JTIs, rate counters and the audit log: short-lived state, or history that
// stays in the source. Users must sign in again, and clients refresh through
// a new authorization; tokens already issued keep verifying offline, since
// the keys that signed them are copied.
package transfer

import (
	"context"
	"errors"
	"fmt"

	"github.com/gatehouse-id/gatehouse/storage"
)

// ErrTargetNotEmpty is returned by Copy when the target already holds
// users, clients or keys and Options.IntoNonEmpty is not set.
var ErrTargetNotEmpty = errors.New("transfer: the target database is not empty")

// ErrSourceEmpty is returned by Copy when the source holds no user, client
// or key: most likely not the database meant (a mistyped path or schema,
// which opening it has just created), and copying it would report success.
var ErrSourceEmpty = errors.New("transfer: the source database holds no users, clients or signing keys")

// Options control Copy.
type Options struct {
	// IntoNonEmpty copies into a target that already holds data. Rows the
	// target already has (same id, same user email, same consent or
	// identity key) are skipped and counted, never overwritten.
	IntoNonEmpty bool
}

// Stats counts what Copy wrote, and what it skipped because the target had
// it already.
type Stats struct {
	Users      int `json:"users"`
	Clients    int `json:"clients"`
	Consents   int `json:"consents"`
	Identities int `json:"identities"`
	// SecondFactors counts TOTP enrolments and recovery-code sets.
	SecondFactors int `json:"second_factors"`
	Passkeys      int `json:"passkeys"`
	Keys          int `json:"keys"`
	Skipped       int `json:"skipped"`
}

// pageSize is how many users or clients one listing call reads.
const pageSize = 1000

// Copy copies from's users, clients, consents, identities, second factors
// (TOTP, recovery codes, passkeys) and keys into to, in one transaction on
// to: on any error nothing is written. Stop the servers using from first,
// so the copy is complete.
func Copy(ctx context.Context, from, to storage.Store, opts Options) (Stats, error) {
	var st Stats
	switch empty, err := isEmpty(ctx, from); {
	case err != nil:
		return st, fmt.Errorf("transfer: inspect source: %w", err)
	case empty:
		return st, ErrSourceEmpty
	}
	if !opts.IntoNonEmpty {
		switch empty, err := isEmpty(ctx, to); {
		case err != nil:
			return st, fmt.Errorf("transfer: inspect target: %w", err)
		case !empty:
			return st, fmt.Errorf("%w (it has users, clients or signing keys)", ErrTargetNotEmpty)
		}
	}
	err := storage.InTx(ctx, to, func(ctx context.Context) error {
		st = Stats{}
		c := copier{from: from, to: to, st: &st}
		// Clients before users: consents refer to both.
		for _, step := range []func(context.Context) error{c.clients, c.users, c.keys} {
			if err := step(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Stats{}, fmt.Errorf("transfer: %w", err)
	}
	return st, nil
}

// isEmpty reports whether s has no user, client or key.
func isEmpty(ctx context.Context, s storage.Store) (bool, error) {
	us, err := s.ListUsers(ctx, storage.ListOptions{Limit: 1})
	if err != nil {
		return false, err
	}
	cs, err := s.ListClients(ctx, storage.ListOptions{Limit: 1})
	if err != nil {
		return false, err
	}
	ks, err := s.ListKeys(ctx)
	if err != nil {
		return false, err
	}
	return len(us)+len(cs)+len(ks) == 0, nil
}

// copier copies inside the target's transaction (ctx carries it). Existence
// is checked before each insert rather than by catching ErrAlreadyExists,
// since on PostgreSQL a failed statement aborts the whole transaction.
type copier struct {
	from, to storage.Store
	st       *Stats
}

func (c copier) clients(ctx context.Context) error {
	for offset := 0; ; offset += pageSize {
		page, err := c.from.ListClients(ctx, storage.ListOptions{Limit: pageSize, Offset: offset})
		if err != nil {
			return fmt.Errorf("read clients: %w", err)
		}
		for _, cl := range page {
			have, err := exists(c.to.GetClient(ctx, cl.ID))
			if err != nil {
				return fmt.Errorf("client %q: %w", cl.ID, err)
			}
			if err := c.put(have, &c.st.Clients, func() error { return c.to.CreateClient(ctx, cl) }); err != nil {
				return fmt.Errorf("client %q: %w", cl.ID, err)
			}
		}
		if len(page) < pageSize {
			return nil
		}
	}
}

func (c copier) users(ctx context.Context) error {
	for offset := 0; ; offset += pageSize {
		page, err := c.from.ListUsers(ctx, storage.ListOptions{Limit: pageSize, Offset: offset})
		if err != nil {
			return fmt.Errorf("read users: %w", err)
		}
		for _, u := range page {
			if err := c.user(ctx, u); err != nil {
				return fmt.Errorf("user %q: %w", u.ID, err)
			}
		}
		if len(page) < pageSize {
			return nil
		}
	}
}

// user copies u, then its consents, identities, second factors and
// passkeys.
func (c copier) user(ctx context.Context, u storage.User) error {
	byID, err := exists(c.to.GetUser(ctx, u.ID))
	if err != nil {
		return err
	}
	byEmail, err := exists(c.to.GetUserByEmail(ctx, u.Email))
	if err != nil {
		return err
	}
	if byEmail && !byID {
		// Another account holds the email: its grants are not u's.
		c.st.Skipped++
		return nil
	}
	if err := c.put(byID, &c.st.Users, func() error { return c.to.CreateUser(ctx, u) }); err != nil {
		return err
	}
	consents, err := c.from.ListConsents(ctx, u.ID)
	if err != nil {
		return fmt.Errorf("read consents: %w", err)
	}
	for _, cs := range consents {
		// Its client is in the target: every client was copied first.
		have, err := exists(c.to.GetConsent(ctx, cs.UserID, cs.ClientID))
		if err != nil {
			return fmt.Errorf("consent for %q: %w", cs.ClientID, err)
		}
		if err := c.put(have, &c.st.Consents, func() error { return c.to.SaveConsent(ctx, cs) }); err != nil {
			return fmt.Errorf("consent for %q: %w", cs.ClientID, err)
		}
	}
	ids, err := c.from.ListIdentities(ctx, u.ID)
	if err != nil {
		return fmt.Errorf("read identities: %w", err)
	}
	for _, id := range ids {
		have, err := exists(c.to.GetIdentity(ctx, id.Provider, id.Subject))
		if err != nil {
			return fmt.Errorf("identity %s: %w", id.Provider, err)
		}
		if err := c.put(have, &c.st.Identities, func() error { return c.to.CreateIdentity(ctx, id) }); err != nil {
			return fmt.Errorf("identity %s: %w", id.Provider, err)
		}
	}
	if err := c.factors(ctx, u.ID); err != nil {
		return err
	}
	return c.passkeys(ctx, u)
}

// factors copies the user's TOTP enrolment and recovery codes, each
// unless the target has them already.
func (c copier) factors(ctx context.Context, userID string) error {
	t, err := c.from.GetTOTP(ctx, userID)
	switch {
	case errors.Is(err, storage.ErrNotFound):
	case err != nil:
		return fmt.Errorf("read totp: %w", err)
	default:
		have, err := exists(c.to.GetTOTP(ctx, userID))
		if err != nil {
			return fmt.Errorf("totp: %w", err)
		}
		if err := c.put(have, &c.st.SecondFactors, func() error { return c.to.CreateTOTP(ctx, t) }); err != nil {
			return fmt.Errorf("totp: %w", err)
		}
	}
	codes, err := c.from.ListRecoveryCodes(ctx, userID)
	if err != nil || len(codes) == 0 {
		return err
	}
	dst, err := c.to.ListRecoveryCodes(ctx, userID)
	if err != nil {
		return fmt.Errorf("recovery codes: %w", err)
	}
	hashes := make([]string, len(codes))
	for i, rc := range codes {
		hashes[i] = rc.Hash
	}
	return c.put(len(dst) > 0, &c.st.SecondFactors, func() error {
		return c.to.ReplaceRecoveryCodes(ctx, userID, hashes, codes[0].CreatedAt)
	})
}

// passkeys copies u's passkeys.
func (c copier) passkeys(ctx context.Context, u storage.User) error {
	pks, err := c.from.ListPasskeys(ctx, u.ID)
	if err != nil {
		return fmt.Errorf("read passkeys: %w", err)
	}
	for _, p := range pks {
		have, err := exists(c.to.GetPasskey(ctx, p.CredentialID))
		if err != nil {
			return fmt.Errorf("passkey %q: %w", p.Name, err)
		}
		if err := c.put(have, &c.st.Passkeys, func() error { return c.to.CreatePasskey(ctx, p) }); err != nil {
			return fmt.Errorf("passkey %q: %w", p.Name, err)
		}
	}
	return nil
}

func (c copier) keys(ctx context.Context) error {
	src, err := c.from.ListKeys(ctx)
	if err != nil {
		return fmt.Errorf("read keys: %w", err)
	}
	dst, err := c.to.ListKeys(ctx)
	if err != nil {
		return fmt.Errorf("read target keys: %w", err)
	}
	have := map[string]bool{}
	for _, k := range dst {
		have[k.ID] = true
	}
	for _, k := range src {
		if err := c.put(have[k.ID], &c.st.Keys, func() error { return c.to.CreateKey(ctx, k) }); err != nil {
			return fmt.Errorf("key %q: %w", k.ID, err)
		}
	}
	return nil
}

// put runs create unless have, counting the row as written or skipped.
func (c copier) put(have bool, count *int, create func() error) error {
	if have {
		c.st.Skipped++
		return nil
	}
	if err := create(); err != nil {
		return err
	}
	*count++
	return nil
}

// exists turns a Get's result into whether the row exists.
func exists[T any](_ T, err error) (bool, error) {
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, storage.ErrNotFound):
		return false, nil
	}
	return false, err
}
