// Package web serves Gatehouse's HTML pages: login and consent in the
// authorization flow; registration and email verification; forgotten and
// reset passwords; the account page (profile, password, granted apps,
// sessions, linked sign-ins); logout and the RP-initiated logout endpoint;
// the fixed-text error page; and the static assets, with the branding
// colour as /static/brand.css.
//
// The pages come in groups by flow (groups.go), each holding only what its
// pages use: SignIn (home, login, consent, logout), Federation (upstream
// sign-in), SignUp (registration and verification), Recovery (forgotten
// and reset passwords), Account and Assets. They share base (rendering,
// CSRF, form parsing, error pages); New builds them from Options and the
// route table in server/routes.go mounts their exported methods.
//
// The pages never issue codes or tokens. GET /oauth2/auth (server/oauth)
// sends the browser here with the original authorization request's query in
// a flow parameter; the pages carry it in a hidden field (login,
// registration, consent, the verification link) and, once the person has
// signed in or answered, hand it back through signin.Resumer, which
// re-validates the request and continues or answers with the protocol error.
//
// Every page is parsed at start (a missing or broken template fails start-up,
// not a request), rendered into a buffer before anything is written, and sent
// with no-store and a strict Content-Security-Policy. Every form carries a
// csrf_token bound to a per-browser cookie, and cross-origin form posts are
// refused. What a person reads on an error page is one of the fixed texts in
// errors.go; the detail goes to the log.
//
// Work whose duration would reveal whether an account exists (the lookup,
// token and mail of a password reset or a resent verification) runs on a
// small bounded background queue, so those pages answer alike; Close drains
// it. Mailed links carry 32 random bytes, of which only the SHA-256 is
// stored; they are single-use and expire (storage.OneTimeTokens).
package web
