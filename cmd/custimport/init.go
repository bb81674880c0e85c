package main

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/custimport/custimport/importer/sheet"
	"github.com/custimport/custimport/mapping"
)

// initSample is how many data rows init reads to guess date formats.
const initSample = 200

func (a *app) initCmd() *cobra.Command {
	var (
		sheetName, delimiter, encoding string
		headerRow                      int
	)
	cmd := &cobra.Command{
		Use:   "init [flags] INPUT",
		Short: "Print a suggested mapping YAML for INPUT's header",
		Long: `init reads INPUT's header and a sample of its rows and prints a mapping that a merchant
can use after a glance: common header names matched to the API's fields, a key column,
date formats detected from the sampled values (with a comment where the sample is
ambiguous), and the columns it could not match listed as comments. Secret fields
(customer_password, customer_PIN) get no transform. When no column is recognised, the
mapping it prints has no fields (validate refuses it until you add some) and init says
so on stderr too; it still exits 0.

  custimport init customers.csv > mapping.yaml`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opt := sheet.Options{Sheet: sheetName, Encoding: encoding}
			if delimiter != "" {
				d, err := sheet.ParseDelimiter(delimiter)
				if err != nil {
					return withCode(exitUsage, fmt.Errorf("--delimiter: %w", err))
				}
				opt.Delimiter = d
			}
			if cmd.Flags().Changed("header-row") && headerRow < 1 {
				return withCode(exitUsage, errors.New("--header-row must be 1 or more"))
			}
			if !cmd.Flags().Changed("header-row") {
				row, err := guessHeaderRow(args[0], opt)
				if err != nil {
					return withCode(exitUsage, err)
				}
				headerRow = row
			}
			header, sample, err := readSample(args[0], opt, headerRow, initSample)
			if err != nil {
				return withCode(exitUsage, err)
			}
			sug := mapping.SuggestMapping(header, sample, mapping.SuggestOptions{
				Input: args[0], Sheet: sheetName, HeaderRow: headerRow,
			})
			if _, err := a.stdout.Write(sug.YAML(header, args[0])); err != nil {
				return err
			}
			if len(sug.Fields) == 0 {
				// The contract gives init no exit code for this: 0, and say it where a
				// redirected stdout does not hide it.
				fmt.Fprintf(a.stderr, "custimport: init %s:\n", args[0])
				for _, line := range mapping.NoMatchComment(header) {
					fmt.Fprintf(a.stderr, "  %s\n", line)
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&sheetName, "sheet", "", "XLSX sheet `name` (default: the first visible sheet)")
	// The default is 0, "guess": a non-zero default would be printed beside "(default: guessed)".
	cmd.Flags().IntVar(&headerRow, "header-row", 0, "the `row` that holds the column names (default: guessed)")
	cmd.Flags().StringVar(&delimiter, "delimiter", "", "CSV delimiter (default: detected)")
	cmd.Flags().StringVar(&encoding, "encoding", "", "CSV encoding (default: detected)")
	return cmd
}

// readSample returns the header texts and up to n data rows of input.
func readSample(input string, opt sheet.Options, headerRow, n int) ([]string, [][]sheet.Cell, error) {
	opt.HeaderRow = headerRow
	rd, err := sheet.Open(input, opt)
	if err != nil {
		return nil, nil, err
	}
	defer rd.Close()
	var header []string
	var sample [][]sheet.Cell
	for len(sample) < n {
		row, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		switch {
		case row.Number < headerRow:
		case row.Number == headerRow:
			header = row.Texts()
		case header == nil:
			return nil, nil, fmt.Errorf("%s: header row %d is empty (use --header-row)", input, headerRow)
		default:
			sample = append(sample, row.Cells)
		}
	}
	if header == nil {
		return nil, nil, fmt.Errorf("%s: no header: the file has no row %d", input, headerRow)
	}
	return header, sample, nil
}

// headerScan is how many non-empty rows guessHeaderRow looks at.
const headerScan = 50

// guessHeaderRow finds the header of a sheet that has titles or notes above it: the
// first row with at least two cells and at least 60% as many cells as the fullest of the
// first rows. A plain file gives its first row.
//
// A CSV's delimiter is detected on its header line; title lines above the header may have
// none of it. So when no row of a CSV has two cells, and no delimiter is given, each of
// the first rows is tried as the header line in turn.
func guessHeaderRow(input string, opt sheet.Options) (int, error) {
	row, cells, err := guessHeaderRowWith(input, opt)
	ext := strings.ToLower(filepath.Ext(input))
	if err != nil || cells >= 2 || opt.Delimiter != 0 || ext == ".xlsx" || ext == ".xlsm" {
		return row, err
	}
	for k := 2; k <= 10; k++ {
		o := opt
		o.HeaderRow = k
		if r, c, err := guessHeaderRowWith(input, o); err == nil && c >= 2 {
			return r, nil
		}
	}
	return row, nil
}

// guessHeaderRowWith is guessHeaderRow for one way of reading input; it also returns
// how many cells the row it picks has.
func guessHeaderRowWith(input string, opt sheet.Options) (number, cells int, err error) {
	rd, err := sheet.Open(input, opt)
	if err != nil {
		return 0, 0, err
	}
	defer rd.Close()
	type counted struct{ number, cells int }
	var rows []counted
	most := 0
	for len(rows) < headerScan {
		row, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, 0, err
		}
		n := 0
		for _, c := range row.Cells {
			if c.Kind != sheet.Empty && strings.TrimSpace(c.Text) != "" {
				n++
			}
		}
		rows = append(rows, counted{row.Number, n})
		most = max(most, n)
	}
	for _, r := range rows {
		if r.cells >= 2 && r.cells*10 >= most*6 {
			return r.number, r.cells, nil
		}
	}
	if len(rows) > 0 {
		return rows[0].number, rows[0].cells, nil
	}
	return 1, 0, nil
}
