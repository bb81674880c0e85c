package report

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/custimport/custimport/mapping"
)

// maxProblemKinds bounds the problem tally. A Reason is the same for every row with that
// problem, so a run has few distinct (field, reason) pairs; the cap only guards against a
// reason that carries a row's data by mistake.
const maxProblemKinds = 1000

// topProblems is how many problems WriteText lists.
const topProblems = 10

// Summary collects a run's figures for the closing summary and its JSON file.
//
// The importer fills it from the one goroutine that collects finished rows, so it has no
// locking: it must not be used from several goroutines at once.
type Summary struct {
	Rows      int            // data rows seen
	Counts    map[Status]int // rows per status; filled by AddRow
	Requests  int            // requests sent, retries included
	Retries   int            // requests that repeated an earlier one
	Throttled int            // HTTP 429 answers
	Elapsed   time.Duration  // the run's wall-clock time

	DryRun     bool
	Stopped    bool   // the run stopped early
	StopReason string // why, e.g. "--max-errors 10 reached" or "interrupted"
	Results    string // the results file's path
	Warnings   []string
	StartedAt  time.Time
	FinishedAt time.Time
	// Predicted counts, for a dry run with a state, the valid rows by what the state says
	// a real run would do with them (see Predictions); nil otherwise.
	Predicted map[string]int

	problems      map[problemKey]int
	otherProblems int // rows with a problem kind past maxProblemKinds
}

type problemKey struct {
	field, reason string
	warning       bool
}

// Predictions are the keys of Summary.Predicted, in the order the summary shows them.
var Predictions = []string{"unchanged", "update_remembered", "send", "not_in_state", "unknown"}

// predictionText is how the text summary says each prediction.
var predictionText = map[string]string{
	"unchanged":         "would be unchanged",
	"update_remembered": "would update a remembered customer",
	"send":              "would be sent again (changed)",
	"not_in_state":      "not in the state yet",
	"unknown":           "would end unknown",
}

// ProblemCount is how many rows had one kind of problem.
type ProblemCount struct {
	Field   string `json:"field"`             // the API field, or "" for the row as a whole
	Reason  string `json:"reason"`            // the problem's general reason
	Warning bool   `json:"warning,omitempty"` // a warning: the rows were sent all the same
	Rows    int    `json:"rows"`
}

// AddRow counts one finished row: its status, and each kind of problem it had (a kind that
// appears twice in one row counts once).
func (s *Summary) AddRow(st Status, problems []mapping.Problem) {
	if s.Counts == nil {
		s.Counts = make(map[Status]int)
	}
	s.Rows++
	s.Counts[st]++
	if len(problems) == 0 {
		return
	}
	if s.problems == nil {
		s.problems = make(map[problemKey]int)
	}
	for i, p := range problems {
		k := problemKey{p.Field, cmp.Or(p.Summary, p.Reason), p.Warning}
		if slices.ContainsFunc(problems[:i], func(q mapping.Problem) bool {
			return problemKey{q.Field, cmp.Or(q.Summary, q.Reason), q.Warning} == k
		}) {
			continue
		}
		if _, ok := s.problems[k]; !ok && len(s.problems) >= maxProblemKinds {
			s.otherProblems++
			continue
		}
		s.problems[k]++
	}
}

// Problems returns the tally of problems, the most common first (then by field, reason and
// warnings after errors).
func (s *Summary) Problems() []ProblemCount {
	out := make([]ProblemCount, 0, len(s.problems))
	for k, n := range s.problems {
		out = append(out, ProblemCount{Field: k.field, Reason: k.reason, Warning: k.warning, Rows: n})
	}
	slices.SortFunc(out, func(a, b ProblemCount) int {
		if a.Rows != b.Rows {
			return b.Rows - a.Rows
		}
		if c := strings.Compare(a.Field, b.Field); c != 0 {
			return c
		}
		if c := strings.Compare(a.Reason, b.Reason); c != 0 {
			return c
		}
		if a.Warning != b.Warning {
			if a.Warning {
				return 1
			}
			return -1
		}
		return 0
	})
	return out
}

