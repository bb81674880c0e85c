package mapping

import (
	"encoding/csv"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/custimport/custimport/importer/sheet"
)

// Header lines copied from the real files in shared/realdata (see its SOURCES.md).
var realHeaders = map[string]string{
	"febrl":      "rec_id, given_name, surname, street_number, address_1, address_2, suburb, postcode, state, date_of_birth, soc_sec_id",
	"splink":     "unique_id,first_name,surname,dob,city,email,cluster",
	"salesforce": "ID,ISDELETED,MASTERRECORDID,NAME,TYPE,PARENTID,BILLINGSTREET,BILLINGCITY,BILLINGSTATE,BILLINGPOSTALCODE,BILLINGCOUNTRY,SHIPPINGSTREET,SHIPPINGCITY,SHIPPINGSTATE,SHIPPINGPOSTALCODE,SHIPPINGCOUNTRY,PHONE,FAX,ACCOUNTNUMBER,WEBSITE,SIC,INDUSTRY,ANNUALREVENUE,NUMBEROFEMPLOYEES,OWNERSHIP,TICKERSYMBOL,DESCRIPTION,RATING,SITE,OWNERID,CREATEDDATE,CREATEDBYID,LASTMODIFIEDDATE,LASTMODIFIEDBYID,SYSTEMMODSTAMP,LASTACTIVITYDATE,ORACLE_ID__C,SESSION_ID__C",
	"chicago":    "Id,Source,Site name,Address,Zip,Phone,Fax,Program Name,Length of Day,IDHS Provider ID,Agency,Neighborhood,Funded Enrollment,Program Option,Number per Site EHS,Number per Site HS,Director,Head Start Fund,Eearly Head Start Fund,CC fund,Progmod,Website,Executive Director,Center Director,ECE Available Programs,NAEYC Valid Until,NAEYC Program Id,Email Address,Ounce of Prevention Description,Purple binder service type,Column,Column2",
	"merchant":   "Customer ID,Customer Code,Card No,First Name,Last Name,E-mail,Mobile,Birthday,Street Address,Suburb,Post Code,Country,Notes,Notes",
}

func TestSuggestRealHeaders(t *testing.T) {
	tests := []struct {
		name   string
		key    string
		fields map[string]string // API field -> header text it should be fed by
		absent []string          // API fields that must not be guessed
	}{
		{name: "febrl", key: "rec_id", fields: map[string]string{"first_name": "given_name", "last_name": "surname", "street1": "address_1", "street2": "address_2",
			"city": "suburb", "postal_code": "postcode", "state": "state", "custom_date": "date_of_birth"}},
		{name: "splink", key: "unique_id", fields: map[string]string{"first_name": "first_name", "last_name": "surname", "custom_date": "dob", "city": "city", "email": "email"}},
		{"salesforce", "ACCOUNTNUMBER", map[string]string{"street1": "BILLINGSTREET", "city": "BILLINGCITY", "state": "BILLINGSTATE",
			"postal_code": "BILLINGPOSTALCODE", "country": "BILLINGCOUNTRY", "phone": "PHONE"},
			[]string{"code", "last_name", "first_name", "custom_date"}},
		{name: "chicago", key: "Id", fields: map[string]string{"street1": "Address", "postal_code": "Zip", "phone": "Phone", "email": "Email Address"}},
		{name: "merchant", key: "Customer ID", fields: map[string]string{"code": "Customer Code", "card_number": "Card No", "first_name": "First Name", "last_name": "Last Name",
			"email": "E-mail", "phone": "Mobile", "custom_date": "Birthday", "street1": "Street Address", "city": "Suburb", "postal_code": "Post Code", "country": "Country"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			header := strings.Split(realHeaders[tt.name], ",")
			s := SuggestMapping(header, nil, SuggestOptions{})
			got := map[string]string{}
			for _, f := range s.Fields {
				got[f.Name] = strings.TrimSpace(header[f.Column])
			}
			for field, h := range tt.fields {
				if got[field] != h {
					t.Errorf("%s <- %q, want %q", field, got[field], h)
				}
			}
			for _, field := range tt.absent {
				if h, ok := got[field]; ok {
					t.Errorf("%s guessed from %q", field, h)
				}
			}
			if s.Key < 0 || strings.TrimSpace(header[s.Key]) != tt.key {
				t.Errorf("key %d, want %q", s.Key, tt.key)
			}
			out := Suggest(header, nil, SuggestOptions{Input: tt.name + ".csv"})
			m, err := Parse(out, "suggested.yaml")
			if err != nil {
				t.Fatalf("suggestion does not load: %v\n%s", err, out)
			}
			if _, err := m.Bind(header); err != nil {
				t.Fatalf("suggestion does not bind: %v\n%s", err, out)
			}
			if len(m.Fields) != len(s.Fields) {
				t.Errorf("loaded %d fields, suggested %d", len(m.Fields), len(s.Fields))
			}
		})
	}
}

