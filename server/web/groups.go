package web

import (
	"io/fs"
	"time"

	"github.com/gatehouse-id/gatehouse/accounts"
	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/mail"
	"github.com/gatehouse-id/gatehouse/mfa"
	"github.com/gatehouse-id/gatehouse/ratelimit"
	"github.com/gatehouse-id/gatehouse/server/session"
	"github.com/gatehouse-id/gatehouse/server/signin"
	"github.com/gatehouse-id/gatehouse/storage"
)

// flows is what every group that signs a person in or resumes an
// authorization request shares: checkFlow (flow.go) and signIn
// (signin.go).
type flows struct {
	*base
	sessions *session.Manager
	resumer  signin.Resumer
	audit    *audit.Recorder
	// mfa checks and lists second factors; nil: no second factors.
	mfa *mfa.Service
	// pending carries a sign-in from its first factor to /login/mfa.
	pending *mfaPendingCodec
	// requiredRoles are mfa.required_roles.
	requiredRoles []string
	// timeNow is the clock (time.Now when nil).
	timeNow func() time.Time
}

// SignIn serves the home page, login, consent, logout and RP-initiated
// logout (home.go, login.go, consent.go, logout.go).
type SignIn struct {
	*flows
	accounts *accounts.Service
	clients  ClientGetter
	// fed lists the upstream providers' buttons on the login page.
	fed          *federation
	registration Registration
	// accountPages: registration and password reset are served, so the
	// login page links to them.
	accountPages bool
	// logout validates RP-initiated logout requests; nil leaves
	// EndSession unserved.
	logout signin.LogoutParser
	// limiter remembers devices that signed in (device.go).
	limiter *ratelimit.Limiter
	// passkeys: the login page offers a passkey (#passkey-login).
	passkeys bool
}

// Federation serves sign-in through upstream providers (federation.go).
type Federation struct {
	*flows
	fed *federation
}

// mailLinks is what registration and recovery share: one-time tokens
// mailed as links (tokens.go), the background mail queue and the per-IP
// limits on the forms that send mail (ratelimit.go).
type mailLinks struct {
	*base
	store     storage.Store
	mailer    mail.Sender
	issuer    string
	tasks     *tasks
	limiter   *ratelimit.Limiter
	now       func() time.Time
	resetTTL  time.Duration
	verifyTTL time.Duration
}

// SignUp serves registration and e-mail verification (register.go).
type SignUp struct {
	*base
	*flows
	*mailLinks
	accounts     *accounts.Service
	registration Registration
}

// Recovery serves forgot-password and reset-password (reset.go).
type Recovery struct {
	*base
	*mailLinks
	accounts *accounts.Service
	sessions *session.Manager
	audit    *audit.Recorder
	// passwords holds the rules for new passwords.
	passwords Registration
}

// Account serves the account page and its actions (account.go).
type Account struct {
	*base
	store    storage.Store
	sessions *session.Manager
	accounts *accounts.Service
	clients  ClientGetter
	// fed names the providers of linked identities.
	fed       *federation
	audit     *audit.Recorder
	now       func() time.Time
	handleKey []byte // keys the session handles shown on the page
	// passwords holds the rules for new passwords.
	passwords Registration
}

// Assets serves /static/ (static.go).
type Assets struct {
	renderer *Renderer
	static   fs.FS
}
