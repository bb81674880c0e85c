package mapping

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
	"golang.org/x/text/unicode/norm"

	"github.com/custimport/custimport/importer/sheet"
)

// SuggestOptions describe the input a mapping is suggested for.
type SuggestOptions struct {
	Input     string // the input file's name, for the header comment; may be ""
	Sheet     string // the XLSX sheet to name in the mapping; "" for none
	HeaderRow int    // the header's row number; 0 or 1 leave header_row out
}

// Suggestion is a suggested mapping before it is written as YAML.
type Suggestion struct {
	Sheet     string
	HeaderRow int
	Key       int // column index of the key, -1 for none
	Fields    []SuggestedField
	Unused    []int // columns matched to nothing (nor the key)
}

// SuggestedField is one API field matched to a column.
type SuggestedField struct {
	Name       string
	Column     int
	Ref        string // how the mapping names the column: its header text, or its letter
	Exact      bool   // the header is a known name of the field; false for a fuzzy guess
	Transforms []Transform
	DateFormat string // for custom_date: the detected format ("" for YYYY-MM-DD or date cells)
	Note       string // a remark for the YAML comment, e.g. an ambiguous date format
}

// keyHeaders are the normalised header texts taken for the merchant's own id column, best
// first.
var keyHeaders = []string{
	"customerid", "customernumber", "customerno", "customerref", "customerreference", "custid", "custno",
	"clientid", "clientnumber", "memberid", "accountnumber", "accountno", "accountid", "contactid",
	"uniqueid", "recid", "recordid", "externalid", "id",
}

// dateCandidates are the date formats tried on sampled text values, in order of preference
// when several read every value.
var dateCandidates = []string{
	"YYYY-MM-DD", "YYYYMMDD", "DD/MM/YYYY", "MM/DD/YYYY", "DD.MM.YYYY", "DD-MM-YYYY", "MM-DD-YYYY",
	"YYYY/MM/DD", "YYYY.MM.DD", "DD/MM/YY", "MM/DD/YY", "DD.MM.YY", "DD-MM-YY", "MM-DD-YY",
	"YYYY-MM-DD HH:mm:ss", "YYYY-MM-DDTHH:mm:ss", "DD/MM/YYYY HH:mm", "MM/DD/YYYY HH:mm",
	"DD/MM/YYYY HH:mm:ss", "MM/DD/YYYY HH:mm:ss", "DD.MM.YYYY HH:mm", "DD.MM.YYYY HH:mm:ss",
	"DD-MM-YYYY HH:mm", "YYYY-MM-DD HH:mm",
}

// Suggest proposes a mapping for a header, from sampled data rows, as YAML that Load
// accepts: every header matched to the API field it most likely feeds (each field used
// once), a key column guessed, date formats detected, and unmatched columns listed in
// comments.
func Suggest(header []string, sample [][]sheet.Cell, opts SuggestOptions) []byte {
	return SuggestMapping(header, sample, opts).YAML(header, opts.Input)
}