func TestSuggestDuplicateHeaderUsesLetter(t *testing.T) {
	header := strings.Split(realHeaders["merchant"], ",")
	header[12] = "Email"
	header[13] = "E-mail " // same normalised text as column F
	out := Suggest(header, nil, SuggestOptions{})
	if !strings.Contains(string(out), "email: {column: F,") {
		t.Errorf("email should be named by letter:\n%s", out)
	}
	m, err := Parse(out, "s.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Bind(header); err != nil {
		t.Fatalf("bind: %v\n%s", err, out)
	}
}

func TestSuggestOptionsAndFuzzy(t *testing.T) {
	header := []string{"Emial Adress", "Frist Name", "Mobile Phone Number", "Yes", "#hash", "a: b", ""}
	out := string(Suggest(header, nil, SuggestOptions{Sheet: "Customers: 2024", HeaderRow: 9, Input: "x.xlsx"}))
	for _, want := range []string{"sheet: 'Customers: 2024'", "header_row: 9", "email:", "first_name:", "phone:", "a guess from the header", `G ""`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	m, err := Parse([]byte(out), "s.yaml")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if m.Sheet != "Customers: 2024" || m.HeaderRow != 9 {
		t.Errorf("sheet %q header_row %d", m.Sheet, m.HeaderRow)
	}
	if _, err := m.Bind(header); err != nil {
		t.Fatal(err)
	}
	// Nothing matches: still a file, which says so (it does not load: no fields).
	out = string(Suggest([]string{"foo", "bar"}, nil, SuggestOptions{}))
	if !strings.Contains(out, "No column matched") || !strings.Contains(out, `A "foo"`) {
		t.Errorf("empty suggestion:\n%s", out)
	}
}

func TestDetectDateFormat(t *testing.T) {
	cells := func(ss ...string) []sheet.Cell {
		var out []sheet.Cell
		for _, s := range ss {
			out = append(out, sheet.Cell{Kind: sheet.String, Text: s})
		}
		return out
	}
	dateCells := func(n int) []sheet.Cell {
		out := make([]sheet.Cell, n)
		for i := range out {
			out[i] = sheet.Cell{Kind: sheet.Date, Text: "1985-04-03", Raw: "31140"}
		}
		return out
	}
	tests := []struct {
		name   string
		cells  []sheet.Cell
		format string
		note   string // substring; "" for none
	}{
		{"iso", cells("2015-10-29", "2015-07-31", ""), "", ""},
		{"compact", cells(" 19081209", " 19990219"), "YYYYMMDD", ""},
		{"day first", cells("25/12/1990", "01/02/2003"), "DD/MM/YYYY", ""},
		{"month first", cells("12/25/1990", "01/02/2003"), "MM/DD/YYYY", ""},
		{"ambiguous", cells("01/02/2003", "11/12/1999"), "DD/MM/YYYY", "ambiguous"},
		{"dotted", cells("31.12.1999"), "DD.MM.YYYY", ""},
		{"two-digit year", cells("31/12/99"), "DD/MM/YY", ""},
		{"some bad", cells("2015-10-29", "2015-10-30", "soon"), "", "2 of 3"},
		{"unreadable", cells("soon", "later"), "", "could not read the sampled dates ("},
		{"dotted with a time", cells("25.12.1980 10:30", "01.02.1999 08:00"), "DD.MM.YYYY HH:mm", ""},
		// Two layouts, each reading half: no day/month ambiguity, and one format cannot do.
		{"mixed iso forms", cells("1985-04-03T00:00:00", "1990-12-25 10:00:00"), "YYYY-MM-DD HH:mm:ss",
			"only 1 of 2 sampled dates read as YYYY-MM-DD HH:mm:ss, as many as read as YYYY-MM-DDTHH:mm:ss"},
		{"ambiguous with a time", cells("01/02/2003 10:00", "11/12/1999 09:30"), "DD/MM/YYYY HH:mm", "no sampled day is above 12"},
		{"date cells", []sheet.Cell{{Kind: sheet.Date, Text: "2020-01-02"}}, "", "real date cells: no date_format needed"},
		{"date cells and ISO text", append(dateCells(5), cells("2015-10-29")...), "", "5 of 6 sampled values are real date cells"},
		{"date cells and day-first text", append(dateCells(5), cells("29/10/2015", "")...), "DD/MM/YYYY", "5 of 6 sampled values are real date cells"},
		{"date cells and bad text", append(dateCells(46), cells("31/02/1985", "1985-07-14", "30/13/1970")...), "", "1 of 3 sampled text values read as YYYY-MM-DD"},
		{"date cells and unreadable text", append(dateCells(2), cells("soon")...), "", "could not read the sampled text values"},
		{"empty", nil, "", "no sampled values"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, note := detectDateFormat(tt.cells)
			if f != tt.format || (tt.note == "") != (note == "") || !strings.Contains(note, tt.note) {
				t.Errorf("got %q %q, want %q %q", f, note, tt.format, tt.note)
			}
		})
	}
}

