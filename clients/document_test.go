package clients

import "testing"

// TestCheckDocumentID covers the client ID URL rules of the metadata
// document draft: dot segments are refused however they are encoded, since
// a server resolving the path would decode %2e to ".".
func TestCheckDocumentID(t *testing.T) {
	for _, id := range []string{
		"https://agent.example/client.json",
		"https://agent.example/users/a/b/client.json",
		"https://agent.example/a.b/..c/client.json",
		"https://agent.example/.well-known/client",
	} {
		if err := CheckDocumentID(id); err != nil {
			t.Errorf("%s: refused (%v), want accepted", id, err)
		}
	}
	for _, id := range []string{
		"https://agent.example/",
		"urn:agent:client",
		"https://user@agent.example/client.json",
		"https://agent.example/client.json#frag",
		"https://agent.example/a/./client.json",
		"https://agent.example/a/../client.json",
		"https://agent.example/a/%2e/client.json",
		"https://agent.example/a/%2E%2e/client.json",
		"https://agent.example/users/a/.%2e/b/client.json",
		"https://agent.example/users/a/%2E./b/client.json",
	} {
		if err := CheckDocumentID(id); err == nil {
			t.Errorf("%s: accepted, want refused", id)
		}
	}
}