// Rate returns the requests per second achieved, or 0 when no time was measured.
func (s *Summary) Rate() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Requests) / s.Elapsed.Seconds()
}

// WriteText writes a short summary for a person, for example:
//
//	1,000 rows: 950 new, 30 update, 20 invalid
//	requests 985 (5 retries, 2 throttled) in 3m20s, 4.9/s
//	most common problems:
//	  custom_date: not a date in DD/MM/YYYY (312 rows)
//	results: customers.results.csv
//
// A dry run says "dry run" and counts valid and invalid rows; it sent no request.
func (s *Summary) WriteText(w io.Writer) error {
	var b bytes.Buffer
	if s.DryRun {
		b.WriteString("dry run: ")
	}
	fmt.Fprintf(&b, "%s %s", thousands(s.Rows), plural(s.Rows, "row", "rows"))
	sep := ": "
	for _, st := range Statuses {
		if n := s.Counts[st]; n > 0 {
			fmt.Fprintf(&b, "%s%s %s", sep, thousands(n), st)
			sep = ", "
		}
	}
	for st, n := range s.Counts {
		if n > 0 && !slices.Contains(Statuses, st) {
			fmt.Fprintf(&b, "%s%s %s", sep, thousands(n), st) // not expected; shown, not lost
			sep = ", "
		}
	}
	b.WriteByte('\n')
	if !s.DryRun || s.Requests > 0 {
		fmt.Fprintf(&b, "requests %s (%s %s, %s throttled) in %s, %.1f/s\n",
			thousands(s.Requests), thousands(s.Retries), plural(s.Retries, "retry", "retries"),
			thousands(s.Throttled), roundDuration(s.Elapsed), s.Rate())
	} else {
		fmt.Fprintf(&b, "checked in %s, no request sent\n", roundDuration(s.Elapsed))
	}
	if s.Predicted != nil {
		b.WriteString("with the state:")
		sep := " "
		for _, k := range Predictions {
			fmt.Fprintf(&b, "%s%s %s", sep, thousands(s.Predicted[k]), predictionText[k])
			sep = ", "
		}
		b.WriteByte('\n')
	}
	if s.Stopped {
		reason := s.StopReason
		if reason == "" {
			reason = "no reason given"
		}
		fmt.Fprintf(&b, "stopped early: %s\n", reason)
	}
	for _, warn := range s.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", warn)
	}
	if probs := s.Problems(); len(probs) > 0 {
		b.WriteString("most common problems:\n")
		for i, p := range probs {
			if i == topProblems {
				fmt.Fprintf(&b, "  and %d more kinds of problem\n", len(probs)-topProblems)
				break
			}
			b.WriteString("  ")
			if p.Warning {
				b.WriteString("warning: ")
			}
			if p.Field != "" {
				b.WriteString(p.Field)
				b.WriteString(": ")
			}
			fmt.Fprintf(&b, "%s (%s %s)\n", p.Reason, thousands(p.Rows), plural(p.Rows, "row", "rows"))
		}
		if s.otherProblems > 0 {
			fmt.Fprintf(&b, "  and %s more problems of too many kinds to count\n", thousands(s.otherProblems))
		}
	}
	if s.Results != "" {
		fmt.Fprintf(&b, "results: %s\n", s.Results)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// summaryJSON is the JSON form of a Summary; see WriteJSON.
type summaryJSON struct {
	Rows           int            `json:"rows"`
	Counts         map[Status]int `json:"counts"`
	Requests       int            `json:"requests"`
	Retries        int            `json:"retries"`
	Throttled      int            `json:"throttled"`
	ElapsedSeconds float64        `json:"elapsed_seconds"`
	RatePerSecond  float64        `json:"rate_per_second"`
	DryRun         bool           `json:"dry_run"`
	Stopped        bool           `json:"stopped"`
	StopReason     string         `json:"stop_reason"`
	Results        string         `json:"results"`
	Warnings       []string       `json:"warnings"`
	Problems       []ProblemCount `json:"problems"`
	OtherProblems  int            `json:"other_problems"`
	Predicted      map[string]int `json:"predicted,omitempty"`
	StartedAt      time.Time      `json:"started_at,omitzero"`
	FinishedAt     time.Time      `json:"finished_at,omitzero"`
}

// WriteJSON writes the summary as JSON to path, atomically (a temporary file renamed into
// place). The schema, stable for scripts:
//
//	{
//	  "rows": 1000,                     // data rows
//	  "counts": {"new": 950, ...},      // every status of Statuses, 0 included
//	  "requests": 985,                  // requests sent, retries included
//	  "retries": 5,
//	  "throttled": 2,                   // HTTP 429 answers
//	  "elapsed_seconds": 200.0,
//	  "rate_per_second": 4.9,           // requests / elapsed_seconds, 2 decimals
//	  "dry_run": false,
//	  "stopped": false,                 // the run stopped early
//	  "stop_reason": "",
//	  "results": "customers.results.csv",
//	  "warnings": ["..."],              // file-level warnings, [] when none
//	  "problems": [                     // every kind of problem, the most common first
//	    {"field": "custom_date", "reason": "not a date in DD/MM/YYYY", "rows": 312},
//	    {"field": "key", "reason": "...", "warning": true, "rows": 3}
//	  ],
//	  "other_problems": 0,              // problems past the 1,000 kinds tallied
//	  "predicted": {"unchanged": 940, "update_remembered": 5, "send": 3, "not_in_state": 2, "unknown": 0},
//	                                    // a dry run with a state only: what a run would do
//	  "started_at": "2026-11-27T03:00:00Z",  // RFC 3339; left out when unknown
//	  "finished_at": "2026-11-27T03:03:20Z"
//	}
func (s *Summary) WriteJSON(path string) error {
	counts := make(map[Status]int, len(Statuses))
	for _, st := range Statuses {
		counts[st] = 0
	}
	for st, n := range s.Counts {
		counts[st] = n
	}
	warnings := s.Warnings
	if warnings == nil {
		warnings = []string{}
	}
	j := summaryJSON{
		Rows:           s.Rows,
		Counts:         counts,
		Requests:       s.Requests,
		Retries:        s.Retries,
		Throttled:      s.Throttled,
		ElapsedSeconds: round(s.Elapsed.Seconds(), 3),
		RatePerSecond:  round(s.Rate(), 2),
		DryRun:         s.DryRun,
		Stopped:        s.Stopped,
		StopReason:     s.StopReason,
		Results:        s.Results,
		Warnings:       warnings,
		Problems:       s.Problems(),
		OtherProblems:  s.otherProblems,
		Predicted:      s.Predicted,
		StartedAt:      s.StartedAt,
		FinishedAt:     s.FinishedAt,
	}
	data, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return fmt.Errorf("summary %q: %w", path, err)
	}
	data = append(data, '\n')
	if err := writeFileAtomic(path, data); err != nil {
		return fmt.Errorf("summary %q: %w", path, err)
	}
	return nil
}

// writeFileAtomic writes data to a temporary file beside path, syncs it and renames it
// into place, so path holds either its old content or all of data.
func writeFileAtomic(path string, data []byte) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	// CreateTemp makes the file 0600, and so it stays, like the results file: a summary
	// carries the API's error texts, which can name customers and their e-mails.
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return err
	}
	syncDir(dir)
	return nil
}

// thousands formats n with commas between groups of three digits: 1,000,000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	sign := ""
	if n < 0 {
		sign, s = "-", s[1:]
	}
	var b strings.Builder
	b.WriteString(sign)
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// roundDuration shows a duration to a useful precision: 3m20s, 4.2s, 350ms.
func roundDuration(d time.Duration) time.Duration {
	switch {
	case d >= time.Minute:
		return d.Round(time.Second)
	case d >= time.Second:
		return d.Round(100 * time.Millisecond)
	default:
		return d.Round(time.Millisecond)
	}
}

// round rounds f to the given number of decimal places.
func round(f float64, places int) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(f, 'f', places, 64), 64)
	return v
}
