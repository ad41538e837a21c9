package server

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/gatehouse-id/gatehouse/audit"
	"github.com/gatehouse-id/gatehouse/clients"
	"github.com/gatehouse-id/gatehouse/storage"
)

// declaredActor is the audit actor of changes made from the configuration.
const declaredActor = "config"

// DeclareClients makes the stored clients match the clients: list of cfg
// (each created, or updated whole, and marked config-managed) and disables
// every config-managed client no longer listed. Every change is audited
// with the actor "config". It runs at every start, on every node.
func DeclareClients(ctx context.Context, cfg Config, store storage.Store, h clients.Hasher, rec *audit.Recorder, logger *slog.Logger) error {
	now := time.Now()
	ids := make([]string, 0, len(cfg.Clients))
	for _, cc := range cfg.Clients {
		c, what, err := clients.Declare(ctx, store, h, cc.Spec, now)
		if err != nil {
			return fmt.Errorf("server: clients: %w", err)
		}
		ids = append(ids, c.ID)
		switch what {
		case clients.DeclaredCreated:
			recordDeclared(ctx, rec, audit.ClientCreated, c.ID)
		case clients.DeclaredUpdated:
			recordDeclared(ctx, rec, audit.ClientUpdated, c.ID)
		}
		if what != clients.DeclaredUnchanged {
			logger.InfoContext(ctx, "client from the configuration "+string(what), "client_id", c.ID)
		}
	}
	disabled, err := clients.Undeclare(ctx, store, ids, now)
	for _, id := range disabled {
		recordDeclared(ctx, rec, audit.ClientUpdated, id, "disabled", "true")
		logger.WarnContext(ctx, "client removed from the configuration: disabled", "client_id", id)
	}
	if err != nil {
		return fmt.Errorf("server: clients: %w", err)
	}
	return nil
}

func recordDeclared(ctx context.Context, rec *audit.Recorder, typ, clientID string, kv ...string) {
	details := map[string]string{"actor": declaredActor}
	for i := 0; i+1 < len(kv); i += 2 {
		details[kv[i]] = kv[i+1]
	}
	rec.Record(ctx, storage.AuditEvent{Type: typ, Outcome: audit.Success, ClientID: clientID, Details: details})
}
