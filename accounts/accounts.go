// Package accounts holds the rules for people's accounts: email and password
// validation, bcrypt hashing on a bounded worker pool, and authentication
// that takes the same time whether or not the account exists.
package accounts

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/mail"
	"runtime"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"
	"golang.org/x/crypto/bcrypt"

	"github.com/gatehouse-id/gatehouse/ratelimit"
	"github.com/gatehouse-id/gatehouse/storage"
)

// Password length limits. bcrypt ignores bytes after the 72nd, so longer
// passwords are refused rather than silently truncated.
const (
	MinPasswordLength = 8
	MaxPasswordBytes  = 72
	DefaultCost       = 12
)

// MaxEmailBytes is the longest email address accepted (RFC 5321's
// 256-byte path, less its angle brackets).
const MaxEmailBytes = 254

// Errors returned to callers, who map them to user-facing text.
var (
	// ErrInvalidCredentials covers unknown email, wrong password and
	// disabled accounts alike, so callers cannot tell them apart.
	ErrInvalidCredentials = errors.New("accounts: invalid email or password")
	ErrInvalidEmail       = errors.New("accounts: invalid email address")
	ErrPasswordTooShort   = fmt.Errorf("accounts: password must be at least %d characters", MinPasswordLength)
	ErrPasswordTooLong    = fmt.Errorf("accounts: password must be at most %d bytes", MaxPasswordBytes)
	ErrNameRequired       = errors.New("accounts: name is required")
	ErrEmailTaken         = errors.New("accounts: an account with this email already exists")
	// ErrRateLimited is matched by the *ratelimit.LimitedError that
	// Authenticate returns while an account or client IP is over its limit.
	ErrRateLimited = ratelimit.ErrLimited
)

// Service authenticates and creates users.
type Service struct {
	store     storage.Users
	cost      int
	slots     chan struct{} // bounds concurrent bcrypt work
	dummyHash []byte
	now       func() time.Time
	limiter   *ratelimit.Limiter
}

// New returns a Service hashing with the given bcrypt cost (DefaultCost when 0).
func New(store storage.Users, cost int) (*Service, error) {
	if cost == 0 {
		cost = DefaultCost
	}
	if cost < bcrypt.MinCost || cost > bcrypt.MaxCost {
		return nil, fmt.Errorf("accounts: bcrypt cost %d out of range %d..%d", cost, bcrypt.MinCost, bcrypt.MaxCost)
	}
	dummy, err := bcrypt.GenerateFromPassword([]byte("gatehouse-timing-equaliser"), cost)
	if err != nil {
		return nil, fmt.Errorf("accounts: dummy hash: %w", err)
	}
	return &Service{
		store:     store,
		cost:      cost,
		slots:     make(chan struct{}, runtime.GOMAXPROCS(0)),
		dummyHash: dummy,
		now:       time.Now,
	}, nil
}

// LimitLogins makes Authenticate enforce l's login limits (per account and
// per client IP). Call it before the Service is in use.
func (s *Service) LimitLogins(l *ratelimit.Limiter) { s.limiter = l }

