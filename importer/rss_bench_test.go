package importer

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
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

// peakRSS runs bin with args and returns its peak resident memory in MB, read with wait4
// on the child itself.
func peakRSS(tb testing.TB, bin string, args ...string) float64 {
	cmd := exec.Command(bin, args...)
	// Output goes to /dev/null: no copying goroutines, so wait4 here is the only wait.
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	var ws syscall.WaitStatus
	var ru syscall.Rusage
	if _, err := syscall.Wait4(cmd.Process.Pid, &ws, 0, &ru); err != nil {
		tb.Fatal(err)
	}
	if !ws.Exited() || ws.ExitStatus() > 1 {
		tb.Fatalf("%s %v: %v", bin, args, ws)
	}
	return float64(ru.Maxrss) / 1024 // KiB on Linux
}
