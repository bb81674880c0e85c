package report

import "strings"

// SafeCell returns s as the results file writes it.
//
// A value that a spreadsheet program would run as a formula, one that starts with '=', '+',
// '-', '@', a tab or a carriage return, gets a leading apostrophe, so "=HYPERLINK(...)" is
// shown as text instead of being evaluated (OWASP's "CSV injection" advice). Line breaks
// inside the value are written as "\n" ("\r\n" and a lone "\r" become "\n"), the way
// spreadsheet programs store a line break inside a cell; this makes the CSV file read back
// exactly, since CSV readers drop a carriage return before a newline.
func SafeCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		s = "'" + s
	}
	if strings.IndexByte(s, '\r') >= 0 {
		s = strings.ReplaceAll(s, "\r\n", "\n")
		s = strings.ReplaceAll(s, "\r", "\n")
	}
	return s
}

// oneLine joins a row's messages into the message column: "; "-separated, each message's
// own line breaks turned into spaces.
func oneLine(msgs []string) string {
	var s string
	switch len(msgs) {
	case 0:
		return ""
	case 1:
		s = msgs[0]
	default:
		s = strings.Join(msgs, "; ")
	}
	if strings.ContainsAny(s, "\r\n") {
		s = strings.NewReplacer("\r\n", " ", "\r", " ", "\n", " ").Replace(s)
	}
	return s
}