// NormalizeEmail checks the syntax of a bare address and lower-cases it.
// An address with a character that shows as nothing or as a blank is
// refused: it would look like another person's ("ceo\u200b@corp.example").
// (Stored addresses keep the Unicode form they were typed in; folding them
// to NFC needs a migration of the stored rows.)
func NormalizeEmail(email string) (string, error) {
	email = strings.TrimSpace(email)
	if len(email) > MaxEmailBytes || strings.IndexFunc(email, invisible) >= 0 {
		return "", ErrInvalidEmail
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || addr.Name != "" || !strings.Contains(email, "@") {
		return "", ErrInvalidEmail
	}
	return strings.ToLower(email), nil
}

// invisible reports whether r shows as nothing or as a blank: a control,
// format (zero-width, bidirectional), space or other default-ignorable
// character (variation selectors, fillers, the combining grapheme
// joiner), or the blank Braille pattern.
func invisible(r rune) bool {
	return unicode.IsControl(r) || unicode.IsSpace(r) ||
		unicode.In(r, unicode.Cf, unicode.Other_Default_Ignorable_Code_Point, unicode.Variation_Selector) ||
		r == '\u2800'
}

// ValidatePassword enforces the length rules.
func ValidatePassword(password string) error {
	if len([]rune(password)) < MinPasswordLength {
		return ErrPasswordTooShort
	}
	if len(password) > MaxPasswordBytes {
		return ErrPasswordTooLong
	}
	return nil
}

// HashPassword validates and bcrypt-hashes a password.
func (s *Service) HashPassword(ctx context.Context, password string) ([]byte, error) {
	if err := ValidatePassword(password); err != nil {
		return nil, err
	}
	var hash []byte
	err := s.withSlot(ctx, func() (err error) {
		hash, err = bcrypt.GenerateFromPassword([]byte(password), s.cost)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("accounts: hash password: %w", err)
	}
	return hash, nil
}

// Authenticate returns the user with this email and password. Unknown
// emails are checked against a dummy hash so every failure costs one bcrypt
// comparison. A hash made with a lower cost than configured is upgraded.
//
// With a limiter (LimitLogins), an account or client IP over its limit is
// refused with a *ratelimit.LimitedError (ErrRateLimited) before the
// password is looked at, so even the right password does not get in until
// the window ends; each failure counts against the account, and a success
// clears its failures.
func (s *Service) Authenticate(ctx context.Context, email, password string) (storage.User, error) {
	normalized, emailErr := NormalizeEmail(email)
	user, err := storage.User{}, storage.ErrNotFound
	if emailErr == nil {
		user, err = s.store.GetUserByEmail(ctx, normalized)
	}
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return storage.User{}, fmt.Errorf("accounts: look up user: %w", err)
	}
	account := normalized
	if emailErr != nil {
		account = strings.ToLower(strings.TrimSpace(email))
	}
	if lerr := s.limiter.CheckLogin(ctx, account, user.ID); lerr != nil {
		return storage.User{}, lerr // refused before waiting for bcrypt
	}
	hash := s.dummyHash
	if err == nil && len(user.PasswordHash) > 0 {
		hash = user.PasswordHash
	}
	var ok bool
	var limitErr error
	if slotErr := s.withSlot(ctx, func() error {
		// Checked again once a bcrypt slot is free, and failures counted
		// before it is released, so attempts queued behind a burst are
		// refused as soon as the ones before them lock the account: at
		// most one attempt per slot gets past a limit.
		if limitErr = s.limiter.CheckLogin(ctx, account, user.ID); limitErr != nil {
			return nil
		}
		cmpErr := bcrypt.CompareHashAndPassword(hash, []byte(password))
		ok = err == nil && len(user.PasswordHash) > 0 && cmpErr == nil && !user.Disabled
		if !ok {
			s.limiter.LoginFailed(ctx, account)
		}
		return nil
	}); slotErr != nil {
		return storage.User{}, slotErr
	}
	if limitErr != nil {
		return storage.User{}, limitErr
	}
	if !ok {
		return storage.User{}, ErrInvalidCredentials
	}
	s.limiter.LoginSucceeded(ctx, account)
	if cost, _ := bcrypt.Cost(hash); cost < s.cost {
		s.upgradeHash(ctx, user.ID, hash, password)
	}
	return user, nil
}

// errHashChanged aborts a hash upgrade whose verified hash was replaced.
var errHashChanged = errors.New("accounts: password hash changed since it was verified")

// upgradeHash rehashes at the configured cost. It is a compare-and-swap:
// the new hash is written only while the stored one is still verified, the
// hash the password was checked against, so a password change or reset
// that lands between the check and the rehash is never undone. Failure is
// not fatal since the login itself succeeded, so it is ignored and retried
// next login.
func (s *Service) upgradeHash(ctx context.Context, userID string, verified []byte, password string) {
	hash, err := s.HashPassword(ctx, password)
	if err != nil {
		return
	}
	_ = s.store.UpdateUser(ctx, userID, func(u *storage.User) error {
		if subtle.ConstantTimeCompare(u.PasswordHash, verified) != 1 {
			return errHashChanged
		}
		u.PasswordHash = hash
		u.UpdatedAt = s.now().UTC()
		return nil
	})
}

// NewUser describes an account to create.
type NewUser struct {
	Email         string
	Password      string // empty: no password (upstream-only account)
	Name          string
	Roles         []string
	EmailVerified bool
}

// CreateUser validates and stores a new user. Roles are normalised by
// NormalizeRoles: they always include "user".
func (s *Service) CreateUser(ctx context.Context, nu NewUser) (storage.User, error) {
	email, err := NormalizeEmail(nu.Email)
	if err != nil {
		return storage.User{}, err
	}
	name, err := NormalizeName(nu.Name)
	if err != nil {
		return storage.User{}, err
	}
	var hash []byte
	if nu.Password != "" {
		if hash, err = s.HashPassword(ctx, nu.Password); err != nil {
			return storage.User{}, err
		}
	}
	roles, err := NormalizeRoles(nu.Roles)
	if err != nil {
		return storage.User{}, err
	}
	now := s.now().UTC()
	u := storage.User{
		ID:            uuid.NewString(),
		Email:         email,
		EmailVerified: nu.EmailVerified,
		Name:          name,
		PasswordHash:  hash,
		Roles:         roles,
		CreatedAt:     now,
		UpdatedAt:     now,
	}
	if err := s.store.CreateUser(ctx, u); err != nil {
		if errors.Is(err, storage.ErrAlreadyExists) {
			return storage.User{}, ErrEmailTaken
		}
		return storage.User{}, fmt.Errorf("accounts: create user: %w", err)
	}
	return u, nil
}

// withSlot runs fn while holding one of the bcrypt slots, so a login flood
// occupies at most GOMAXPROCS cores and other requests keep being served.
func (s *Service) withSlot(ctx context.Context, fn func() error) error {
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.slots }()
	return fn()
}