// SuggestMapping is Suggest before rendering.
func SuggestMapping(header []string, sample [][]sheet.Cell, opts SuggestOptions) Suggestion {
	s := Suggestion{Sheet: opts.Sheet, HeaderRow: opts.HeaderRow, Key: -1}
	norms := make([]string, len(header))
	forms := make([][]string, len(header))
	count := map[string]int{}
	for i, h := range header {
		norms[i] = NormalizeHeader(h)
		forms[i] = headerForms(h)
		count[norms[i]]++
	}
	// The key: the best-ranked key header present.
	bestRank := len(keyHeaders)
	for i, n := range norms {
		if count[n] != 1 {
			continue
		}
		for _, form := range forms[i] {
			if r := slices.Index(keyHeaders, form); r >= 0 && r < bestRank {
				s.Key, bestRank = i, r
			}
		}
	}
	type cand struct {
		score, col int
		field      string
	}
	var cands []cand
	for i, n := range norms {
		if n == "" || i == s.Key {
			continue
		}
		exact := false
		for _, f := range catalog {
			sc := 0
			for k, form := range forms[i] {
				fs := matchScore(form, f)
				if k > 0 && fs > 0 {
					// A form without punctuation, or without a qualifier, is a guess: the
					// header as written wins a tie ("Email" over "Email (old)"), and a
					// qualified header never names the code or card number, whose wrong
					// column would update other customers ("Code (legacy)").
					if form != looseHeader(header[i]) {
						if f.Rule == RuleDigits || f.Secret {
							continue
						}
						fs -= 5
					} else {
						fs--
					}
				}
				sc = max(sc, fs)
			}
			if sc > 0 {
				cands = append(cands, cand{sc, i, f.Name})
				exact = exact || sc >= scoreExact
			}
		}
		// A header that is a known name of some field is no guess at another: County,
		// beaten to state by State, is not offered to country as a typo of it.
		if exact {
			cands = slices.DeleteFunc(cands, func(c cand) bool { return c.col == i && c.score < scoreExact })
		}
	}
	// Best match first, so that each field gets its best column and each column its best
	// field: an exact "City" takes city before the alias "Suburb" can, wherever either is.
	slices.SortStableFunc(cands, func(a, b cand) int {
		if c := cmp.Compare(b.score, a.score); c != 0 {
			return c
		}
		return cmp.Compare(a.col, b.col)
	})
	usedCol := map[int]bool{}
	usedField := map[string]bool{}
	for _, c := range cands {
		if usedCol[c.col] || usedField[c.field] {
			continue
		}
		usedCol[c.col], usedField[c.field] = true, true
		s.Fields = append(s.Fields, suggestedField(header, sample, c.field, c.col, c.score >= scoreExact, ""))
	}
	// A column that lost its field to a better one may still name another field.
	for i := range norms {
		if usedCol[i] || i == s.Key {
			continue
		}
		for _, fb := range fallbacks {
			if !slices.Contains(forms[i], fb.header) || usedField[fb.field] || !usedField[fb.lostTo] {
				continue
			}
			usedCol[i], usedField[fb.field] = true, true
			note := fmt.Sprintf("%q as the second address line (NZ-style address), since %s feeds %s: check", strings.TrimSpace(header[i]), winner(s.Fields, header, fb.lostTo), fb.lostTo)
			s.Fields = append(s.Fields, suggestedField(header, sample, fb.field, i, true, note))
			break
		}
	}
	slices.SortFunc(s.Fields, func(a, b SuggestedField) int { return cmp.Compare(a.Column, b.Column) })
	for i := range header {
		if !usedCol[i] && i != s.Key {
			s.Unused = append(s.Unused, i)
		}
	}
	return s
}

// Match scores. An exact match of a field's name or its first (primary) header beats one
// of its other headers, and those beat the earlier ones in the catalogue's list: City beats
// Suburb and Town for city, Phone beats Mobile for phone. Every exact match beats every
// fuzzy one (at most 70).
const (
	scoreName  = 100 // the field's name or its primary header
	scoreAlias = 90  // another header of the field, less its place in the list
	scoreExact = 75  // the lowest score of an exact match
)

// fallback is a field a header is offered for when the field it names was taken by a
// better column.
type fallback struct {
	header string // normalised
	lostTo string // the field a better column took
	field  string // the field offered instead
}

// fallbacks: in NZ and AU addresses the suburb (or locality) sits between the street and
// the town or city: "12 Ponsonby Rd, Ponsonby, Auckland 1011". A file with a City column
// as well as a Suburb column is written that way, and the API has no suburb field, so the
// suburb goes on the second address line (as samples/mapping.yaml does) rather than being
// dropped. Alone, a Suburb column is the city (AU addresses have no other). Town is left
// out: beside a City it is no address line a merchant would expect.
var fallbacks = []fallback{
	{header: "suburb", lostTo: "city", field: "street2"},
	{header: "locality", lostTo: "city", field: "street2"},
}

// suggestedField is field name fed by column col, with the transforms and date format that
// suit the field.
func suggestedField(header []string, sample [][]sheet.Cell, name string, col int, exact bool, note string) SuggestedField {
	sf := SuggestedField{Name: name, Column: col, Ref: refOf(header, col), Exact: exact, Note: note}
	if IsSecret(name) {
		// A transform would change the secret: trimmed, a password with a trailing space
		// is another password.
		return sf
	}
	switch name {
	case "email":
		sf.Transforms = []Transform{Trim, Lower}
	case "first_name", "last_name", "city":
		sf.Transforms = []Transform{Trim, Title}
	case "street1", "street2":
		sf.Transforms = []Transform{CollapseSpaces}
	case "custom_date":
		sf.DateFormat, sf.Note = detectDateFormat(column(sample, col))
	default:
		sf.Transforms = []Transform{Trim}
	}
	return sf
}

