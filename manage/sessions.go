package manage

import (
	"context"
	"errors"
	"fmt"

	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/storage"
)

// ErrAlreadyVerified refuses to mail a verification link to a person
// whose address is confirmed already.
var ErrAlreadyVerified = errors.New("this email address is verified already")

// ErrUserDisabled refuses an action meant for a person who can sign in.
var ErrUserDisabled = errors.New("this user is disabled")

// ErrNoMail refuses to mail a link when no mail is set up here.
var ErrNoMail = errors.New("no mail is sent from here")

// EndSession ends the user's browser session whose public id (the sid
// claim) is sid, through storage.DeleteBrowserSession: its tokens are
// revoked and every client that got some in it hears of it by
// back-channel logout. storage.ErrNotFound when the user has no such
// unexpired session.
func (s *Service) EndSession(ctx context.Context, a Actor, userID, sid string) error {
	sessions, err := s.Store.ListBrowserSessions(ctx, userID, s.now())
	if err != nil {
		return fmt.Errorf("end session: list sessions: %w", err)
	}
	for _, bs := range sessions {
		if bs.SID != sid {
			continue
		}
		if err := s.Store.DeleteBrowserSession(ctx, bs.ID); err != nil {
			return fmt.Errorf("end session: %w", err)
		}
		s.record(ctx, a, audit.SessionRevoked, userID, "", map[string]string{"sid": sid})
		return nil
	}
	return fmt.Errorf("end session: %w", storage.ErrNotFound)
}

// EndSessions signs the user out of every browser (back-channel logout
// for each session, as EndSession) and reports how many sessions ended.
func (s *Service) EndSessions(ctx context.Context, a Actor, userID string) (int, error) {
	if _, err := s.Store.GetUser(ctx, userID); err != nil {
		return 0, fmt.Errorf("end sessions: %w", err)
	}
	sessions, err := s.Store.ListBrowserSessions(ctx, userID, s.now())
	if err != nil {
		return 0, fmt.Errorf("end sessions: list sessions: %w", err)
	}
	if err := s.Store.DeleteUserBrowserSessions(ctx, userID); err != nil {
		return 0, fmt.Errorf("end sessions: %w", err)
	}
	s.record(ctx, a, audit.SessionRevoked, userID, "", map[string]string{"sessions": "all"})
	return len(sessions), nil
}

// ResendVerification mails the user a new email-verification link
// (Service.MailVerification). Refused for a verified address
// (ErrAlreadyVerified), a disabled user (ErrUserDisabled) or without mail
// (ErrNoMail).
func (s *Service) ResendVerification(ctx context.Context, a Actor, userID string) error {
	if s.MailVerification == nil {
		return ErrNoMail
	}
	u, err := s.Store.GetUser(ctx, userID)
	switch {
	case err != nil:
		return fmt.Errorf("resend verification: %w", err)
	case u.EmailVerified:
		return ErrAlreadyVerified
	case u.Disabled:
		return ErrUserDisabled
	}
	s.MailVerification(u)
	s.record(ctx, a, audit.VerificationSent, u.ID, "", nil)
	return nil
}