// realdata finds shared/realdata beside the repository, or skips.
func realdata(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Skip("repository root not found")
		}
		dir = parent
	}
	rd := filepath.Join(dir, "..", "shared", "realdata")
	if _, err := os.Stat(rd); err != nil {
		tb.Skip("shared/realdata not present")
	}
	return rd
}

// readCSV reads a real CSV with encoding/csv (the sheet readers are tested elsewhere).
func readCSV(tb testing.TB, path string, rows int) ([]string, [][]sheet.Cell) {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Skipf("open: %v", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	header, err := r.Read()
	if err != nil {
		tb.Fatal(err)
	}
	var sample [][]sheet.Cell
	for len(sample) < rows {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			tb.Fatal(err)
		}
		var cells []sheet.Cell
		for _, s := range rec {
			k := sheet.String
			if s == "" {
				k = sheet.Empty
			}
			cells = append(cells, sheet.Cell{Kind: k, Text: s})
		}
		sample = append(sample, cells)
	}
	return header, sample
}

// TestSuggestRealFiles suggests mappings for real files, then applies them to every row
// read: the suggestion must load and bind, and most rows must come out valid.
func TestSuggestRealFiles(t *testing.T) {
	rd := realdata(t)
	tests := []struct {
		file       string
		minValid   float64
		dateFormat string
	}{
		{"febrl_dataset1.csv", 0.9, "YYYYMMDD"},
		{"splink_fake_1000.csv", 0.8, ""},
		{"dedupe_chicago_messy_input.csv", 0.95, ""},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			header, rows := readCSV(t, filepath.Join(rd, "csv", tt.file), 5000)
			out := Suggest(header, rows[:min(len(rows), 50)], SuggestOptions{Input: tt.file})
			m, err := Parse(out, "suggested.yaml")
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			for _, f := range m.Fields {
				if f.Name == "custom_date" && f.DateFormat != tt.dateFormat {
					t.Errorf("date_format %q, want %q", f.DateFormat, tt.dateFormat)
				}
			}
			p, err := m.Bind(header)
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			valid := 0
			reasons := map[string]int{}
			for i, cells := range rows {
				r := p.Apply(sheet.Row{Number: i + 2, Cells: cells})
				if r.Valid() {
					valid++
				}
				for _, pr := range r.Problems {
					reasons[pr.Field+": "+pr.Reason]++
				}
			}
			share := float64(valid) / float64(len(rows))
			t.Logf("%d of %d rows valid; problems %v", valid, len(rows), reasons)
			if share < tt.minValid {
				t.Errorf("only %.0f%% of rows valid\n%s", share*100, out)
			}
		})
	}
}