// winner is how a comment names the column that feeds field.
func winner(fields []SuggestedField, header []string, field string) string {
	for _, f := range fields {
		if f.Name == field {
			return strconv.Quote(strings.TrimSpace(header[f.Column]))
		}
	}
	return "another column"
}

// headerForms returns the normalised forms of a header text that Suggest matches against
// the catalogue's names, the plain NormalizeHeader form first. The others ignore
// punctuation and brackets ("[City]", "{Zip}", "E-mail:"), read "#", "No" and "Nr" as
// "number" ("Loyalty Card #", "Card No."), and drop a qualifier in parentheses or
// brackets or after a colon ("Phone # (mobile)", "Email: primary"). They are for init's
// guesses only: a mapping's column still binds by NormalizeHeader.
func headerForms(h string) []string {
	forms := []string{NormalizeHeader(h)}
	add := func(f string) {
		if f != "" && !slices.Contains(forms, f) {
			forms = append(forms, f)
		}
	}
	add(looseHeader(h))
	if q := stripQualifiers(h); q != h {
		add(looseHeader(q))
	}
	return forms
}

// looseHeader is NormalizeHeader of h's words, punctuation left out: "#" is the word
// "number", and so is a last word "No" or "Nr".
func looseHeader(h string) string {
	var words []string
	var w strings.Builder
	flush := func() {
		if w.Len() > 0 {
			words = append(words, w.String())
			w.Reset()
		}
	}
	for _, r := range norm.NFC.String(h) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r):
			w.WriteRune(r)
		case r == '#' || r == '\uff03':
			flush()
			words = append(words, "number")
		default:
			flush()
		}
	}
	flush()
	if n := len(words); n > 1 {
		switch strings.ToLower(words[n-1]) {
		case "no", "nr", "num":
			words[n-1] = "number"
		}
	}
	return NormalizeHeader(strings.Join(words, ""))
}

// stripQualifiers drops the parts of h in parentheses, brackets or braces, and what
// follows a colon: "Phone # (mobile)" gives "Phone # ", "Email: primary" gives "Email".
// A header that is nothing but a qualifier ("[City]") is returned as it is.
func stripQualifiers(h string) string {
	var b strings.Builder
	depth := 0
	for _, r := range h {
		switch r {
		case '(', '[', '{':
			depth++
			continue
		case ')', ']', '}':
			if depth > 0 {
				depth--
			}
			continue
		case ':':
			if depth == 0 {
				if out := b.String(); looseHeader(out) != "" {
					return out
				}
			}
		}
		if depth == 0 {
			b.WriteRune(r)
		}
	}
	if out := b.String(); looseHeader(out) != "" {
		return out
	}
	return h
}

// matchScore rates how well a normalised header names field f: scoreName or less for a
// known name (see scoreAlias), at most 70 for a prefix, a suffix, a part or a typo of one
// (that is at least half the header), 0 for no match.
func matchScore(n string, f FieldSpec) int {
	if f.Rule == RuleCustomField {
		return 0
	}
	// A wrong code or card number would update someone else's account, and a wrong
	// column for a secret would set a customer's password to it ("Password Hint"):
	// exact names only.
	fuzzy := f.Rule != RuleDigits && !f.Secret
	best := 0
	names := append([]string{NormalizeHeader(f.Name)}, f.Headers...)
	for i, a := range names {
		a = NormalizeHeader(a)
		extra := len(n) - len(a)
		var sc int
		switch {
		case n == a && i <= 1:
			sc = scoreName
		case n == a:
			sc = max(scoreAlias-i, scoreExact)
		case !fuzzy:
		case len(a) >= 4 && 2*len(a) >= len(n) && (strings.HasPrefix(n, a) || strings.HasSuffix(n, a)):
			sc = 70 - extra
		case len(a) >= 5 && 2*len(a) >= len(n) && strings.Contains(n, a):
			sc = 55 - extra
		case len(n) >= 5 && len(a) >= 5 && editDistance(n, a) <= typoLimit(a):
			sc = 40 - editDistance(n, a)
		}
		best = max(best, sc)
	}
	return max(best, 0)
}

func typoLimit(s string) int {
	if len(s) >= 8 {
		return 2
	}
	return 1
}

func column(sample [][]sheet.Cell, col int) []sheet.Cell {
	out := make([]sheet.Cell, 0, len(sample))
	for _, row := range sample {
		if col < len(row) {
			out = append(out, row[col])
		}
	}
	return out
}

