package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/custimport/custimport/mapping"
)

var (
	badDate  = mapping.Problem{Field: "custom_date", Column: "Birthday", Reason: "not a date in DD/MM/YYYY", Value: "31/02/1985"}
	badEmail = mapping.Problem{Field: "email", Column: "E-mail", Reason: "not an e-mail address", Value: "jane.doe@"}
	dupWarn  = mapping.Problem{Reason: "names the same customer as an earlier row, with different data", Warning: true}
	noField  = mapping.Problem{Reason: "maps to no field"}
)

// runSummary is the summary of a made-up run of 1,000 rows.
func runSummary() *Summary {
	s := &Summary{
		Requests:   985,
		Retries:    5,
		Throttled:  2,
		Elapsed:    3*time.Minute + 20*time.Second + 300*time.Millisecond,
		Results:    "customers.results.csv",
		Warnings:   []string{"customers.csv is not UTF-8; read as Windows-1252"},
		StartedAt:  time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC),
		FinishedAt: time.Date(2026, 11, 27, 3, 3, 20, 300e6, time.UTC),
	}
	for i := range 1000 {
		switch {
		case i < 950:
			var probs []mapping.Problem
			if i < 3 {
				probs = []mapping.Problem{dupWarn}
			}
			s.AddRow(StatusNew, probs)
		case i < 980:
			s.AddRow(StatusUpdate, nil)
		case i < 992:
			// The same problem twice in a row counts once.
			s.AddRow(StatusInvalid, []mapping.Problem{badDate, badDate, badEmail})
		case i < 999:
			s.AddRow(StatusInvalid, []mapping.Problem{badDate})
		default:
			s.AddRow(StatusInvalid, []mapping.Problem{noField})
		}
	}
	return s
}

func dryRunSummary() *Summary {
	s := &Summary{DryRun: true, Elapsed: 420 * time.Millisecond, Results: "c.results.xlsx"}
	s.AddRow(StatusValid, nil)
	s.AddRow(StatusInvalid, []mapping.Problem{badEmail})
	return s
}

func stoppedSummary() *Summary {
	s := &Summary{Requests: 12, Retries: 1, Elapsed: 2500 * time.Millisecond, Stopped: true, StopReason: "--max-errors 10 reached"}
	s.AddRow(StatusNew, nil)
	for range 10 {
		s.AddRow(StatusError, []mapping.Problem{{Reason: "API: Invalid e-mail address"}})
	}
	s.AddRow(StatusSkipped, nil)
	return s
}

func TestSummaryGolden(t *testing.T) {
	tests := []struct {
		name string
		s    *Summary
	}{
		{"run", runSummary()},
		{"dryrun", dryRunSummary()},
		{"stopped", stoppedSummary()},
		{"empty", &Summary{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tt.s.WriteText(&b); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, "summary_"+tt.name+".golden.txt", b.Bytes())

			path := filepath.Join(t.TempDir(), "summary.json")
			if err := tt.s.WriteJSON(path); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, "summary_"+tt.name+".golden.json", got)
			assertOnlyFile(t, path)
		})
	}
}

func TestSummaryJSONSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.json")
	if err := runSummary().WriteJSON(path); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"rows", "counts", "requests", "retries", "throttled", "elapsed_seconds", "rate_per_second",
		"dry_run", "stopped", "stop_reason", "results", "warnings", "problems", "started_at", "finished_at"} {
		if _, ok := m[k]; !ok {
			t.Errorf("no %q in %s", k, data)
		}
	}
	counts, _ := m["counts"].(map[string]any)
	for _, st := range Statuses {
		if _, ok := counts[string(st)]; !ok {
			t.Errorf("counts lacks %q", st)
		}
	}
	if got := m["rate_per_second"]; got != 4.92 {
		t.Errorf("rate_per_second %v, want 4.92", got)
	}
}

func TestSummaryProblemCap(t *testing.T) {
	var s Summary
	for i := range maxProblemKinds + 5 {
		s.AddRow(StatusInvalid, []mapping.Problem{{Field: "custom_field", Reason: fmt.Sprint("reason ", i)}})
	}
	if got := len(s.Problems()); got != maxProblemKinds {
		t.Errorf("%d kinds tallied, want %d", got, maxProblemKinds)
	}
	if s.otherProblems != 5 {
		t.Errorf("other problems %d, want 5", s.otherProblems)
	}
	// A known kind is still counted past the cap.
	s.AddRow(StatusInvalid, []mapping.Problem{{Field: "custom_field", Reason: "reason 0"}})
	if p := s.Problems()[0]; p.Rows != 2 || p.Reason != "reason 0" {
		t.Errorf("top problem %+v, want reason 0 with 2 rows", p)
	}
}

// TestSummaryGroupsBySummary: problems whose Reason names their own earlier row (the
// duplicate warning) are counted as one kind, by their Summary.
func TestSummaryGroupsBySummary(t *testing.T) {
	var s Summary
	d := mapping.NewDupIndex()
	defer d.Close()
	for i := range 300 {
		for j := range 2 {
			r := mapping.Result{Identity: mapping.Identity{Key: fmt.Sprint("K", i)}, Hash: [16]byte{byte(j + 1)}}
			var ps []mapping.Problem
			if p, warn := d.Check(2*i+j+2, r); warn {
				ps = append(ps, p)
			}
			s.AddRow(StatusValid, ps)
		}
	}
	got := s.Problems()
	want := []ProblemCount{{Reason: "same customer as an earlier row (same key) with different data", Warning: true, Rows: 300}}
	if !slices.Equal(got, want) || s.otherProblems != 0 {
		t.Errorf("problems %+v (%d others), want %+v", got, s.otherProblems, want)
	}
}

func TestThousands(t *testing.T) {
	tests := []struct {
		n    int
		want string
	}{
		{0, "0"}, {7, "7"}, {999, "999"}, {1000, "1,000"}, {12345, "12,345"},
		{1000000, "1,000,000"}, {-1234, "-1,234"}, {-12, "-12"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := thousands(tt.n); got != tt.want {
				t.Errorf("thousands(%d) = %q, want %q", tt.n, got, tt.want)
			}
		})
	}
}

// TestSummaryPredicted: a dry run with a state says what a run would do, in the text and
// in the JSON.
func TestSummaryPredicted(t *testing.T) {
	s := Summary{DryRun: true, Rows: 10, Counts: map[Status]int{StatusValid: 10},
		Predicted: map[string]int{"unchanged": 7, "update_remembered": 1, "send": 1, "not_in_state": 1, "unknown": 0}}
	var b bytes.Buffer
	if err := s.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	want := "with the state: 7 would be unchanged, 1 would update a remembered customer, 1 would be sent again (changed), 1 not in the state yet, 0 would end unknown\n"
	if !strings.Contains(b.String(), want) {
		t.Errorf("text:\n%s\nwant the line %q", b.String(), want)
	}
	path := filepath.Join(t.TempDir(), "s.json")
	if err := s.WriteJSON(path); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var j struct{ Predicted map[string]int }
	if err := json.Unmarshal(data, &j); err != nil || j.Predicted["unchanged"] != 7 || len(j.Predicted) != 5 {
		t.Errorf("json predicted %v (%v)", j.Predicted, err)
	}
}
