package console

import "time"

// Template files: tmplShared holds the partials every page uses (the
// navigation, the pager); each other file is one page.
const (
	tmplShared     = "console_shared.html"
	tmplDashboard  = "console_dashboard.html"
	tmplUsers      = "console_users.html"
	tmplUser       = "console_user.html"
	tmplUserNew    = "console_user_new.html"
	tmplClients    = "console_clients.html"
	tmplClient     = "console_client.html"
	tmplSecret     = "console_secret.html"
	tmplKeys       = "console_keys.html"
	tmplAudit      = "console_audit.html"
	tmplConfirm    = "console_confirm.html"
	timeFormat     = "2 Jan 2006 15:04 UTC"
	dayFormat      = "2 Jan 2006"
	filterTimeForm = "2006-01-02T15:04"
)

type (
	dashboardPage struct {
		chrome
		Users, Clients, Sessions int64
		Chart                    chart
		Events                   []eventRow
	}
	eventRow struct {
		Time, Type, Outcome, UserID, ClientID, IP, Details string
		// UserEmail is the user's email, "" when the user is gone.
		UserEmail string
	}
	pager struct {
		Prev, Next string // URLs; "" when there is no such page
		Page       int
	}
	usersPage struct {
		chrome
		Query string
		Users []userRow
		Pager pager
	}
	userRow struct {
		ID, Email, Name, Roles, Created string
		Disabled, Verified, Admin       bool
		Factors                         int
	}
	userPage struct {
		chrome
		ID, Email, Name, Roles, Created, Updated string
		Disabled, Verified, Self                 bool
		Factors                                  []factorRow
		Sessions                                 []sessionRow
		Apps                                     []appRow
	}
	factorRow struct {
		Kind, Name, Added, LastUsed string
		Count                       int
	}
	sessionRow struct {
		SID, Started, Expires, IP, Device, ACR string
	}
	appRow struct {
		ClientID, Name, Scopes, Granted string
	}
	newUserPage struct {
		chrome
		Email, Name, Roles string
		Verified           bool
	}
	clientsPage struct {
		chrome
		Query   string
		Clients []clientRow
		Pager   pager
	}
	clientRow struct {
		ID, Name, Kind, Grants  string
		ConfigManaged, Disabled bool
	}
	// clientPage is the form of a new client (New) or of an existing one;
	// a config-managed client is shown read-only.
	clientPage struct {
		chrome
		New                               bool
		ID, Name                          string
		Public, IntrospectAny, RequireMFA bool
		RedirectURIs, PostLogoutURIs      string // one per line
		Scopes, Audience                  string // space-separated
		Grants                            []grantChoice
		BackchannelURI                    string
		BackchannelSession                bool
		ConfigManaged, Disabled           bool
		Created, Updated                  string
	}
	grantChoice struct {
		Value   string
		Checked bool
	}
	// secretPage shows a client's secret, once.
	secretPage struct {
		chrome
		ID, Secret string
		Rotated    bool
	}
	keysPage struct {
		chrome
		Keys []keyRow
	}
	keyRow struct {
		ID, Algorithm, State, Created, SignFrom, RetireAt string
	}
	auditPage struct {
		chrome
		Type, User, Client, Since, Until string
		Types                            []string
		Events                           []eventRow
		Pager                            pager
		Download                         string
	}
	// confirmPage asks before a destructive action: its form posts the
	// same action again with confirm=yes and the fields carried along.
	confirmPage struct {
		chrome
		Title, Question, Action, Button, Cancel string
		// Subject names what the action is on (an email, a client id).
		Subject string
		Fields  []field
	}
	field struct{ Name, Value string }
)

// samples fill every branch of each page for the dry run at start.
func samples() map[string]any {
	c := chrome{Nav: "users", Admin: "admin@example.com", CSRFToken: "t", Notice: "n", Error: "e"}
	p := pager{Prev: "/console/users?page=1", Next: "/console/users?page=3", Page: 2}
	ev := []eventRow{{Time: "t", Type: "login.success", Outcome: "success", UserID: "u", UserEmail: "e", ClientID: "c", IP: "192.0.2.1", Details: "k=v"}}
	bars := []bar{{X: 1, Y: 2, W: 3, H: 4, Class: "ok", Title: "t"}}
	return map[string]any{
		tmplDashboard: dashboardPage{chrome: c, Users: 1, Clients: 2, Sessions: 3, Events: ev,
			Chart: chart{Width: 10, Height: 10, Bars: bars, Grid: []gridLine{{Y: 1, Label: "1"}}, Labels: []axisLabel{{X: 1, Text: "00:00"}},
				Successes: 1, Failures: 2, From: time.Time{}.Format(timeFormat)}},
		tmplUsers: usersPage{chrome: c, Query: "q", Pager: p,
			Users: []userRow{{ID: "u", Email: "e", Name: "n", Roles: "admin user", Created: "d", Disabled: true, Verified: true, Admin: true, Factors: 1}}},
		tmplUser: userPage{chrome: c, ID: "u", Email: "e", Name: "n", Roles: "user", Created: "d", Updated: "d", Disabled: true, Verified: false, Self: true,
			Factors:  []factorRow{{Kind: "totp", Name: "App", Added: "d", LastUsed: "d", Count: 3}},
			Sessions: []sessionRow{{SID: "s", Started: "d", Expires: "d", IP: "ip", Device: "Chrome on Linux", ACR: "mfa"}},
			Apps:     []appRow{{ClientID: "c", Name: "C", Scopes: "openid", Granted: "d"}}},
		tmplUserNew: newUserPage{chrome: c, Email: "e", Name: "n", Roles: "r", Verified: true},
		tmplClients: clientsPage{chrome: c, Query: "q", Pager: p,
			Clients: []clientRow{{ID: "c", Name: "C", Kind: "confidential", Grants: "g", ConfigManaged: true, Disabled: true}}},
		tmplClient: clientPage{chrome: c, New: true, ID: "c", Name: "C", Public: true, IntrospectAny: true, RequireMFA: true,
			RedirectURIs: "https://a/cb", PostLogoutURIs: "https://a/", Scopes: "openid", Audience: "a",
			Grants: []grantChoice{{Value: "authorization_code", Checked: true}}, BackchannelURI: "https://a/bc", BackchannelSession: true,
			ConfigManaged: true, Disabled: true, Created: "d", Updated: "d"},
		tmplSecret:  secretPage{chrome: c, ID: "c", Secret: "s", Rotated: true},
		tmplKeys:    keysPage{chrome: c, Keys: []keyRow{{ID: "k", Algorithm: "RS256", State: "active", Created: "d", SignFrom: "d", RetireAt: "d"}}},
		tmplAudit:   auditPage{chrome: c, Type: "t", User: "u", Client: "c", Since: "s", Until: "u", Types: []string{"t"}, Events: ev, Pager: p, Download: "/console/audit/export"},
		tmplConfirm: confirmPage{chrome: c, Title: "T", Question: "Q", Subject: "s", Action: "/console/x", Button: "B", Cancel: "/console", Fields: []field{{"a", "b"}}},
	}
}
