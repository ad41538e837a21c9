// Package manage holds the operator actions the admin API and the CLI
// share: creating users, changing their roles, name and status, deleting
// them (revoking their sessions and tokens); registering, updating and
// deleting clients and rotating their secrets; rotating signing keys.
// Every change is recorded in the audit log with the acting admin's user
// id (or "cli") in Details["actor"].
package manage

import (
	"context"
	"errors"
	"time"

	"github.com/gatehouse-id/gatehouse/accounts"
	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/clients"
	"github.com/gatehouse-id/gatehouse/keys"
	"github.com/gatehouse-id/gatehouse/mfa"
	"github.com/gatehouse-id/gatehouse/storage"
)

// ErrSelf refuses an admin's change that would lock that admin out.
var ErrSelf = errors.New("an admin cannot remove their own admin role, disable or delete themselves")

// ErrLastAdmin refuses a change that would leave no enabled admin: nobody
// could use the admin API any more. Make another admin first.
var ErrLastAdmin = errors.New("this is the last enabled admin; make another user an admin first")

// Actor is who performs an action, for the audit log.
type Actor struct {
	ID        string // the admin's user id, or "cli"
	IP        string
	UserAgent string
}

// CLI is the actor of the gatehouse command-line tool.
var CLI = Actor{ID: "cli"}

// Service performs operator actions. Every field is required except Now
// (time.Now by default).
type Service struct {
	Store    storage.Store
	Accounts *accounts.Service
	Hasher   clients.Hasher
	Keys     *keys.Manager
	Audit    *audit.Recorder
	Now      func() time.Time
	// MFA lists and removes second factors; optional (nil: users have
	// none to show or reset).
	MFA *mfa.Service
	// Notify mails a person about a change to their account's security
	// (a sentence); optional.
	Notify func(user storage.User, change string)
	// MailVerification mails the person a new email-verification link
	// (in the background); optional (nil: ResendVerification refuses).
	MailVerification func(user storage.User)
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now().UTC()
	}
	return s.Now().UTC()
}

// record writes a successful change by a to the audit log.
func (s *Service) record(ctx context.Context, a Actor, typ, userID, clientID string, details map[string]string) {
	if details == nil {
		details = map[string]string{}
	}
	details["actor"] = a.ID
	s.Audit.Record(ctx, storage.AuditEvent{
		Type:      typ,
		Outcome:   audit.Success,
		UserID:    userID,
		ClientID:  clientID,
		IP:        a.IP,
		UserAgent: a.UserAgent,
		Details:   details,
	})
}

// RotateKey publishes a new signing key (see keys.Manager.Rotate).
func (s *Service) RotateKey(ctx context.Context, a Actor) (keys.Info, error) {
	info, err := s.Keys.Rotate(ctx)
	if err != nil {
		return keys.Info{}, err
	}
	s.record(ctx, a, audit.KeyRotated, "", "", map[string]string{"kid": info.ID, "alg": info.Algorithm})
	return info, nil
}
