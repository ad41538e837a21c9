package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/server"
	"github.com/gatehouse-id/gatehouse/storage"
)

// serving is a `gatehouse serve` running in-process.
type serving struct {
	cancel context.CancelFunc
	done   chan int
	stderr *syncBuffer
}

// startServe runs serve with the config text and waits until it logs
// that it serves.
func startServe(t *testing.T, config string) *serving {
	t.Helper()
	path := filepath.Join(t.TempDir(), "gatehouse.yaml")
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &serving{cancel: cancel, done: make(chan int, 1), stderr: &syncBuffer{}}
	go func() {
		s.done <- run(ctx, []string{"serve", "--config", path}, io.Discard, s.stderr, func(string) (string, bool) { return "", false })
	}()
	t.Cleanup(func() {
		cancel()
		<-s.done
	})
	s.waitLog(t, `"msg":"gatehouse serving"`)
	return s
}

// waitLog waits until the server has logged want (the deadline is a
// guard against hangs, not a timing check).
func (s *serving) waitLog(t *testing.T, want string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(s.stderr.String(), want) {
		select {
		case code := <-s.done:
			s.done <- code
			t.Fatalf("serve exited with %d before logging %s:\n%s", code, want, s.stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve never logged %s:\n%s", want, s.stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// stop cancels serve (as SIGTERM does) and returns its exit code.
func (s *serving) stop(t *testing.T) int {
	t.Helper()
	s.cancel()
	select {
	case code := <-s.done:
		s.done <- code
		return code
	case <-time.After(2 * time.Minute):
		t.Fatalf("serve did not return:\n%s", s.stderr.String())
		return -1
	}
}

func baseConfig(t *testing.T, addr string) string {
	return fmt.Sprintf(`issuer: http://%s
listen: %s
database: %s
secret: %s
bcrypt_cost: 4
dev: true
keys:
  algorithm: ES256
`, addr, addr, filepath.Join(t.TempDir(), "gatehouse.db"), testSecret)
}

// writeCert writes a self-signed certificate for 127.0.0.1 with the given
// common name, and returns its PEM.
func writeCert(t *testing.T, certFile, keyFile, cn string) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certPEM
}

// TestServeTLSReload: serve speaks HTTPS from tls.cert_file/key_file with
// HSTS; SIGHUP swaps in new files, and a bad pair keeps the old
// certificate.
func TestServeTLSReload(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(writeCert(t, certFile, keyFile, "first"))
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	config := strings.Replace(baseConfig(t, addr), "issuer: http://", "issuer: https://", 1) +
		fmt.Sprintf("tls:\n  cert_file: %s\n  key_file: %s\n", certFile, keyFile)
	s := startServe(t, config)

	served := func() (string, http.Header) {
		t.Helper()
		// A new connection each time, so each sees the current certificate.
		c := &http.Client{Timeout: time.Minute, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}, DisableKeepAlives: true}}
		resp, err := c.Get("https://" + addr + "/healthz")
		if err != nil {
			t.Fatalf("https: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("https /healthz: %d", resp.StatusCode)
		}
		return resp.TLS.PeerCertificates[0].Subject.CommonName, resp.Header
	}
	cn, h := served()
	if cn != "first" || h.Get("Strict-Transport-Security") != "max-age=31536000; includeSubDomains" {
		t.Fatalf("certificate %q, HSTS %q", cn, h.Get("Strict-Transport-Security"))
	}
	if resp, err := http.Get("http://" + addr + "/healthz"); err == nil && resp.StatusCode == http.StatusOK {
		resp.Body.Close()
		t.Fatal("plain HTTP served on the TLS port")
	}

	// A broken pair: the reload fails and the first certificate stays.
	if err := os.WriteFile(keyFile, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	s.waitLog(t, "tls: reload failed")
	if cn, _ := served(); cn != "first" {
		t.Fatalf("after a failed reload: certificate %q", cn)
	}

	roots.AppendCertsFromPEM(writeCert(t, certFile, keyFile, "second"))
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	s.waitLog(t, "tls: certificate reloaded")
	if cn, _ := served(); cn != "second" {
		t.Fatalf("after SIGHUP: certificate %q, want second", cn)
	}
	if code := s.stop(t); code != 0 {
		t.Fatalf("exit %d:\n%s", code, s.stderr.String())
	}
}

// TestServeFinishesInFlightRequest: a request whose body is still arriving
// when shutdown starts is answered before serve returns; new connections
// are refused meanwhile. /metrics is on metrics_listen only.
func TestServeFinishesInFlightRequest(t *testing.T) {
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	metricsAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	s := startServe(t, baseConfig(t, addr)+"metrics_listen: "+metricsAddr+"\n")

	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("/metrics on the main listener: %d", resp.StatusCode)
	}
	resp, err = http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `gatehouse_http_requests_total{code="404",method="GET",route="unmatched"} 1`) {
		t.Fatalf("/metrics on metrics_listen: %d\n%s", resp.StatusCode, body)
	}

	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	form := "grant_type=client_credentials&client_id=nobody"
	fmt.Fprintf(conn, "POST /oauth2/token HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n", addr, len(form))
	br := bufio.NewReader(conn)
	// 100 Continue: the handler is running and reading the body.
	if line, err := br.ReadString('\n'); err != nil || !strings.HasPrefix(line, "HTTP/1.1 100") {
		t.Fatalf("want 100 Continue, got %q, %v", line, err)
	}
	if _, err := br.ReadString('\n'); err != nil {
		t.Fatal(err)
	}

	s.cancel() // as SIGTERM does
	s.waitLog(t, `"msg":"shutting down"`)
	deadline := time.Now().Add(time.Minute)
	for {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			break // the listener is closed: shutdown has begun
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("the listener still accepts after shutdown began")
		}
		time.Sleep(10 * time.Millisecond)
	}

	if _, err := io.WriteString(conn, form); err != nil {
		t.Fatal(err)
	}
	answer, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("in-flight request not answered: %v", err)
	}
	body, _ = io.ReadAll(answer.Body)
	answer.Body.Close()
	if answer.StatusCode != http.StatusUnauthorized || !strings.Contains(string(body), `"invalid_client"`) {
		t.Fatalf("in-flight answer %d %s", answer.StatusCode, body)
	}
	if code := s.stop(t); code != 0 {
		t.Fatalf("exit %d:\n%s", code, s.stderr.String())
	}
}

// TestJanitorAuditRetention: `gatehouse janitor` deletes audit events
// older than audit.retention and keeps the rest.
func TestJanitorAuditRetention(t *testing.T) {
	c := newCLI(t)
	c.ok("migrate")
	store, err := server.OpenStore(context.Background(), filepath.Join(c.dir, "gatehouse.db"), server.Defaults().DatabasePool)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, age := range []time.Duration{100 * 24 * time.Hour, 91 * 24 * time.Hour, 89 * 24 * time.Hour, time.Hour} {
		if err := store.AppendAuditEvent(ctx, storage.AuditEvent{Time: time.Now().Add(-age), Type: "login.success", Outcome: "success"}); err != nil {
			t.Fatal(err)
		}
	}
	store.Close()
	if got := c.ok("janitor"); got["audit_events_deleted"] != float64(2) {
		t.Fatalf("janitor: %v, want 2 audit events deleted (default retention 90 days)", got)
	}
	c.env["GATEHOUSE_AUDIT_RETENTION"] = "2h"
	if got := c.ok("janitor"); got["audit_events_deleted"] != float64(1) {
		t.Fatalf("janitor with 2h retention: %v, want 1 deleted", got)
	}
}
