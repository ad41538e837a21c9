// Package signin is the contract of a sign-in flow between the protocol
// endpoints (server/oauth) and the pages (server/web): the authorization
// endpoint hands a pending request to the login and consent pages and takes
// it back through Resumer with the Step the person just made; the
// RP-initiated logout endpoint, served by the pages, has its parameters
// validated by server/oauth through LogoutParser. It holds only types and
// interfaces, so both sides import it and neither imports the other.
package signin
