// Package report writes the results file (one row per input row, in input order) and the
// run summary.
//
// Create starts a results file, CSV or XLSX by its extension; Writer.Add takes finished rows
// in any order and writes them in input order (by Row.Seq); Writer.Close renames the
// finished file into place, and Writer.Abort leaves the partial file for a run that cannot
// finish. Every cell goes through SafeCell, which defuses spreadsheet formulas. The files
// are created with mode 0600: they hold personal data.
//
// After a crash (kill -9, power cut) the destination is untouched, and the rows written up
// to the last flush (see Writer: every 200 ms or 1,000 rows) are beside it in a readable
// CSV partial file, whatever the results' format: "r.partial.csv" for "r.csv" and for "r.xlsx" alike
// (UTF-8, the results' columns, only whole rows). For XLSX the
// workbook is built from that file at the end, so a crash leaves no "r.partial.xlsx".
//
// Summary counts a run's rows by status and problem, with its request figures, and writes
// them as a short text for a person (WriteText) or as JSON for a script (WriteJSON).
package report

// Status is how a row ended.
type Status string

// The statuses of the contract.
const (
	StatusNew       Status = "new"       // the API created a customer
	StatusUpdate    Status = "update"    // the API updated an existing customer
	StatusUnchanged Status = "unchanged" // not sent: the state says nothing changed since the last send
	StatusInvalid   Status = "invalid"   // not sent: the row failed validation
	StatusError     Status = "error"     // the API rejected the row, or it failed after every retry
	StatusUnknown   Status = "unknown"   // sent, no usable answer, and not repeated (a repeat could create a second customer)
	StatusSkipped   Status = "skipped"   // not attempted: the run stopped early
	StatusValid     Status = "valid"     // dry run: the row would be sent
)

// Statuses lists every status in the order summaries show them.
var Statuses = []Status{StatusNew, StatusUpdate, StatusUnchanged, StatusValid, StatusInvalid, StatusError, StatusUnknown, StatusSkipped}

// OK reports whether a row that ended with s counts as a success for the exit code.
func (s Status) OK() bool {
	switch s {
	case StatusNew, StatusUpdate, StatusUnchanged, StatusValid:
		return true
	}
	return false
}

// Row is one finished row of the results file.
type Row struct {
	// Seq is the row's position among the data rows of the input, from 0; the writer
	// uses it to put rows back in input order.
	Seq        int
	Number     int // the row's number as a spreadsheet shows it
	Status     Status
	Code       string
	CardNumber string
	Messages   []string // every problem, warning or API error, each one line
	Attempts   int
	Input      []string // the row's original cells as read, secret columns already blanked
	// Line, when not empty, is Input joined by commas, and none of Input's cells holds a
	// comma, a quote, a CR or an LF: a CSV results file may copy it rather than write
	// the cells one by one (sheet.TextReader's Line).
	Line string
}

// FixedColumns are the first columns of every results file.
var FixedColumns = []string{"row", "status", "code", "card_number", "message", "attempts"}