// detectDateFormat picks the date_format that reads the sampled text values, and a note
// for the YAML comment: where the choice is a guess, and where the column holds real date
// cells (XLSX), which Apply sends as YYYY-MM-DD whatever the date_format says.
func detectDateFormat(cells []sheet.Cell) (format, note string) {
	var texts []string
	dates := 0
	for _, c := range cells {
		switch {
		case c.Kind == sheet.Date:
			dates++
		case !isBlank(c.Text):
			texts = append(texts, strings.TrimSpace(c.Text))
		}
	}
	if len(texts) == 0 {
		if dates == 0 {
			return "", "no sampled values: set date_format if the dates are not YYYY-MM-DD"
		}
		return "", "the column holds real date cells: no date_format needed"
	}
	format, note = detectTextDateFormat(texts, dates > 0)
	if dates > 0 {
		cellsNote := fmt.Sprintf("%d of %d sampled values are real date cells: no date_format needed for those", dates, dates+len(texts))
		note = strings.TrimSuffix(cellsNote+"\n"+note, "\n")
	}
	return format, note
}

// detectTextDateFormat is detectDateFormat for the text values; mixed says the column also
// holds date cells, for the note's wording.
func detectTextDateFormat(texts []string, mixed bool) (format, note string) {
	what := "dates"
	if mixed {
		what = "text values"
	}
	type score struct {
		format string
		ok     int
	}
	var best []score
	for _, f := range dateCandidates {
		l := mustLayout(f)
		ok := 0
		for _, t := range texts {
			if _, err := l.parse(t); err == nil {
				ok++
			}
		}
		if ok == 0 {
			continue
		}
		switch {
		case len(best) == 0 || ok > best[0].ok:
			best = []score{{f, ok}}
		case ok == best[0].ok:
			best = append(best, score{f, ok})
		}
	}
	if len(best) == 0 {
		return "", "could not read the sampled " + what + " (e.g. " + strconv.Quote(texts[0]) + "): set date_format"
	}
	format = best[0].format
	if format == "YYYY-MM-DD" {
		format = ""
	}
	var others []string
	swapped := true // every tied format is the first with day and month swapped
	for _, b := range best[1:] {
		others = append(others, b.format)
		swapped = swapped && b.format == swapDayMonth(best[0].format)
	}
	switch {
	case len(best) > 1 && swapped && best[0].ok == len(texts):
		note = fmt.Sprintf("ambiguous: the sampled %s read as %s and as %s (no sampled day is above 12); %s was picked: check",
			what, best[0].format, strings.Join(others, ", "), best[0].format)
	case len(best) > 1:
		note = fmt.Sprintf("only %d of %d sampled %s read as %s, as many as read as %s: one date_format cannot read them all; check",
			best[0].ok, len(texts), what, best[0].format, strings.Join(others, ", "))
	case best[0].ok < len(texts):
		note = fmt.Sprintf("%d of %d sampled %s read as %s; check the others", best[0].ok, len(texts), what, best[0].format)
	}
	return format, note
}

// swapDayMonth returns format with its day and month tokens swapped (DD/MM/YYYY gives
// MM/DD/YYYY).
func swapDayMonth(format string) string {
	r := strings.NewReplacer("DD", "MM", "MM", "DD", "D", "M", "M", "D")
	// HH:mm's "mm" is minutes: lower case, untouched by the replacer.
	return r.Replace(format)
}

