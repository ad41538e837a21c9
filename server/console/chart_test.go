package console

import (
	"testing"
	"time"
)

// TestBuildChart: bars scale to a round top, every hour has a success and
// a failure bar, a count above zero is never drawn invisible, and the
// totals feed the text alternative.
func TestBuildChart(t *testing.T) {
	since := time.Date(2030, 1, 2, 3, 0, 0, 0, time.UTC)
	ok, fail := make([]int64, chartHours), make([]int64, chartHours)
	ok[0], ok[23], fail[5] = 7, 1000, 1
	c := buildChart(since, ok, fail)
	if len(c.Bars) != 2*chartHours {
		t.Fatalf("%d bars, want %d", len(c.Bars), 2*chartHours)
	}
	if c.Successes != 1007 || c.Failures != 1 {
		t.Errorf("totals %d/%d", c.Successes, c.Failures)
	}
	plot := chartHeight - chartTop - chartBottom
	top, small := c.Bars[2*23], c.Bars[2*5+1]
	if top.H != plot || top.Y != chartTop || top.Class != "ok" {
		t.Errorf("the largest count's bar %+v, want the full height %d", top, plot)
	}
	if small.H != 1 || small.Class != "fail" {
		t.Errorf("a count of 1 out of 1000 drawn as %+v, want 1 unit high", small)
	}
	if c.Bars[2].H != 0 {
		t.Errorf("an empty hour drawn %d high", c.Bars[2].H)
	}
	if len(c.Grid) != 3 || c.Grid[2].Label != "1000" || c.Grid[1].Label != "500" {
		t.Errorf("grid %+v", c.Grid)
	}
	if c.Labels[0].Text != "03:00" || c.Labels[1].Text != "09:00" {
		t.Errorf("hour labels %+v", c.Labels)
	}
	for _, b := range c.Bars {
		if b.X < chartLeft || b.X+b.W > chartWidth-chartRight || b.Y < chartTop || b.Y+b.H > chartTop+plot {
			t.Fatalf("bar %+v outside the plot", b)
		}
	}
}

func TestNiceCeiling(t *testing.T) {
	for n, want := range map[int64]int64{0: 2, 1: 2, 2: 2, 3: 4, 5: 10, 10: 10, 11: 20, 21: 40, 41: 100, 999: 1000, 1001: 2000} {
		if got := niceCeiling(n); got != want {
			t.Errorf("niceCeiling(%d) = %d, want %d", n, got, want)
		}
	}
}

func TestParseTime(t *testing.T) {
	want := time.Date(2026, 1, 2, 15, 4, 0, 0, time.UTC)
	for _, s := range []string{"2026-01-02T15:04", "2026-01-02T15:04:00", "2026-01-02 15:04", "2026-01-02T16:04:00+01:00", "2026-01-02T15:04:00Z"} {
		if got, ok := parseTime(s); !ok || !got.Equal(want) {
			t.Errorf("parseTime(%q) = %v, %v", s, got, ok)
		}
	}
	if got, ok := parseTime("2026-01-02"); !ok || !got.Equal(time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("a date: %v %v", got, ok)
	}
	for _, s := range []string{"yesterday", "2026-13-01T00:00", ""} {
		if _, ok := parseTime(s); ok {
			t.Errorf("parseTime(%q) accepted", s)
		}
	}
}
