package web

import (
	"html/template"
	"net/http"

	"github.com/gatehouse-id/gatehouse/storage"
)

// Page data, one type per template. Every form carries CSRFToken.
type (
	loginPage struct {
		Email     string // as typed, or login_hint; never the password
		Flow      string
		ReturnTo  string // a local path to go to after signing in (no flow)
		CSRFToken string
		Error     string
		// Unverified: the password was right but the email must be
		// confirmed first; the page offers to resend the link.
		Unverified  bool
		RegisterURL string // "" when registration is off
		ForgotURL   string
		Providers   []upstreamButton // "Sign in with …" links; see federation.go
		// Passkeys: offer #passkey-login (and passkeys in the email
		// field's autofill).
		Passkeys bool
	}
	consentPage struct {
		ClientName string
		UserEmail  string
		Scopes     []string // plain-words descriptions
		Flow       string
		CSRFToken  string
		SwitchURL  string // sign in as someone else, keeping the flow
		// Unverified: nobody vetted the client (it registered itself or is
		// known by its metadata document); the page says so and shows
		// RedirectHost, where the answer goes, prominently.
		Unverified   bool
		RedirectHost string
	}
	errorPage struct {
		Status  int
		Title   string
		Message string
	}
	signedInPage struct {
		Name  string
		Email string
	}
	registerPage struct {
		Email     string // as typed
		Name      string // as typed
		Flow      string
		CSRFToken string
		Errors    fieldErrors
		LoginURL  string
	}
	// noticePage is a one-message page: done, sent, signed out, or a link
	// that no longer works. Link is optional.
	noticePage struct {
		Title    string
		Message  string
		LinkURL  string
		LinkText string
	}
	forgotPage struct {
		Email     string
		CSRFToken string
		Errors    fieldErrors
	}
	resetPage struct {
		Token     string
		CSRFToken string
		Errors    fieldErrors
	}
	verifyPage struct {
		Token     string
		Flow      string
		CSRFToken string
	}
	logoutPage struct {
		// Action is where the confirmation posts: /logout or the RP
		// logout endpoint, with Fields carried along.
		Action    string
		Fields    []hiddenField
		CSRFToken string
		Email     string
		Client    string // the application asking, if any
	}
	hiddenField       struct{ Name, Value string }
	selectAccountPage struct {
		ClientName, Name, Email, Flow, CSRFToken, SwitchURL string
	}
	accountPage struct {
		Profile    storage.Profile
		Name       string
		Email      string
		Verified   bool
		HasPass    bool
		CSRFToken  string
		Notice     string
		Errors     fieldErrors
		Apps       []accountApp
		Sessions   []accountSession
		Identities []accountIdentity
	}
	accountApp struct {
		ClientID string
		Name     string
		Scopes   []string
		Granted  string
	}
	accountSession struct {
		Handle  string
		Current bool
		Started string
		IP      string
		// Device names the browser readably ("Chrome on Linux");
		// UserAgent is the raw header, for templates that want it.
		Device    string
		UserAgent string
	}
	accountIdentity struct {
		Provider     string // the configured id, posted back to unlink
		ProviderName string // what the login page's button says
		Subject      string
		Email        string
		CanUnlink    bool
	}
)

// fieldErrors maps a form field name to the message shown beside it.
type fieldErrors map[string]string

// sampleErrors fills every field error branch in the dry run.
var sampleErrors = fieldErrors{"confirm": "x", "recovery": "x", "identity": "x", "email": "x", "password": "x", "name": "x", "current_password": "x", "new_password": "x", "form": "x"}

// samples fill every branch of each page in the dry run at start, so that
// an override referring to a field that does not exist fails start-up.
var samples = map[string]any{
	tmplLogin: loginPage{Email: "a@example.com", Flow: "client_id=x", ReturnTo: "/account", CSRFToken: "t", Error: MsgLoginFailed,
		Unverified: true, RegisterURL: "/register", ForgotURL: "/forgot-password",
		Providers: []upstreamButton{{ID: "p", Name: "P", URL: "/login/p"}}},
	tmplConsent:  consentPage{ClientName: "App", UserEmail: "a@example.com", Scopes: []string{"x"}, Flow: "client_id=x", CSRFToken: "t", SwitchURL: "/login"},
	tmplError:    errorPage{Status: http.StatusBadRequest, Title: "Error", Message: MsgInvalidRequest},
	tmplSignedIn: signedInPage{Name: "A", Email: "a@example.com"},
	tmplRegister: registerPage{Email: "a@example.com", Name: "A", Flow: "client_id=x", CSRFToken: "t", Errors: sampleErrors, LoginURL: "/login"},
	tmplNotice:   noticePage{Title: "T", Message: "M", LinkURL: "/login", LinkText: "Sign in"},
	tmplHome:     homePage{Register: true},
	tmplForgot:   forgotPage{Email: "a@example.com", CSRFToken: "t", Errors: sampleErrors},
	tmplReset:    resetPage{Token: "x", CSRFToken: "t", Errors: sampleErrors},
	tmplVerify:   verifyPage{Token: "x", Flow: "client_id=x", CSRFToken: "t"},
	tmplLogout:   logoutPage{Action: "/logout", Fields: []hiddenField{{"a", "b"}}, CSRFToken: "t", Email: "a@example.com", Client: "App"},
	tmplLoginMFA: mfaPage{CSRFToken: "t", Flow: "client_id=x", ReturnTo: "/account", Email: "a@example.com", TOTP: true, Recovery: true,
		Passkey: true, StepUp: true, Error: MsgWrongCode},
	tmplSecurity: securityPage{CSRFToken: "t", Email: "a@example.com", Notice: "n", Errors: sampleErrors, HasPass: true, Flow: "client_id=x",
		MustEnrol: true, TOTPOffered: true, TOTP: &securityFactor{Kind: "totp", Name: "App", Added: "today", LastUsed: "today"},
		HasSecond: true, RecoveryLeft: 3, Factors: []securityFactor{{Kind: "totp", Name: "App", Added: "today", LastUsed: "today"}},
		Sections: []template.HTML{"<section></section>"}, Scripts: []string{"/static/x.js"}},
	tmplTOTP:          totpPage{CSRFToken: "t", Secret: "JBSWY3DPEHPK3PXP", QR: "data:image/png;base64,AA==", Flow: "client_id=x", Error: MsgWrongCode},
	tmplCodes:         codesPage{Codes: []string{"abcde-fghjk"}},
	tmplSelectAccount: selectAccountPage{ClientName: "App", Name: "A", Email: "a@example.com", Flow: "client_id=x", CSRFToken: "t", SwitchURL: "/login"},
	tmplAccount: accountPage{Name: "A", Email: "a@example.com", Verified: true, HasPass: true, CSRFToken: "t", Notice: "n", Errors: sampleErrors,
		Apps:       []accountApp{{ClientID: "c", Name: "C", Scopes: []string{"x"}, Granted: "today"}},
		Sessions:   []accountSession{{Handle: "h", Current: true, Started: "today", IP: "1.2.3.4", Device: "Chrome on Linux", UserAgent: "UA"}},
		Identities: []accountIdentity{{Provider: "p", ProviderName: "P", Subject: "s", Email: "e", CanUnlink: true}}},
	tmplDevice: devicePage{UserEmail: "a@example.com", UserCode: "BCDF-GHJK", ClientName: "TV", Scopes: []string{"x"}, Error: MsgDeviceCodeUnknown, Done: MsgDeviceApproved, CSRFToken: "t"},
}
