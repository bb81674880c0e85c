package importer

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"go.uber.org/zap"

	"github.com/custimport/custimport/report"
)

// TestExtraCellsInSummary: a row with cells beyond the header is warned about in its
// message and counted in the summary, one kind whatever the number of cells.
func TestExtraCellsInSummary(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "extra.csv", "Email,Name\na@x.com,A,x,y\nb@x.com,B\nc@x.com,C,z\n")
	o := Options{Input: in, Mapping: parseMapping(t, "fields:\n  email: Email\n  first_name: Name\n"),
		Results: filepath.Join(dir, "r.csv"), DryRun: true, Logger: zap.NewNop()}
	res, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	want := report.ProblemCount{Reason: "cells beyond the header's columns ignored", Warning: true, Rows: 2}
	if got := res.Summary.Problems(); !slices.Contains(got, want) {
		t.Errorf("summary problems %+v, want %+v", got, want)
	}
	rows := readResults(t, o.Results)
	if rows[0]["message"] != "warning: 2 cells were beyond the header's 2 columns ignored" ||
		rows[2]["message"] != "warning: 1 cell was beyond the header's 2 columns ignored" {
		t.Errorf("messages %q, %q", rows[0]["message"], rows[2]["message"])
	}
}
