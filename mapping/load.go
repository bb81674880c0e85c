package mapping

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Sentinel errors wrapped by *Error, for errors.Is.
var (
	// ErrSyntax: the file is not YAML, or not shaped like a mapping file.
	ErrSyntax = errors.New("bad mapping syntax")
	// ErrUnknownKey: a key the mapping file does not have (top level or inside a field).
	ErrUnknownKey = errors.New("unknown key")
	// ErrUnknownField: an API field the catalogue does not have.
	ErrUnknownField = errors.New("unknown API field")
	// ErrDuplicate: the same key or API field twice.
	ErrDuplicate = errors.New("duplicate key")
	// ErrBadValue: a value the key does not take (a transform, a date_format, a type, ...).
	ErrBadValue = errors.New("bad value")
	// ErrMissingColumn: a column the input's header does not have.
	ErrMissingColumn = errors.New("no such column")
	// ErrAmbiguousColumn: a column name that matches more than one header column.
	ErrAmbiguousColumn = errors.New("ambiguous column")
)

// Error is one mistake in a mapping file, at a line of it. It wraps one of the sentinel
// errors above.
type Error struct {
	File   string // the mapping file's name as given
	Line   int    // 1-based line
	Column int    // 1-based column of the line, 0 when unknown
	Path   string // where in the mapping: "fields.first_name", "header_row"; "" for the file
	Msg    string // what is wrong
	Err    error  // the sentinel
}

// Error renders the error as file:line: path: message.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns the sentinel.
func (e *Error) Unwrap() error { return e.Err }

// Mapping is a loaded mapping file.
type Mapping struct {
	File      string // the file's name, for errors
	Sheet     string // XLSX sheet; "" for the first
	SheetLine int    // the line of sheet: in the file, for errors; 0 without one
	HeaderRow int    // 1-based row of the header
	Key       *KeyColumn
	Fields    []FieldMapping // in the file's order
}

// KeyColumn is the merchant's own id column that names a customer across rows and runs.
type KeyColumn struct {
	Column    string // header text or column letter
	Line, Col int
}

// FieldMapping is where one API field's value comes from.
type FieldMapping struct {
	Name       string // the API field
	Spec       FieldSpec
	Column     string // header text or column letter; "" for a constant
	Value      string // the constant, when HasValue
	HasValue   bool
	Default    string // stands in for an empty cell, when HasDefault
	HasDefault bool
	Transforms []Transform
	DateFormat string // how the source writes dates; "" for YYYY-MM-DD
	Type       CustomType
	Choices    []string
	Line, Col  int // position of the field's name in the file

	layout *dateLayout // compiled DateFormat
}

// CustomType is a custom field's declared type.
type CustomType uint8

// The custom field types.
const (
	TypeText CustomType = iota
	TypeDate
	TypeDateTime
	TypePick
	TypeList
)

var customTypeNames = [...]string{"text", "date", "datetime", "pick", "list"}

// String returns the type's name as the mapping file writes it.
func (t CustomType) String() string {
	if int(t) < len(customTypeNames) {
		return customTypeNames[t]
	}
	return "CustomType(" + strconv.Itoa(int(t)) + ")"
}

// ParseCustomType reads a custom field type name, in any case.
func ParseCustomType(s string) (CustomType, bool) {
	i := slices.Index(customTypeNames[:], strings.ToLower(strings.TrimSpace(s)))
	if i < 0 {
		return 0, false
	}
	return CustomType(i), true
}

var (
	topKeys   = []string{"sheet", "header_row", "key", "fields"}
	fieldKeys = []string{"column", "value", "default", "transform", "date_format", "type", "choices"}
)

// Load reads and checks the mapping file at path.
func Load(path string) (*Mapping, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read mapping: %w", err)
	}
	return Parse(data, path)
}

// Parse reads and checks a mapping file's contents; filename names it in errors. Every
// mistake of the file is reported, joined with errors.Join; each is an *Error.
func Parse(data []byte, filename string) (*Mapping, error) {
	p := &parser{file: filename}
	m := p.parse(data)
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	return m, nil
}

