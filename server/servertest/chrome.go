package servertest

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Chrome starts a headless Chromium for a browser test and returns its
// context, cancelled at cleanup. Without a Chromium binary the test is
// skipped on a laptop but fails under CI=true, where .ci/run installs one.
func Chrome(t testing.TB) context.Context {
	t.Helper()
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("servertest: no Chromium on PATH, and CI=true requires browser tests to run")
		}
		t.Skip("servertest: no Chromium on PATH (apt-get install chromium)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	browserCtx, cancelCtx := chromedp.NewContext(allocCtx)
	// The first action starts the browser, which lives as long as the
	// context of that call: it gets no timeout of its own.
	if err := chromedp.Do(browserCtx, chromedp.Navigate("about:blank")); err != nil {
		cancelCtx()
		cancelAlloc()
		t.Fatalf("servertest: start Chromium: %v", err)
	}
	// A generous bound on what the test does: only there to turn a hang
	// into a failure.
	ctx, cancelTimeout := context.WithTimeout(browserCtx, 2*time.Minute)
	t.Cleanup(func() {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
	})
	return ctx
}
