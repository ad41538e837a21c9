package faults_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-id/gatehouse/internal/faults"
)

func TestReportCountsEveryFailureAndLogsOncePerSecond(t *testing.T) {
	var logs bytes.Buffer
	now := time.Unix(1_700_000_000, 0)
	counted := map[string]int{}
	r := &faults.Reporter{
		Logger: slog.New(slog.NewJSONHandler(&logs, nil)),
		Count:  func(s string) { counted[s]++ },
		Now:    func() time.Time { return now },
	}
	boom := errors.New("database is closed")
	for range 1000 {
		r.Report(context.Background(), "protocol", "token request", boom)
	}
	r.Report(context.Background(), "pages", "login", boom)
	if counted["protocol"] != 1000 || counted["pages"] != 1 {
		t.Errorf("counted %v, want protocol 1000, pages 1", counted)
	}
	if n := strings.Count(logs.String(), "\n"); n != 2 {
		t.Errorf("%d log lines in a second, want one per surface:\n%s", n, logs.String())
	}
	now = now.Add(faults.Every)
	r.Report(context.Background(), "protocol", "token request", boom)
	if !strings.Contains(logs.String(), `"not_logged_since_last":999`) {
		t.Errorf("the next line does not say how many were not logged:\n%s", logs.String())
	}
}