type parser struct {
	file string
	errs []error
}

func (p *parser) errorf(n *yaml.Node, path string, sentinel error, format string, args ...any) {
	line, col := 1, 0
	if n != nil && n.Line > 0 {
		line, col = n.Line, n.Column
	}
	p.errs = append(p.errs, &Error{File: p.file, Line: line, Column: col, Path: path, Msg: fmt.Sprintf(format, args...), Err: sentinel})
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func (p *parser) parse(data []byte) *Mapping {
	if !utf8.Valid(data) {
		bad := 0
		for bad < len(data) {
			r, size := utf8.DecodeRune(data[bad:])
			if r == utf8.RuneError && size == 1 {
				break
			}
			bad += size
		}
		line := 1 + bytes.Count(data[:bad], []byte("\n"))
		p.errs = append(p.errs, &Error{File: p.file, Line: line, Msg: "not UTF-8 text: save the mapping file as UTF-8", Err: ErrSyntax})
		return nil
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	err := dec.Decode(&doc)
	if errors.Is(err, io.EOF) {
		err = nil // an empty file: reported below
	}
	if err == nil {
		var next yaml.Node
		if err2 := dec.Decode(&next); err2 == nil {
			p.errorf(&next, "", ErrSyntax, "a second YAML document (after ---): a mapping file holds one")
		} else if !errors.Is(err2, io.EOF) {
			err = err2
		}
	}
	if err != nil {
		line, msg := 1, strings.TrimPrefix(err.Error(), "yaml: ")
		if sm := yamlLineRE.FindStringSubmatch(err.Error()); sm != nil {
			if n, _ := strconv.Atoi(sm[1]); n > 0 {
				line = n
			}
			msg = sm[2]
		}
		if bytes.Contains(data, []byte("\t")) && strings.Contains(msg, "cannot start any token") {
			msg += " (indent with spaces: YAML does not allow tabs)"
		}
		p.errs = append(p.errs, &Error{File: p.file, Line: line, Msg: "not valid YAML: " + msg, Err: ErrSyntax})
		return nil
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		p.errorf(nil, "", ErrSyntax, "the file is empty: it needs at least `fields:`")
		return nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		p.errorf(root, "", ErrSyntax, "expected keys (%s), found %s", strings.Join(topKeys, ", "), kindName(root))
		return nil
	}
	m := &Mapping{File: p.file, HeaderRow: 1}
	seen := map[string]int{}
	hasFields := false
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		key, ok := p.keyName(k, "")
		if !ok {
			continue
		}
		if prev, dup := seen[key]; dup {
			p.errorf(k, key, ErrDuplicate, "given twice (first at line %d)", prev)
			continue
		}
		seen[key] = k.Line
		switch key {
		case "sheet":
			if s, ok := p.text(v, key); ok {
				if s == "" {
					p.errorf(v, key, ErrBadValue, "empty sheet name: leave the key out for the first sheet")
				}
				m.Sheet, m.SheetLine = s, v.Line
			}
		case "header_row":
			if s, ok := p.text(v, key); ok {
				n, err := strconv.Atoi(s)
				if err != nil || n < 1 || n > 1<<20 {
					p.errorf(v, key, ErrBadValue, "must be a row number from 1 (the first row), not %q", s)
					break
				}
				m.HeaderRow = n
			}
		case "key":
			if s, ok := p.text(v, key); ok {
				if s == "" {
					p.errorf(v, key, ErrBadValue, "empty column name")
					break
				}
				m.Key = &KeyColumn{Column: s, Line: v.Line, Col: v.Column}
			}
		case "fields":
			hasFields = true
			m.Fields = p.fields(v)
		default:
			p.errorf(k, "", ErrUnknownKey, "unknown key %q%s (known: %s)", key, didYouMean(key, topKeys), strings.Join(topKeys, ", "))
		}
	}
	if !hasFields {
		p.errorf(root, "", ErrSyntax, "no `fields:`: the mapping must name at least one API field")
	}
	return m
}

// keyName reads a mapping key, which must be a plain scalar.
func (p *parser) keyName(k *yaml.Node, path string) (string, bool) {
	if k.Kind != yaml.ScalarNode {
		p.errorf(k, path, ErrSyntax, "a key must be a name, not %s", kindName(k))
		return "", false
	}
	return k.Value, true
}

// text reads a scalar value, trimmed; null reads as "".
func (p *parser) text(v *yaml.Node, path string) (string, bool) {
	switch v.Kind {
	case yaml.ScalarNode:
		if v.ShortTag() == "!!null" {
			return "", true
		}
		return strings.TrimSpace(v.Value), true
	case yaml.AliasNode:
		p.errorf(v, path, ErrSyntax, "YAML aliases are not supported")
		return "", false
	}
	p.errorf(v, path, ErrBadValue, "expected a single value, found %s", kindName(v))
	return "", false
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "nothing"
}

func (p *parser) fields(v *yaml.Node) []FieldMapping {
	if v.Kind != yaml.MappingNode {
		if v.Kind == yaml.ScalarNode && v.ShortTag() == "!!null" {
			p.errorf(v, "fields", ErrSyntax, "no fields: the mapping must name at least one API field")
			return nil
		}
		p.errorf(v, "fields", ErrSyntax, "expected API field: source pairs, found %s", kindName(v))
		return nil
	}
	if len(v.Content) == 0 {
		p.errorf(v, "fields", ErrSyntax, "no fields: the mapping must name at least one API field")
	}
	var out []FieldMapping
	seen := map[string]int{}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := v.Content[i], v.Content[i+1]
		name, ok := p.keyName(k, "fields")
		if !ok {
			continue
		}
		path := "fields." + name
		if prev, dup := seen[name]; dup {
			p.errorf(k, path, ErrDuplicate, "API field given twice (first at line %d)", prev)
			continue
		}
		seen[name] = k.Line
		spec, known := Lookup(name)
		if !known {
			p.errorf(k, path, ErrUnknownField, "unknown API field%s (see the field list in the documentation)", suggestField(name))
			continue
		}
		fm := FieldMapping{Name: name, Spec: spec, Line: k.Line, Col: k.Column}
		if p.fieldSource(&fm, val, path) {
			out = append(out, fm)
		}
	}
	return out
}

