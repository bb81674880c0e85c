package report_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/custimport/custimport/mapping"
	"github.com/custimport/custimport/report"
)

// Rows finish in any order; the results file lists them in input order.
func ExampleWriter() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "customers.results.csv")

	w, err := report.Create(path, []string{"Customer ID", "E-mail"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer w.Abort() // leaves the partial file if Close is never reached
	rows := []report.Row{
		{Seq: 2, Number: 4, Status: report.StatusError, Attempts: 1, Messages: []string{"API: invalid e-mail"}, Input: []string{"C3", "=1+1"}},
		{Seq: 0, Number: 2, Status: report.StatusNew, Code: "1001", Attempts: 1, Input: []string{"C1", "a@example.com"}},
		{Seq: 1, Number: 3, Status: report.StatusInvalid, Messages: []string{`email (E-mail): not an e-mail address: "b@"`}, Input: []string{"C2", "b@"}},
	}
	for _, r := range rows {
		if err := w.Add(r); err != nil {
			fmt.Println(err)
			return
		}
	}
	if err := w.Close(); err != nil {
		fmt.Println(err)
		return
	}
	data, err := os.ReadFile(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	// The file ends its lines with CRLF.
	fmt.Print(strings.ReplaceAll(string(data), "\r\n", "\n"))
	// Output:
	// row,status,code,card_number,message,attempts,Customer ID,E-mail
	// 2,new,1001,,,1,C1,a@example.com
	// 3,invalid,,,"email (E-mail): not an e-mail address: ""b@""",0,C2,b@
	// 4,error,,,API: invalid e-mail,1,C3,'=1+1
}

func ExampleSummary_WriteText() {
	s := report.Summary{Requests: 3, Retries: 1, Throttled: 1, Elapsed: 1500 * time.Millisecond, Results: "customers.results.csv"}
	s.AddRow(report.StatusNew, nil)
	s.AddRow(report.StatusUpdate, nil)
	s.AddRow(report.StatusInvalid, []mapping.Problem{{Field: "custom_date", Reason: "not a date in DD/MM/YYYY", Value: "1985-07-14"}})
	if err := s.WriteText(os.Stdout); err != nil {
		fmt.Println(err)
	}
	// Output:
	// 3 rows: 1 new, 1 update, 1 invalid
	// requests 3 (1 retry, 1 throttled) in 1.5s, 2.0/s
	// most common problems:
	//   custom_date: not a date in DD/MM/YYYY (1 row)
	// results: customers.results.csv
}
