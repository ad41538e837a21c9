package web

import "strings"

// deviceName names a browser readably from its User-Agent, for the list
// of sessions: "Chrome on Linux", "Safari on iOS", "Firefox on Windows".
// Only the browser family and the operating system are shown, never
// versions; what is not recognised says so.
func deviceName(ua string) string {
	browser, os := browserFamily(ua), osFamily(ua)
	switch {
	case browser != "" && os != "":
		return browser + " on " + os
	case browser != "":
		return browser
	case os != "":
		return "A browser on " + os
	case strings.HasPrefix(ua, "Go-http-client"):
		return "A program (Go HTTP client)"
	case strings.HasPrefix(ua, "curl/"):
		return "A program (curl)"
	}
	return "Unknown device"
}

// browserFamily recognises the common browsers; the order matters, since
// most of them also claim to be Chrome, Safari or Mozilla.
func browserFamily(ua string) string {
	for _, b := range []struct{ token, name string }{
		{"Edg/", "Edge"}, {"EdgA/", "Edge"}, {"EdgiOS/", "Edge"},
		{"OPR/", "Opera"}, {"SamsungBrowser/", "Samsung Internet"},
		{"Firefox/", "Firefox"}, {"FxiOS/", "Firefox"},
		{"CriOS/", "Chrome"}, {"HeadlessChrome/", "Chrome"}, {"Chromium/", "Chromium"}, {"Chrome/", "Chrome"},
	} {
		if strings.Contains(ua, b.token) {
			return b.name
		}
	}
	if strings.Contains(ua, "Safari/") && strings.Contains(ua, "Version/") {
		return "Safari"
	}
	return ""
}

// osFamily recognises the operating system.
func osFamily(ua string) string {
	for _, o := range []struct{ token, name string }{
		{"Android", "Android"}, {"iPhone", "iOS"}, {"iPad", "iPadOS"}, {"CrOS", "ChromeOS"},
		{"Windows", "Windows"}, {"Macintosh", "macOS"}, {"Mac OS X", "macOS"}, {"Linux", "Linux"},
	} {
		if strings.Contains(ua, o.token) {
			return o.name
		}
	}
	return ""
}