// fieldSource reads one field's source and checks it; false when it is unusable.
func (p *parser) fieldSource(fm *FieldMapping, v *yaml.Node, path string) bool {
	nerr := len(p.errs)
	switch v.Kind {
	case yaml.ScalarNode:
		s, _ := p.text(v, path)
		if s == "" {
			p.errorf(v, path, ErrBadValue, "no source: write the column's header text, or {column: ..., ...}, or {value: ...}")
			return false
		}
		fm.Column = s
	case yaml.MappingNode:
		p.fieldKeys(fm, v, path)
	default:
		p.text(v, path) // reports the error
		return false
	}
	if len(p.errs) == nerr {
		p.checkConstants(fm, v, path)
	}
	return len(p.errs) == nerr
}

func (p *parser) fieldKeys(fm *FieldMapping, v *yaml.Node, path string) {
	seen := map[string]int{}
	hasColumn, unknown := false, false
	var typeNode, choicesNode, formatNode *yaml.Node
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := v.Content[i], v.Content[i+1]
		key, ok := p.keyName(k, path)
		if !ok {
			continue
		}
		if prev, dup := seen[key]; dup {
			p.errorf(k, path, ErrDuplicate, "%s given twice (first at line %d)", key, prev)
			continue
		}
		seen[key] = k.Line
		switch key {
		case "column":
			hasColumn = true
			if s, ok := p.text(val, path); ok {
				if s == "" {
					p.errorf(val, path, ErrBadValue, "empty column: give the header text or the column letter")
				}
				fm.Column = s
			}
		case "value":
			if val.Kind == yaml.ScalarNode {
				fm.Value, fm.HasValue = val.Value, true
				if val.ShortTag() == "!!null" {
					fm.Value = ""
				}
				if strings.TrimSpace(fm.Value) == "" && fm.Spec.Rule != RuleFlag {
					// It would send nothing on every row, and a row of nothing else is
					// invalid. (A flag's empty constant is false, as "no" is: the
					// field is left out on purpose.)
					p.errorf(val, path, ErrBadValue, "empty value: a constant must hold something; to send nothing, leave the field out of the mapping")
				}
			} else {
				p.text(val, path)
			}
		case "default":
			if val.Kind == yaml.ScalarNode {
				fm.Default, fm.HasDefault = val.Value, true
				if val.ShortTag() == "!!null" {
					fm.Default = ""
				}
			} else {
				p.text(val, path)
			}
		case "transform":
			fm.Transforms = p.transforms(val, path)
		case "date_format":
			formatNode = val
			if s, ok := p.text(val, path); ok {
				fm.DateFormat = s
			}
		case "type":
			typeNode = val
			if s, ok := p.text(val, path); ok {
				t, ok := ParseCustomType(s)
				if !ok {
					p.errorf(val, path, ErrBadValue, "unknown type %q (known: %s)", s, strings.Join(customTypeNames[:], ", "))
				}
				fm.Type = t
			}
		case "choices":
			choicesNode = val
			fm.Choices = p.choices(val, path)
		default:
			unknown = true
			p.errorf(k, path, ErrUnknownKey, "unknown key %q%s (known: %s)", key, didYouMean(key, fieldKeys), strings.Join(fieldKeys, ", "))
		}
	}
	switch {
	case hasColumn && fm.HasValue:
		p.errorf(v, path, ErrBadValue, "both column and value: a field takes its value from a column or from a constant, not both")
	case !hasColumn && !fm.HasValue && !unknown:
		// (A misspelt key, reported above, is the likely cause: say it once.)
		p.errorf(v, path, ErrBadValue, "no source: give column (header text or letter) or value (a constant)")
	}
	if fm.HasValue && fm.HasDefault {
		p.errorf(v, path, ErrBadValue, "default applies to a column's empty cells; a constant value needs none")
	}
	isCustom := fm.Spec.Rule == RuleCustomField
	if typeNode != nil && !isCustom {
		p.errorf(typeNode, path, ErrBadValue, "type applies only to numbered custom fields (custom_field_N)")
	}
	if choicesNode != nil {
		switch {
		case !isCustom:
			p.errorf(choicesNode, path, ErrBadValue, "choices apply only to numbered custom fields (custom_field_N) of type pick or list")
		case fm.Type != TypePick && fm.Type != TypeList:
			p.errorf(choicesNode, path, ErrBadValue, "choices need type: pick or type: list")
		}
	}
	if isCustom && (fm.Type == TypePick || fm.Type == TypeList) && choicesNode == nil {
		p.errorf(v, path, ErrBadValue, "type %s needs choices: [...]", fm.Type)
	}
	if fm.Type == TypeList {
		for _, c := range fm.Choices {
			if strings.Contains(c, ",") {
				p.errorf(choicesNode, path, ErrBadValue, "choice %q of a list holds a comma, which separates a list's items", c)
			}
		}
	}
	if formatNode != nil {
		takesDate := fm.Spec.Rule == RuleDate || (isCustom && (fm.Type == TypeDate || fm.Type == TypeDateTime))
		if !takesDate {
			p.errorf(formatNode, path, ErrBadValue, "date_format applies only to custom_date and to custom fields of type date or datetime")
		} else if fm.DateFormat != "" {
			l, err := compileLayout(fm.DateFormat)
			if err != nil {
				p.errorf(formatNode, path, ErrBadValue, "date_format %q: %v", fm.DateFormat, err)
			}
			fm.layout = l
		}
	}
}