// TestSamplesMapping loads the repository's sample mapping and applies it to the sample
// CSV, when both are present.
func TestSamplesMapping(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Dir(wd) // the package is one level below the module root
	m, err := Load(filepath.Join(root, "samples", "mapping.yaml"))
	if errors.Is(err, os.ErrNotExist) {
		t.Skip("no samples/mapping.yaml")
	}
	if err != nil {
		t.Fatal(err)
	}
	header, rows := readCSV(t, filepath.Join(root, "samples", "customers.csv"), 1000)
	p, err := m.Bind(header)
	if err != nil {
		t.Fatal(err)
	}
	for i, cells := range rows {
		r := p.Apply(sheet.Row{Number: i + 2, Cells: cells})
		for _, pr := range r.Problems {
			t.Logf("row %d: %s", i+2, pr)
		}
	}
}

// TestApplyConcurrent: a Plan is read-only and may be shared by goroutines (run with -race).
func TestApplyConcurrent(t *testing.T) {
	p := mustBind(t, benchMapping, benchHeader...)
	want := p.Apply(benchRow())
	done := make(chan Result)
	for range 4 {
		go func() {
			var r Result
			for range 200 {
				r = p.Apply(benchRow())
			}
			done <- r
		}()
	}
	for range 4 {
		if r := <-done; r.Hash != want.Hash {
			t.Errorf("hash %x, want %x", r.Hash, want.Hash)
		}
	}
}

// TestSuggestionYAMLQuoting: header texts that YAML would read as something else stay text.
func TestSuggestionYAMLQuoting(t *testing.T) {
	header := []string{"123", "null", "yes: no", "- x", "#x", "[a]", "'q'", "~"}
	s := Suggestion{Key: 0}
	names := []string{"first_name", "last_name", "city", "state", "country", "custom_field", "street1"}
	for i, n := range names {
		s.Fields = append(s.Fields, SuggestedField{Name: n, Column: i + 1, Ref: header[i+1], Exact: true, Transforms: []Transform{Trim}})
	}
	out := s.YAML(header, "")
	m, err := Parse(out, "q.yaml")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if m.Key == nil || m.Key.Column != "123" {
		t.Errorf("key %+v\n%s", m.Key, out)
	}
	for i, f := range m.Fields {
		if f.Column != strings.TrimSpace(header[i+1]) {
			t.Errorf("%s column %q, want %q\n%s", f.Name, f.Column, header[i+1], out)
		}
	}
	if _, err := m.Bind(header); err != nil {
		t.Fatal(err)
	}
}

