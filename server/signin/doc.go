// Package signin is the contract of a sign-in flow between the protocol
// endpoints (server/oauth) and the pages (server/web): what a pending
// authorization request looks like to the login and consent pages (Flow),
// how a page hands the person's step back to the authorization endpoint
// (Resumer, Step, Decision), and how the logout page has an RP-initiated
// logout request validated (LogoutParser, LogoutRequest). It sits below
// both, so neither imports the other.
package signin