// checkConstants checks a constant value and a default against the field's rules, now
// rather than on every row.
func (p *parser) checkConstants(fm *FieldMapping, v *yaml.Node, path string) {
	c := compileField(fm)
	check := func(what, s string) {
		if _, prob := c.convert(s, nil); prob != "" {
			shown := fmt.Sprintf(": %q", s)
			if fm.Spec.Secret {
				shown = ""
			}
			p.errorf(v, path, ErrBadValue, "%s %s%s", what, prob, shown)
		}
	}
	if fm.HasValue {
		check("value", fm.Value)
		// A flag's false constant leaves the field out on purpose; any other constant that
		// its transforms empty would send nothing on every row.
		if got, prob := c.convert(fm.Value, nil); prob == "" && got == "" && fm.Spec.Rule != RuleFlag && strings.TrimSpace(fm.Value) != "" {
			p.errorf(v, path, ErrBadValue, "value is empty after its transforms: it would send nothing on every row")
		}
	}
	if fm.HasDefault {
		check("default", fm.Default)
	}
}

func (p *parser) transforms(v *yaml.Node, path string) []Transform {
	var items []*yaml.Node
	switch v.Kind {
	case yaml.ScalarNode:
		items = []*yaml.Node{v}
	case yaml.SequenceNode:
		items = v.Content
	default:
		p.errorf(v, path, ErrBadValue, "transform: expected a name or a list of names, found %s", kindName(v))
		return nil
	}
	var out []Transform
	for _, it := range items {
		s, ok := p.text(it, path)
		if !ok {
			continue
		}
		t, ok := ParseTransform(s)
		if !ok {
			p.errorf(it, path, ErrBadValue, "unknown transform %q%s (known: %s)", s, didYouMean(strings.ToLower(s), transformNames[:]), strings.Join(transformNames[:], ", "))
			continue
		}
		out = append(out, t)
	}
	return out
}

