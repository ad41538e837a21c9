package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/gatehouse-id/gatehouse/server"
	"github.com/gatehouse-id/gatehouse/server/oauth"
)

// serveFlags parses serve's flags: --listen ADDR.
func serveFlags(args []string) (listen string, err error) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&listen, "listen", "", "host:port to serve on (overrides listen)")
	if err := fs.Parse(args); err != nil {
		return "", fmt.Errorf("serve: %w", err)
	}
	if fs.NArg() > 0 {
		return "", fmt.Errorf("serve: unexpected argument %q", fs.Arg(0))
	}
	return listen, nil
}

// withListen answers GATEHOUSE_LISTEN with addr: --listen wins over the
// file and the environment, and a dev server's issuer follows it as it
// follows GATEHOUSE_LISTEN.
func withListen(lookup env, addr string) env {
	return func(k string) (string, bool) {
		if k == "GATEHOUSE_LISTEN" {
			return addr, true
		}
		return lookup(k)
	}
}

// printNextSteps says, once serving, where things are and what to do
// next: a human-readable block in dev mode (on stderr, with the log: stdout
// stays for the admin commands' JSON), one JSON log line
// otherwise.
func printNextSteps(w io.Writer, logger *slog.Logger, cfg server.Config, configPath, secretPath string) {
	links := [][2]string{
		{"issuer", cfg.Issuer},
		{"discovery", cfg.Issuer + oauth.PathDiscovery},
		{"sign in", cfg.Issuer + "/login"},
		{"account", cfg.Issuer + "/account"},
	}
	if !cfg.Dev {
		logger.Info("gatehouse ready", "issuer", links[0][1], "discovery", links[1][1], "login", links[2][1], "account", links[3][1])
		return
	}
	var b strings.Builder
	b.WriteString("\nGatehouse is running in dev mode (not for production).\n\n")
	for _, l := range links {
		fmt.Fprintf(&b, "  %-10s %s\n", l[0]+":", l[1])
	}
	fmt.Fprintf(&b, "  %-10s %s\n", "database:", server.RedactDSN(cfg.Database))
	if secretPath != "" {
		fmt.Fprintf(&b, "  %-10s %s (keep it; never commit it)\n", "secret:", secretPath)
	}
	if cfg.Mail.Driver == "file" {
		fmt.Fprintf(&b, "  %-10s %s (each message an .eml file)\n", "mail:", cfg.Mail.Dir)
	}
	cmd := "gatehouse"
	if configPath != "" {
		cmd += " --config " + shellQuote(configPath)
	}
	b.WriteString("\nNext, in another terminal: create a person and a client, then sign in with the example app:\n\n")
	fmt.Fprintf(&b, "  %s users create --email you@example.com --password 'a long passphrase' --name You\n", cmd)
	fmt.Fprintf(&b, "  SECRET=$(%s clients create --id demo --redirect-uri http://127.0.0.1:9555/callback --scope openid --scope profile --scope email | jq -r .client_secret)\n", cmd)
	fmt.Fprintf(&b, "  gatehouse example-app --issuer %s --client-id demo --client-secret \"$SECRET\"\n\n", cfg.Issuer)
	_, _ = io.WriteString(w, b.String())
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
