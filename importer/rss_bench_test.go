package importer

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// BenchmarkDryRunRSS runs the custimport binary's dry run (validate) as a separate
// process on generated files of 100,000 and 1,000,000 CSV rows and 20,000 and 200,000
// XLSX rows, and reports each run's peak resident memory (MB) and the ratio of the large
// file's to the small file's. Memory must stay flat: the one thing allowed to grow with
// the file is the duplicate-customer index (16 bytes per identity plus the map's own
// overhead).
func BenchmarkDryRunRSS(b *testing.B) {
	dir := b.TempDir()
	bin := filepath.Join(dir, "custimport")
	build := exec.Command("go", "build", "-o", bin, "../cmd/custimport")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		b.Fatal(err)
	}
	mp := filepath.Join(dir, "mapping.yaml")
	if err := os.WriteFile(mp, []byte(benchMapping), 0o600); err != nil {
		b.Fatal(err)
	}
	type size struct {
		name  string
		rows  int
		write func(testing.TB, string, int)
	}
	sizes := []size{
		{"csv-100k", 100_000, writeBenchCSV}, {"csv-1M", 1_000_000, writeBenchCSV},
		{"xlsx-20k", 20_000, writeBenchXLSX}, {"xlsx-200k", 200_000, writeBenchXLSX},
	}
	rss := map[string]float64{}
	inputs := map[string]string{}
	for _, s := range sizes {
		ext := ".csv"
		if s.name[:4] == "xlsx" {
			ext = ".xlsx"
		}
		inputs[s.name] = filepath.Join(dir, s.name+ext)
		s.write(b, inputs[s.name], s.rows)
	}
	for b.Loop() {
		for _, s := range sizes {
			in := inputs[s.name]
			rss[s.name] = max(rss[s.name], peakRSS(b, bin, "validate", "--mapping", mp,
				"--results", in+".results.csv", "--progress", "never", in))
		}
	}
	for _, s := range sizes {
		b.ReportMetric(rss[s.name], s.name+"-MB")
	}
	b.ReportMetric(rss["csv-1M"]/rss["csv-100k"], "x-csv-1M/100k")
	b.ReportMetric(rss["xlsx-200k"]/rss["xlsx-20k"], "x-xlsx-200k/20k")
	fmt.Fprintf(os.Stderr, "peak RSS MB: %v\n", rss)
}

// peakRSS runs bin with args and returns its peak resident memory in MB: the child's
// VmHWM, polled from /proc until it exits. (wait4's ru_maxrss would not do: Go starts
// children with vfork, so the child's figure includes this test process's memory.)
func peakRSS(tb testing.TB, bin string, args ...string) float64 {
	cmd := exec.Command(bin, args...) // output to /dev/null
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
	peak := 0.0
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		if kb := vmHWM(status); kb > peak {
			peak = kb
		}
		select {
		case err := <-done:
			if err != nil && cmd.ProcessState.ExitCode() > 1 {
				tb.Fatalf("%s %v: %v", bin, args, err)
			}
			return peak / 1024
		case <-tick.C:
		}
	}
}

// vmHWM reads the VmHWM line (peak resident set, KiB) of a /proc status file; 0 when
// the process is gone.
func vmHWM(path string) float64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb float64
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), &kb)
			return kb
		}
	}
	return 0
}
