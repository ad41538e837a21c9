package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// target is the server under load and how to reach it.
type target struct {
	childInfo
	pid      int    // server process to measure; 0 when unknown
	database string // SQLite file, for seeding; "" when remote
	stop     func() error
}

// spawn starts the server child (this binary, with childEnv set) on a new
// database in dir. A separate process, so that its CPU time and memory
// are the server's alone, not the load generator's.
func spawn(dir string, spec childSpec, stderr io.Writer) (*target, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("spawn: %w", err)
	}
	spec.Database = filepath.Join(dir, "gatehouse.db")
	raw, err := json.Marshal(spec)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), childEnv+"="+string(raw))
	cmd.Stderr = stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("spawn: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("spawn: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("spawn: %w", err)
	}
	stop := func() error {
		stdin.Close()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			return err
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			return <-done
		}
	}
	line, err := bufio.NewReader(stdout).ReadBytes('\n')
	if err != nil {
		_ = stop()
		return nil, fmt.Errorf("spawn: the server child did not start: %w", err)
	}
	t := &target{pid: cmd.Process.Pid, database: spec.Database, stop: stop}
	if err := json.Unmarshal(line, &t.childInfo); err != nil {
		_ = stop()
		return nil, fmt.Errorf("spawn: %w", err)
	}
	return t, nil
}

// procStats reads a process's CPU time and peak resident memory from /proc.
type procStats struct{ pid int }

// clkTck is USER_HZ, the unit of /proc/PID/stat times: 100 on every Linux
// Go supports.
const clkTck = 100

// cpu returns the user+system CPU time the process has used.
func (p procStats) cpu() (time.Duration, bool) {
	if p.pid == 0 {
		return 0, false
	}
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.pid))
	if err != nil {
		return 0, false
	}
	// The command name (field 2) may hold spaces: count from its ')'.
	i := bytes.LastIndexByte(raw, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(raw[i+1:]))
	if len(f) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(utime+stime) * time.Second / clkTck, true
}

// resetPeak starts a new peak-RSS window (Linux clear_refs 5); it reports
// whether the kernel allowed it (else the peak is the process's lifetime peak).
func (p procStats) resetPeak() bool {
	if p.pid == 0 {
		return false
	}
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", p.pid), []byte("5"), 0) == nil
}

// peakRSS returns VmHWM, the peak resident set size, in bytes.
func (p procStats) peakRSS() (int64, bool) {
	if p.pid == 0 {
		return 0, false
	}
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.pid))
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10, err == nil
		}
	}
	return 0, false
}
