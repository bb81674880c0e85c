package importer

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/custimport/custimport/importer/sandbox"
	"github.com/custimport/custimport/mapping"
)

var update = flag.Bool("update", false, "rewrite the golden results files under testdata/")

// sampleDir is the repository's samples folder.
func sampleDir(tb testing.TB) string {
	tb.Helper()
	d, err := filepath.Abs(filepath.Join("..", "samples"))
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

// checkGolden compares got with testdata/name, or rewrites it with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run with -update after checking the change):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// TestSamplesGolden: the dry run of the sample CSV and XLSX gives the committed results
// files, and a sandbox run with one worker and a fixed seed gives the committed codes.
func TestSamplesGolden(t *testing.T) {
	samples := sampleDir(t)
	m, err := mapping.Load(filepath.Join(samples, "mapping.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, input, results string
		send                 bool
	}{
		{"csv dry run", "customers.csv", "customers.validate.csv", false},
		{"xlsx dry run", "customers.xlsx", "customers-xlsx.validate.csv", false},
		{"csv sandbox run", "customers.csv", "customers.run.csv", true},
		{"xlsx dry run to xlsx", "customers.xlsx", "customers.validate.xlsx", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), tc.results)
			o := runOpts(t, nil, m, filepath.Join(samples, tc.input))
			o.Results = out
			o.DryRun = !tc.send
			if tc.send {
				custom := map[int]sandbox.CustomField{}
				for _, fm := range m.Fields {
					if n := mapping.CustomFieldNumber(fm.Name); n > 1 {
						custom[n] = sandbox.CustomField{Type: fm.Type.String(), Choices: fm.Choices}
					}
				}
				env := newEnv(t, sandbox.Config{CustomFields: custom, Seed: 1})
				o.Sender, o.Workers = env.client, 1
			}
			if _, err := Run(context.Background(), o); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasSuffix(out, ".xlsx") {
				got = xlsxAsText(t, out)
			}
			checkGolden(t, tc.results+".golden", got)
		})
	}
}

// xlsxAsText reads a results workbook back as tab-separated text.
func xlsxAsText(t *testing.T, path string) []byte {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetName(0))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	for _, r := range rows {
		b.WriteString(strings.Join(r, "\t"))
		b.WriteByte('\n')
	}
	return b.Bytes()
}
