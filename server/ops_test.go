package server_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gatehouse-id/gatehouse/ratelimit/ratelimittest"
	"github.com/gatehouse-id/gatehouse/secret"
	"github.com/gatehouse-id/gatehouse/server"
	"github.com/gatehouse-id/gatehouse/storage/sqlite"
)

// TestFailedNewLeavesNoRedisConnection: when server.New fails (here on a
// missing templates directory), no connection to Redis stays open behind
// it: the rate limiter's Redis client is only made once nothing else can
// fail.
func TestFailedNewLeavesNoRedisConnection(t *testing.T) {
	redisURL := ratelimittest.RedisURL(t)
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "gatehouse.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	name := "gatehouse-test-" + secret.Token(8)
	sep := "?"
	if strings.Contains(redisURL, "?") {
		sep = "&"
	}
	cfg := server.Defaults()
	cfg.Issuer = "http://127.0.0.1:1"
	cfg.Secret = secret.Token(32)
	cfg.Dev = true
	cfg.BcryptCost = 4
	cfg.Mail.Dir = t.TempDir()
	cfg.RateLimit.RedisURL = redisURL + sep + "client_name=" + name
	cfg.TemplatesDir = filepath.Join(t.TempDir(), "missing")
	if _, err := server.New(ctx, cfg, store, slog.New(slog.DiscardHandler)); err == nil {
		t.Fatal("server.New succeeded without its templates directory")
	}

	opt, err := redis.ParseURL(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	admin := redis.NewClient(opt)
	defer admin.Close()
	// Redis notices a closed connection on its own schedule: wait for it
	// (a connection left open never goes).
	for deadline := time.Now().Add(30 * time.Second); ; {
		list, err := admin.ClientList(ctx).Result()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(list, "name="+name+" ") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("a failed server.New left a Redis connection open:\n%s", list)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