// YAML renders the suggestion as a mapping file with explanatory comments.
func (s Suggestion) YAML(header []string, input string) []byte {
	root := &yaml.Node{Kind: yaml.MappingNode}
	from := ""
	if input != "" {
		from = " for " + input
	}
	fileComment := strings.Join([]string{
		"Mapping suggested by `custimport init`" + from + ".",
		"Each entry under fields is an API field and the column that feeds it: the column's header",
		"text (case, spaces, _ and - ignored) or its letter. Check every guess before a run, and try it",
		"with `custimport validate`. Options of a field: column, value (a constant), default (for",
		"empty cells), transform (trim, lower, upper, title, digits, collapse_spaces), date_format",
		"(e.g. DD/MM/YYYY), and for custom_field_N: type (text, date, datetime, pick, list) and choices.",
	}, "\n")
	add := func(parent *yaml.Node, key string, val *yaml.Node) *yaml.Node {
		k := &yaml.Node{Kind: yaml.ScalarNode, Value: key}
		parent.Content = append(parent.Content, k, val)
		return k
	}
	str := func(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: v, Tag: "!!str"} }
	if s.Sheet != "" {
		add(root, "sheet", str(s.Sheet))
	}
	if s.HeaderRow > 1 {
		add(root, "header_row", &yaml.Node{Kind: yaml.ScalarNode, Value: strconv.Itoa(s.HeaderRow)})
	}
	if s.Key >= 0 {
		k := add(root, "key", str(refOf(header, s.Key)))
		k.HeadComment = "The merchant's own id column: it names a customer across rows and runs."
	}
	fields := &yaml.Node{Kind: yaml.MappingNode}
	fk := add(root, "fields", fields)
	if len(s.Fields) == 0 {
		fields.Style = yaml.FlowStyle
		fk.HeadComment = strings.Join(NoMatchComment(header), "\n")
	}
	for _, f := range s.Fields {
		var val *yaml.Node
		if len(f.Transforms) == 0 && f.DateFormat == "" {
			val = str(f.Ref)
		} else {
			val = &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}
			add(val, "column", str(f.Ref))
			if len(f.Transforms) > 0 {
				seq := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
				for _, t := range f.Transforms {
					seq.Content = append(seq.Content, str(t.String()))
				}
				add(val, "transform", seq)
			}
			if f.DateFormat != "" {
				add(val, "date_format", str(f.DateFormat))
			}
		}
		k := add(fields, f.Name, val)
		var comments []string
		if f.Ref != strings.TrimSpace(header[f.Column]) {
			comments = append(comments, fmt.Sprintf("column %s is headed %q", f.Ref, strings.TrimSpace(header[f.Column])))
		}
		if !f.Exact {
			comments = append(comments, fmt.Sprintf("a guess from the header %q: check", strings.TrimSpace(header[f.Column])))
		}
		if f.Note != "" {
			comments = append(comments, f.Note)
		}
		k.HeadComment = strings.Join(comments, "\n")
	}
	var foot []string
	if len(s.Unused) > 0 {
		foot = append(foot, "Columns not mapped (add them above if they matter):")
		for _, i := range s.Unused {
			foot = append(foot, fmt.Sprintf("  %s %q", ColumnLetter(i), strings.TrimSpace(header[i])))
		}
	}
	foot = append(foot, wrap("Other API fields: "+strings.Join(unusedFields(s.Fields), ", ")+
		"; and custom_field_1, custom_field_2, ... for the account's custom fields.", 90)...)
	foot = append(foot, `To keep the new-customer e-mail from going out: send_no_email: {value: "true"}.`)
	doc := &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}, HeadComment: fileComment, FootComment: strings.Join(foot, "\n")}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		// Encoding nodes built above cannot fail; keep the output usable all the same.
		return []byte("fields: {}\n")
	}
	_ = enc.Close()
	return buf.Bytes()
}

// NoMatchComment is the comment of a suggestion in which no column was recognised as an
// API field: it says so, lists the header's columns, and says what to do; one line each.
func NoMatchComment(header []string) []string {
	cols := make([]string, 0, len(header))
	for i, h := range header {
		cols = append(cols, fmt.Sprintf("%s %q", ColumnLetter(i), strings.TrimSpace(h)))
	}
	lines := []string{"No column matched an API field (the key column, if one was found, is no field)."}
	lines = append(lines, wrap("The columns are: "+strings.Join(cols, ", ")+".", 90)...)
	return append(lines, "Add fields by hand, e.g. `email: E-mail`: validate and run refuse a mapping without fields.")
}

func refOf(header []string, i int) string {
	h := strings.TrimSpace(header[i])
	n := NormalizeHeader(h)
	if h == "" || strings.ContainsAny(h, "\r\n") || !utf8.ValidString(h) {
		return ColumnLetter(i)
	}
	for j, o := range header {
		if j != i && NormalizeHeader(o) == n {
			return ColumnLetter(i)
		}
	}
	return h
}

func unusedFields(used []SuggestedField) []string {
	var out []string
	for _, f := range catalog {
		if f.Rule == RuleCustomField || slices.ContainsFunc(used, func(u SuggestedField) bool { return u.Name == f.Name }) {
			continue
		}
		out = append(out, f.Name)
	}
	return out
}

// wrap breaks text into lines of at most width bytes, at spaces.
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(text) {
		if line != "" && len(line)+1+len(w) > width {
			lines = append(lines, line)
			line = "  " + w
			continue
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}
