// Command gatehouse is the Gatehouse OAuth2 / OpenID Connect server and its
// admin CLI: serve, migrate, clients, users, keys. It is thin: it loads the
// configuration, opens storage and calls into the packages that do the work.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
)

const usage = `usage: gatehouse [--config FILE] <command> [flags]

commands:
  serve                 run the server (no config: dev mode on 127.0.0.1:8080, ./gatehouse.db)
                        [--listen HOST:PORT]
  migrate               create or upgrade the database schema (the only command besides
                        serve that creates a SQLite database)
  clients create        register a client: --id ID [--secret S | --public] --redirect-uri URI...
                        --grant-type G... --scope S... [--post-logout-redirect-uri URI] [--name N] [--audience A]
                        [--backchannel-logout-uri URI [--backchannel-logout-session-required]]
                        [--introspect-any] [--require-mfa]
                        [--pkce required|optional]
                        [--require-par] [--require-dpop] [--allow-impersonation]
  clients list          list clients
  clients delete --id   delete a client with its consents and tokens
  clients rotate-secret --id ID
                        give a confidential client a new secret, printed once
  clients initial-token [--ttl D] [--uses N]
                        an initial access token for dynamic registration, printed once
                        as {"token": …} (default: 24h, one registration; --uses 0: any number)
  users create          create a user: --email E (--password P | --password-file F) --name N [--role R...]
  users list            list users [--search S] [--limit N] [--offset N]
  users set-role        replace a user's roles (user is always kept):
                        --email E | --id ID --role R...
  users disable         disable a user, ending their sessions and revoking their tokens:
                        --email E | --id ID
  users enable          enable a disabled user: --email E | --id ID
  users delete          delete a user with their sessions and tokens: --email E | --id ID
  users reset-mfa       remove every second factor of a user (app, passkeys, recovery codes):
                        --email E | --id ID
  keys rotate           publish a new signing key; the old one verifies until its tokens expire
  keys list             list signing keys
  janitor               delete expired codes, tokens, sessions, reset tokens, rate counters,
                        retired keys and audit events past audit.retention now
                        (serve also does it every janitor.interval)
  healthcheck           exit 0 when the local server's /readyz answers 200 [--url URL]
                        (for container health checks; reads no secret, opens no database)
  version               print the version and build information
  example-app           a tiny relying party for trying a sign-in: --issuer URL --client-id ID
                        [--client-secret S] [--listen 127.0.0.1:9555] [--scope S...]
  migrate-data          copy users, clients, consents, identities, second factors and keys to another database:
                        --from DSN --to DSN [--allow-non-empty]  (e.g. sqlite:///… to postgres://…)
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.LookupEnv))
}

// env is where the CLI reads GATEHOUSE_* variables.
type env func(string) (string, bool)

// run executes one CLI invocation and returns the exit code. Admin
// commands print one JSON object to stdout; errors are one line on stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, lookup env) int {
	configPath, args, err := extractConfig(args)
	if err != nil {
		return fail(stderr, err)
	}
	if configPath == "" {
		configPath, _ = lookup("GATEHOUSE_CONFIG")
	}
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	if wantsHelp(args) {
		fmt.Fprint(stdout, usage) // before any config is read or database touched
		return 0
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return cmdServe(ctx, configPath, rest, stderr, lookup)
	case "migrate":
		return withStore(ctx, configPath, lookup, stdout, stderr, rest, true, cmdMigrate)
	case "janitor":
		return withStore(ctx, configPath, lookup, stdout, stderr, rest, false, cmdJanitor)
	case "migrate-data":
		return cmdMigrateData(ctx, rest, stdout, stderr)
	case "example-app":
		return cmdExampleApp(ctx, rest, stdout, stderr)
	case "version":
		return cmdVersion(rest, stdout, stderr)
	case "healthcheck":
		return cmdHealthcheck(ctx, configPath, rest, stdout, stderr, lookup)
	case "clients", "users", "keys":
		if len(rest) == 0 {
			return fail(stderr, fmt.Errorf("%s: missing subcommand", cmd))
		}
		sub, ok := adminCommands[cmd+" "+rest[0]]
		if !ok {
			return fail(stderr, fmt.Errorf("unknown command %q", cmd+" "+rest[0]))
		}
		return withStore(ctx, configPath, lookup, stdout, stderr, rest[1:], false, sub)
	}
	return fail(stderr, fmt.Errorf("unknown command %q (run gatehouse help)", cmd))
}

// wantsHelp reports whether args ask for the usage: "help" as the command,
// or a -h / -help / --help flag anywhere. A later bare "help" is a flag's
// value (a name, a search, a client id), not a request for help.
func wantsHelp(args []string) bool {
	if args[0] == "help" {
		return true
	}
	return slices.ContainsFunc(args, func(a string) bool { return a == "-h" || a == "-help" || a == "--help" })
}

// extractConfig removes --config FILE (or --config=FILE) from any position.
func extractConfig(args []string) (string, []string, error) {
	var path string
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--config" || a == "-config":
			if i+1 >= len(args) {
				return "", nil, fmt.Errorf("--config needs a file")
			}
			path = args[i+1]
			i++
		case strings.HasPrefix(a, "--config="), strings.HasPrefix(a, "-config="):
			_, path, _ = strings.Cut(a, "=")
		default:
			out = append(out, a)
		}
	}
	return path, out, nil
}

// fail prints a one-line error and returns the failure exit code.
func fail(stderr io.Writer, err error) int {
	msg := strings.ReplaceAll(err.Error(), "\n", "; ")
	fmt.Fprintln(stderr, "gatehouse: "+msg)
	return 1
}
