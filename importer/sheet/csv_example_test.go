package sheet_test

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/custimport/custimport/importer/sheet"
)

// A semicolon-separated export with a quoted line break and a blank line: the record
// that spans two lines is one row, and the blank line keeps its number.
func ExampleOpenCSV() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "customers.csv")
	data := "Code;Name;Notes\r\n1001;Renée;\"rings after 5pm;\r\nnot Sundays\"\r\n\r\n1002;Bob;\r\n"
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		fmt.Println(err)
		return
	}

	r, err := sheet.OpenCSV(path, sheet.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%d %q\n", row.Number, row.Texts())
	}
	// Output:
	// 1 ["Code" "Name" "Notes"]
	// 2 ["1001" "Renée" "rings after 5pm;\nnot Sundays"]
	// 4 ["1002" "Bob" ""]
}
