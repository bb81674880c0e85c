// Package mapping turns spreadsheet rows into the API's customer fields.
//
// A mapping file (YAML) names, for each API field, where its value comes from: a column of
// the input (by header text or by column letter), or a constant. Load and Parse read the file
// strictly: an unknown key, an unknown API field, an unknown transform, a bad date_format and
// every other mistake is an *Error naming the file and line, and all of a file's mistakes are
// reported together (errors.Join), not only the first.
//
// Bind resolves the mapping's columns against a sheet's header and gives a Plan; Plan.Apply
// maps one row to the fields to send, the row's customer Identity, its Problems (errors and
// warnings) and a Hash of what would be sent. DupIndex notices two rows of one file that name
// the same customer with different data. Suggest writes a first mapping for a header, for
// `custimport init`.
//
// # Header matching
//
// A column named by text matches the header cell whose NormalizeHeader form is the same:
// case, white space (leading, trailing and inner), '_', '-' and the Unicode normalisation
// form (an é written as one character or as e and an accent) are ignored, and nothing else
// (so "E-mail", "e_mail" and " EMAIL " are one column, but "E.mail" is another). A column
// named by one to three upper-case letters ("C", "AB") that matches no header text is taken as
// a column letter.
//
// # Values
//
// A cell's text goes through the field's transforms in the order written. `default` stands in
// for a cell that is empty after trimming, and goes through the same transforms and checks as
// the cell would; `value` is a constant, transformed and checked once, when the mapping is bound.
// A field whose value is empty is not sent. Values of checked fields (code, card_number, email,
// dates, card_number_generate, flags, pick and list choices) are trimmed before the check;
// text fields are sent as the transforms leave them.
//
// A row is invalid when its own cells send nothing (defaults and constants do not count), and
// when a cell breaks its field's rule; every problem of a row is reported. An XLSX error cell
// (#N/A) counts as empty, with a warning.
//
// Flags (send_no_email, new_code) are sent only when their value is true-ish (see Truthy):
// send_no_email as "true" and new_code as "Yes", as the API's documentation shows them.
//
// # Dates
//
// date_format tokens are YYYY, YY, MM, M, DD, D, HH, mm and ss; every other character but a
// letter is a separator that must appear as written, and T may be used as a literal (ISO
// 8601). MM, DD, HH, mm and ss also accept a single digit when a separator follows them; M and
// D take one or two digits. A two-digit year 00-29 is 2000-2029 and 30-99 is 1930-1999, as in
// Excel. An XLSX date cell is read as the date it holds, whatever the format. A text cell
// with no date_format must be YYYY-MM-DD (a datetime field also takes YYYY-MM-DD HH:mm:ss).
package mapping
