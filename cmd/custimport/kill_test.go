package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestKillAndResume runs custimport as a separate process against a sandbox process,
// kills it with SIGKILL at several points of the run, and reruns the same command each
// time. In the end every input row has one final status, no customer exists twice, and
// only rows that were in flight at a kill (at most --workers per kill) are unknown.
func TestKillAndResume(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs processes")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	url, stats := startSandboxProcess(t, bin, filepath.Join(dir, "sandbox.json"))

	const rows, workers = 400, 4
	var b strings.Builder
	b.WriteString("Customer ID,First Name,Email\n")
	for i := 1; i <= rows; i++ {
		fmt.Fprintf(&b, "K%04d,Name%d,p%d@example.com\n", i, i, i)
	}
	input := filepath.Join(dir, "customers.csv")
	mapPath := filepath.Join(dir, "mapping.yaml")
	writeTestFile(t, input, b.String())
	writeTestFile(t, mapPath, "key: Customer ID\nfields:\n  first_name: First Name\n  email: Email\n")
	results := filepath.Join(dir, "results.csv")
	args := []string{"run", "--endpoint", url, "--user-id", "demo", "--account-id", "demo",
		"--state", filepath.Join(dir, "state.db"), "--rate", "0", "--workers", fmt.Sprint(workers),
		"--mapping", mapPath, "--results", results, "--log-format", "json", input}

	kills := 0
	for _, after := range []int64{20, 70, 130, 200, 290} {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "CUSTIMPORT_PASSWORD=demo")
		cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for stats().Requests < after && time.Now().Before(deadline) {
			time.Sleep(2 * time.Millisecond)
		}
		_ = cmd.Process.Signal(syscall.SIGKILL)
		err := cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			kills++
		} else {
			t.Logf("run ended before the kill at %d requests: %v", after, err)
		}
	}
	if kills < 3 {
		t.Fatalf("only %d runs were killed mid-way: the test proves little", kills)
	}

	// The final rerun completes.
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "CUSTIMPORT_PASSWORD=demo")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err := cmd.Run()
	code := cmd.ProcessState.ExitCode()
	if code != 0 && code != 1 {
		t.Fatalf("final run: exit %d (%v)\n%s", code, err, stderr.String())
	}

	f, err := os.Open(results)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(bufio.NewReader(f)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs)-1 != rows {
		t.Fatalf("%d result rows, want %d", len(recs)-1, rows)
	}
	counts := map[string]int{}
	for _, r := range recs[1:] {
		counts[r[1]]++
	}
	if counts["unknown"] > workers*kills {
		t.Errorf("%d rows unknown after %d kills, want at most %d", counts["unknown"], kills, workers*kills)
	}
	if counts["new"]+counts["unchanged"]+counts["unknown"] != rows {
		t.Errorf("final statuses %v: every row should be new, unchanged or unknown", counts)
	}

	// No customer twice: every e-mail appears once in the sandbox.
	resp, err := http.Get(url + "/_sandbox/customers")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var customers []struct {
		Fields map[string]string `json:"fields"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&customers); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, c := range customers {
		seen[c.Fields["email"]]++
	}
	for e, n := range seen {
		if n > 1 {
			t.Errorf("customer %s created %d times", e, n)
		}
	}
	if created := stats().Created; created != int64(len(seen)) || len(seen) < rows-counts["unknown"] || len(seen) > rows {
		t.Errorf("sandbox created %d customers (%d distinct) for %d rows with %d unknown", created, len(seen), rows, counts["unknown"])
	}
	t.Logf("%d kills; final statuses %v; sandbox %+v", kills, counts, stats())
}

type sandboxStats struct {
	Requests int64 `json:"requests"`
	Created  int64 `json:"created"`
	Updated  int64 `json:"updated"`
}

// startSandboxProcess starts `custimport sandbox` on a free loopback port and returns
// its URL and a function reading its stats.
func startSandboxProcess(t *testing.T, bin, data string) (string, func() sandboxStats) {
	t.Helper()
	cmd := exec.Command(bin, "sandbox", "--addr", "127.0.0.1:0", "--data", data, "--latency", "2ms", "--log-format", "json")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	})
	sc := bufio.NewScanner(out)
	var url string
	for sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
			url = strings.TrimSpace(u)
			break
		}
	}
	if url == "" {
		t.Fatal("the sandbox printed no URL")
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	url = strings.TrimSuffix(url, "/")
	return url, func() sandboxStats {
		var s sandboxStats
		resp, err := http.Get(url + "/_sandbox/stats")
		if err != nil {
			t.Errorf("stats: %v", err)
			return s
		}
		defer resp.Body.Close()
		if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
			t.Errorf("stats: %v", err)
		}
		return s
	}
}

func writeTestFile(tb testing.TB, path, content string) {
	tb.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		tb.Fatal(err)
	}
}
