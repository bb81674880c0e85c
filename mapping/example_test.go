package mapping_test

import (
	"errors"
	"fmt"

	"github.com/custimport/custimport/importer/sheet"
	"github.com/custimport/custimport/mapping"
)

func ExampleParse() {
	_, err := mapping.Parse([]byte(`fields:
  first_name: {colum: First Name}
  emial: E-mail
`), "mapping.yaml")
	fmt.Println(err)
	fmt.Println(errors.Is(err, mapping.ErrUnknownField))
	// Output:
	// mapping.yaml:2: fields.first_name: unknown key "colum", did you mean "column"? (known: column, value, default, transform, date_format, type, choices)
	// mapping.yaml:3: fields.emial: unknown API field, did you mean "email"? (see the field list in the documentation)
	// true
}

func ExamplePlan_Apply() {
	m, err := mapping.Parse([]byte(`key: Customer ID
fields:
  first_name: {column: Name, transform: [trim, title]}
  email: {column: E-mail, transform: [trim, lower]}
  custom_date: {column: Birthday, date_format: DD/MM/YYYY}
  send_no_email: {value: "true"}
`), "mapping.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	plan, err := m.Bind([]string{"Customer ID", "name", "EMAIL", "Birthday"})
	if err != nil {
		fmt.Println(err)
		return
	}
	cell := func(s string) sheet.Cell { return sheet.Cell{Kind: sheet.String, Text: s} }
	r := plan.Apply(sheet.Row{Number: 2, Cells: []sheet.Cell{cell("C-7"), cell(" o'brien "), cell("Ann@Example.com"), cell("31/02/1990")}})
	fmt.Println(r.Fields)
	fmt.Println(r.Identity.Key, r.Valid())
	for _, p := range r.Problems {
		fmt.Println(p)
	}
	// Output:
	// [first_name=O'Brien email=ann@example.com send_no_email=true]
	// C-7 false
	// custom_date (Birthday): not a real date: "31/02/1990"
}
