// Package ratelimittest finds the Redis server tests run against.
package ratelimittest

import (
	"os"
	"testing"
)

// RedisURL returns $GATEHOUSE_TEST_REDIS (a redis:// URL; .ci/run starts a
// server and sets it). Without it the test is skipped, or fails when
// CI=true.
func RedisURL(t testing.TB) string {
	t.Helper()
	url := os.Getenv("GATEHOUSE_TEST_REDIS")
	if url != "" {
		return url
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("GATEHOUSE_TEST_REDIS is not set; .ci/run starts redis-server and sets it")
	}
	t.Skip("GATEHOUSE_TEST_REDIS is not set (e.g. redis://127.0.0.1:6379/0)")
	return ""
}