// TestSuggestRanksExactMatches: a field gets the column that names it best, wherever the
// columns stand, and a suburb beside a city goes on the second address line.
func TestSuggestRanksExactMatches(t *testing.T) {
	tests := []struct {
		name   string
		header string
		fields map[string]string // API field -> header text it should be fed by
		unused []string          // header texts left unmatched
	}{
		{name: "suburb before city", header: "Street,Suburb,City",
			fields: map[string]string{"street1": "Street", "street2": "Suburb", "city": "City"}},
		{name: "city before suburb", header: "Street,City,Suburb",
			fields: map[string]string{"street1": "Street", "street2": "Suburb", "city": "City"}},
		{name: "suburb alone", header: "Street,Suburb,Postcode",
			fields: map[string]string{"street1": "Street", "city": "Suburb", "postal_code": "Postcode"}},
		{name: "town before city", header: "Town,City",
			fields: map[string]string{"city": "City"}, unused: []string{"Town"}},
		{name: "city before town", header: "City,Town",
			fields: map[string]string{"city": "City"}, unused: []string{"Town"}},
		{name: "town before suburb", header: "Street,Town,Suburb",
			fields: map[string]string{"street1": "Street", "city": "Town", "street2": "Suburb"}},
		{name: "address 2 taken", header: "Address 1,Suburb,Address 2,City",
			fields: map[string]string{"street1": "Address 1", "street2": "Address 2", "city": "City"}, unused: []string{"Suburb"}},
		{name: "locality beside city", header: "Locality,City",
			fields: map[string]string{"street2": "Locality", "city": "City"}},
		{name: "mobile before phone", header: "Mobile,Phone",
			fields: map[string]string{"phone": "Phone"}, unused: []string{"Mobile"}},
		{name: "phone before mobile", header: "Phone,Mobile",
			fields: map[string]string{"phone": "Phone"}, unused: []string{"Mobile"}},
		{name: "beaten alias takes no fuzzy field", header: "State,County",
			fields: map[string]string{"state": "State"}, unused: []string{"County"}},
		{name: "beaten alias takes no fuzzy field, reversed", header: "County,State",
			fields: map[string]string{"state": "State"}, unused: []string{"County"}},
		{name: "exact alias beats fuzzy name", header: "Emails Sent,E-mail Address",
			fields: map[string]string{"email": "E-mail Address"}, unused: []string{"Emails Sent"}},
		{name: "sample", header: "Customer ID,Customer Code,Card Number,First Name,Last Name,E-mail,Mobile,Street,Suburb,City,Postcode,Country,Birthday,Favourite Cheeses,Opt Out Email",
			fields: map[string]string{"code": "Customer Code", "card_number": "Card Number", "street1": "Street", "street2": "Suburb", "city": "City",
				"postal_code": "Postcode", "custom_date": "Birthday"},
			unused: []string{"Favourite Cheeses", "Opt Out Email"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			header := strings.Split(tt.header, ",")
			s := SuggestMapping(header, nil, SuggestOptions{})
			got := map[string]string{}
			cols := map[int]string{}
			for _, f := range s.Fields {
				got[f.Name] = header[f.Column]
				if o, ok := cols[f.Column]; ok {
					t.Errorf("column %q feeds %s and %s", header[f.Column], o, f.Name)
				}
				cols[f.Column] = f.Name
			}
			for field, h := range tt.fields {
				if got[field] != h {
					t.Errorf("%s <- %q, want %q", field, got[field], h)
				}
			}
			var unused []string
			for _, i := range s.Unused {
				unused = append(unused, header[i])
			}
			if strings.Join(unused, ",") != strings.Join(tt.unused, ",") {
				t.Errorf("unused %q, want %q", unused, tt.unused)
			}
			out := Suggest(header, nil, SuggestOptions{})
			if h := got["street2"]; (h == "Suburb" || h == "Locality") != strings.Contains(string(out), "second address line") {
				t.Errorf("street2 <- %q: comment on the address line wrong:\n%s", h, out)
			}
			m, err := Parse(out, "s.yaml")
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if _, err := m.Bind(header); err != nil {
				t.Fatalf("bind: %v\n%s", err, out)
			}
		})
	}
}

// TestSuggestDateCellsNeedNoFormat: what the comment promises holds: with the date_format
// detected from a mixed column's text values, a date cell is still sent as YYYY-MM-DD.
func TestSuggestDateCellsNeedNoFormat(t *testing.T) {
	header := []string{"Customer ID", "Birthday"}
	day := time.Date(1985, 4, 3, 0, 0, 0, 0, time.UTC)
	dateRow := []sheet.Cell{{Kind: sheet.String, Text: "A1"}, {Kind: sheet.Date, Text: "1985-04-03", Raw: "31140", Time: day}}
	textRow := []sheet.Cell{{Kind: sheet.String, Text: "A2"}, {Kind: sheet.String, Text: "29/02/1988"}}
	sample := [][]sheet.Cell{dateRow, dateRow, dateRow, textRow}
	out := Suggest(header, sample, SuggestOptions{})
	if !strings.Contains(string(out), "3 of 4 sampled values are real date cells: no date_format needed") ||
		!strings.Contains(string(out), "date_format: DD/MM/YYYY") {
		t.Errorf("suggestion:\n%s", out)
	}
	m, err := Parse(out, "s.yaml")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	p, err := m.Bind(header)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name  string
		cells []sheet.Cell
		want  string
	}{
		{"date cell", dateRow, "1985-04-03"},
		{"text", textRow, "1988-02-29"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := p.Apply(sheet.Row{Number: 2, Cells: tt.cells})
			got := ""
			for _, f := range r.Fields {
				if f.Name == "custom_date" {
					got = f.Value
				}
			}
			if got != tt.want || len(r.Problems) > 0 {
				t.Errorf("custom_date %q (problems %v), want %q", got, r.Problems, tt.want)
			}
		})
	}
}
