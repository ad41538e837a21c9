package console

import (
	"fmt"
	"time"

	"github.com/gatehouse-id/gatehouse/audit"
)

// The dashboard's chart counts these events per hour over the last day.
var (
	successTypes = []string{audit.LoginSuccess, audit.UpstreamLogin}
	failureTypes = []string{audit.LoginFailure, audit.MFAFailure, audit.UpstreamFailure}
)

// chartHours is how many hourly buckets the chart shows, the last one
// the hour in progress.
const chartHours = 24

// chart is a bar chart drawn as inline SVG by the template: every
// number is computed here, and the colours come from the stylesheet
// (classes ok and fail), so the page needs no script or inline style.
type chart struct {
	Width, Height int
	Bars          []bar
	Grid          []gridLine
	Labels        []axisLabel
	// Successes and Failures are the totals, From the first hour, for the
	// text alternative.
	Successes, Failures int64
	From                string
}

type bar struct {
	X, Y, W, H int
	Class      string // ok or fail
	Title      string // the tooltip: hour and count
}

type gridLine struct {
	Y     int
	Label string
}

type axisLabel struct {
	X    int
	Text string
}

// Chart geometry, in SVG user units.
const (
	chartWidth  = 720
	chartHeight = 200
	chartLeft   = 40 // room for the count labels
	chartRight  = 8
	chartTop    = 10
	chartBottom = 24 // room for the hour labels
)

// hourWindow returns the start of the chart's first hour at now: the
// last bucket is the hour in progress.
func hourWindow(now time.Time) time.Time {
	return now.UTC().Truncate(time.Hour).Add(-(chartHours - 1) * time.Hour)
}

// buildChart lays out success and failure counts per hour from since.
func buildChart(since time.Time, ok, fail []int64) chart {
	c := chart{Width: chartWidth, Height: chartHeight, From: since.Format(timeFormat)}
	top := int64(0)
	for i := range ok {
		top = max(top, ok[i], fail[i])
		c.Successes += ok[i]
		c.Failures += fail[i]
	}
	top = niceCeiling(top)
	plotH := chartHeight - chartTop - chartBottom
	slot := (chartWidth - chartLeft - chartRight) / len(ok)
	barW := (slot - 4) / 2
	scale := func(n int64) int { return int(n * int64(plotH) / top) }
	for i := range ok {
		x := chartLeft + i*slot + 2
		hour := since.Add(time.Duration(i) * time.Hour)
		for j, s := range []struct {
			n     int64
			class string
			what  string
		}{{ok[i], "ok", "successful sign-ins"}, {fail[i], "fail", "failed sign-ins"}} {
			h := scale(s.n)
			if s.n > 0 && h < 1 {
				h = 1
			}
			c.Bars = append(c.Bars, bar{
				X: x + j*barW, Y: chartTop + plotH - h, W: barW, H: h, Class: s.class,
				Title: fmt.Sprintf("%s: %d %s", hour.Format("15:04"), s.n, s.what),
			})
		}
		if i%6 == 0 {
			c.Labels = append(c.Labels, axisLabel{X: x, Text: hour.Format("15:04")})
		}
	}
	for _, n := range []int64{0, top / 2, top} {
		c.Grid = append(c.Grid, gridLine{Y: chartTop + plotH - scale(n), Label: fmt.Sprint(n)})
	}
	return c
}

// niceCeiling rounds n up to 2, 4 or 10 times a power of ten, so that
// the middle grid line (half of it) is a round whole number too.
func niceCeiling(n int64) int64 {
	for p := int64(1); ; p *= 10 {
		for _, m := range []int64{2, 4, 10} {
			if n <= m*p {
				return m * p
			}
		}
	}
}
