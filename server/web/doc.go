// Package web serves Gatehouse's HTML pages: the login and consent forms
// of the authorization flow, the fixed-text error page, and the static
// assets they use.
//
// The pages never issue codes or tokens. GET /oauth2/auth (server/oauth)
// sends the browser here with the original authorization request's query in
// a flow parameter; the pages carry it in a hidden field and, once the person
// has signed in or answered, hand it back through session.Resumer, which
// re-validates the request and continues or answers with the protocol error.
//
// Every page is parsed at start (a missing or broken template fails start-up,
// not a request), rendered into a buffer before anything is written, and sent
// with no-store and a strict Content-Security-Policy. Every form carries a
// csrf_token bound to a per-browser cookie. What a person reads on an error
// page is one of the fixed texts in errors.go; the detail goes to the log.
package web
