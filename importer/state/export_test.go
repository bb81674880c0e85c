package state

import (
	"bytes"
	"encoding/csv"
	"path/filepath"
	"testing"
)

// TestExportWritesValuesExactly: the export is read by the merchant's own system, so a
// key, code or card number that starts like a spreadsheet formula comes out exactly as
// stored, with no escaping ' in front.
func TestExportWritesValuesExactly(t *testing.T) {
	tests := []struct {
		name, id   string
		e          Entry
		identity   string
		code, card string
	}{
		{"minus key", "key:-2+3", Entry{Code: "1001", Status: "new", Time: clock}, "-2+3", "1001", ""},
		{"plus phone key", "key:+6421555000", Entry{Code: "1002", Status: "new", Time: clock}, "+6421555000", "1002", ""},
		{"formula key", "key:=1+1", Entry{Code: "1003", Status: "new", Time: clock}, "=1+1", "1003", ""},
		{"at key", "key:@home", Entry{Code: "1004", Status: "new", Time: clock}, "@home", "1004", ""},
		{"signed code and card", "key:k", Entry{Code: "-7", CardNumber: "+8", Status: "update", Time: clock}, "k", "-7", "+8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openTB(t, filepath.Join(t.TempDir(), "1.db"))
			if err := s.Finish(tt.id, tt.e); err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := s.Export(&buf); err != nil {
				t.Fatal(err)
			}
			recs, err := csv.NewReader(&buf).ReadAll()
			if err != nil || len(recs) != 2 {
				t.Fatalf("export %q: %d records, %v", buf.String(), len(recs), err)
			}
			if got := recs[1]; got[1] != tt.identity || got[2] != tt.code || got[3] != tt.card {
				t.Errorf("export row %q, want identity %q, code %q, card %q", got, tt.identity, tt.code, tt.card)
			}
		})
	}
}