func (p *parser) choices(v *yaml.Node, path string) []string {
	if v.Kind != yaml.SequenceNode {
		p.errorf(v, path, ErrBadValue, "choices: expected a list such as [Gouda, Emental, Swiss], found %s", kindName(v))
		return nil
	}
	if len(v.Content) == 0 {
		p.errorf(v, path, ErrBadValue, "choices: the list is empty")
	}
	var out []string
	for _, it := range v.Content {
		s, ok := p.text(it, path)
		if !ok {
			continue
		}
		if s == "" {
			p.errorf(it, path, ErrBadValue, "choices: an empty choice")
			continue
		}
		if slices.ContainsFunc(out, func(c string) bool { return strings.EqualFold(c, s) }) {
			p.errorf(it, path, ErrDuplicate, "choice %q given twice", s)
			continue
		}
		out = append(out, s)
	}
	return out
}

// didYouMean returns `, did you mean "x"?` for the closest known name, or "".
func didYouMean(s string, known []string) string {
	best, bestD := "", 1<<30
	for _, k := range known {
		if d := editDistance(strings.ToLower(s), strings.ToLower(k)); d < bestD {
			best, bestD = k, d
		}
	}
	if best == "" || bestD > maxTypos(s) {
		return ""
	}
	return fmt.Sprintf(", did you mean %q?", best)
}

// maxTypos is how many edits still count as a typo of s.
func maxTypos(s string) int {
	n := len([]rune(s))
	switch {
	case n <= 3:
		return 1
	case n <= 8:
		return 2
	}
	return 3
}

// suggestField names the catalogue field an unknown API field name probably meant.
func suggestField(name string) string {
	if strings.HasPrefix(strings.ToLower(name), "custom_field_") {
		return ": numbered custom fields are custom_field_1 to custom_field_9999"
	}
	norm := NormalizeHeader(name)
	names := make([]string, 0, len(catalog))
	for _, f := range catalog {
		if f.Rule == RuleCustomField {
			continue
		}
		if NormalizeHeader(f.Name) == norm {
			return fmt.Sprintf(", did you mean %q?", f.Name)
		}
		names = append(names, f.Name)
	}
	if s := didYouMean(name, names); s != "" {
		return s
	}
	// A header text used as a field name: zip -> postal_code.
	for _, f := range catalog {
		for _, h := range f.Headers {
			if NormalizeHeader(h) == norm {
				return fmt.Sprintf(", did you mean %q?", f.Name)
			}
		}
	}
	return ""
}

// editDistance is the Levenshtein distance of a and b, in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 || len(rb) > 64 {
		if a == b {
			return 0
		}
		return max(len(ra), len(rb))
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
