package sheet

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"
)

// xlsxLimits bound what a workbook may make the reader decompress or keep in memory. Every
// limit is checked against the size the zip declares before reading and against the bytes
// actually produced while reading, and going over one is an error, never a truncation.
type xlsxLimits struct {
	sheet    int64 // the worksheet part, streamed
	strings  int64 // the shared strings part, kept in memory as a table
	meta     int64 // workbook, relationships and styles parts
	ratio    int64 // uncompressed/compressed ratio above which a big part is a zip bomb
	ratioMin int64 // parts smaller than this are never judged by their ratio
}

// xlsxDefaultLimits are generous for any real customer list: a million rows of 20 columns
// is about 500 MiB of sheet XML. Deflate cannot exceed about 1032:1; real sheet XML
// compresses 5 to 50 times, and a sheet of nothing but styled empty cells about 200 times.
var xlsxDefaultLimits = xlsxLimits{
	sheet:    1 << 30,
	strings:  256 << 20,
	meta:     64 << 20,
	ratio:    500,
	ratioMin: 64 << 20,
}

// xlsxOLEMagic starts every CFB/OLE2 compound file: an encrypted OOXML workbook, or an old .xls.
var xlsxOLEMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}

// xlsxSheetInfo is one sheet as the workbook lists it.
type xlsxSheetInfo struct {
	Name   string
	State  string // "", "visible", "hidden" or "veryHidden"
	Part   string // zip name of its part, "" when the relationship is missing
	Chart  bool   // a chartsheet or dialog sheet, which holds no cells
	hidden bool
}

// xlsxBook is an open workbook package: the zip and what its metadata says.
//
// The metadata is read here rather than through excelize.OpenFile because OpenFile unzips
// every worksheet before anything can be read (into memory below UnzipXMLSizeLimit, to a
// temporary file above it), which would make memory or disk grow with the sheet and
// decompress it twice; excelize also keeps the shared strings and styles it parses
// unexported. The parts needed are small and are read with encoding/xml (workbook,
// relationships, styles) or the streaming scanner (shared strings), each behind the same
// size and ratio limits excelize's options provide. The tests check the results against
// excelize on every real workbook.
type xlsxBook struct {
	path     string
	file     *os.File
	zip      *zip.Reader
	parts    map[string]*zip.File // lower-case name → entry
	limits   xlsxLimits
	sheets   []xlsxSheetInfo
	date1904 bool
	sstPart  string
	styPart  string
}

// xlsxOpenBook opens path as a zip package and reads its workbook part and relationships.
func xlsxOpenBook(path string, limits xlsxLimits) (bk *xlsxBook, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open %q: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
		}
	}()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("open %q: %w", path, err)
	}
	var head [8]byte
	n, _ := io.ReadFull(f, head[:])
	if n == len(head) && bytes.Equal(head[:], xlsxOLEMagic) {
		return nil, fmt.Errorf("%s: the workbook is encrypted or password-protected: open it in Excel, remove the password, save as .xlsx: %w", path, ErrFormat)
	}
	zr, err := zip.NewReader(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: not an XLSX workbook (not a readable zip archive: %v): %w", path, err, ErrFormat)
	}
	bk = &xlsxBook{path: path, file: f, zip: zr, limits: limits, parts: make(map[string]*zip.File, len(zr.File))}
	for _, zf := range zr.File {
		bk.parts[strings.ToLower(strings.ReplaceAll(zf.Name, `\`, "/"))] = zf
	}
	if err := bk.readWorkbook(); err != nil {
		return nil, err
	}
	return bk, nil
}

// Close closes the underlying file.
func (bk *xlsxBook) Close() error {
	if bk.file == nil {
		return nil
	}
	err := bk.file.Close()
	bk.file = nil
	if err != nil {
		return fmt.Errorf("close %q: %w", bk.path, err)
	}
	return nil
}

// formatErr wraps ErrFormat with the file's name and what is wrong.
func (bk *xlsxBook) formatErr(format string, args ...any) error {
	return fmt.Errorf("%s: %s: %w", bk.path, fmt.Sprintf(format, args...), ErrFormat)
}

// part finds a zip entry by its name, ignoring case as Excel does.
func (bk *xlsxBook) part(name string) *zip.File {
	return bk.parts[strings.ToLower(strings.TrimPrefix(name, "/"))]
}

// openPart opens a zip entry behind a guard that errors once more than limit bytes, or an
// absurd ratio of bytes, come out of it.
func (bk *xlsxBook) openPart(zf *zip.File, limit int64) (io.ReadCloser, error) {
	if zf.UncompressedSize64 > uint64(limit) {
		return nil, bk.formatErr("part %s declares %d bytes uncompressed, more than the limit of %d: refusing a possible zip bomb", zf.Name, zf.UncompressedSize64, limit)
	}
	if err := bk.checkRatio(zf, int64(zf.UncompressedSize64)); err != nil {
		return nil, err
	}
	rc, err := zf.Open()
	if err != nil {
		return nil, bk.formatErr("part %s: %v", zf.Name, err)
	}
	return &xlsxGuard{rc: rc, bk: bk, zf: zf, limit: limit}, nil
}

func (bk *xlsxBook) checkRatio(zf *zip.File, n int64) error {
	if n < bk.limits.ratioMin {
		return nil
	}
	comp := max(int64(zf.CompressedSize64), 1)
	if n/comp > bk.limits.ratio {
		return bk.formatErr("part %s expands more than %d times (%d bytes from %d): refusing a possible zip bomb", zf.Name, bk.limits.ratio, n, comp)
	}
	return nil
}

// xlsxGuard counts what comes out of a zip entry and fails, rather than truncates, when a
// limit is passed.
type xlsxGuard struct {
	rc    io.ReadCloser
	bk    *xlsxBook
	zf    *zip.File
	limit int64
	n     int64
}

func (g *xlsxGuard) Read(p []byte) (int, error) {
	n, err := g.rc.Read(p)
	g.n += int64(n)
	if g.n > g.limit {
		return 0, g.bk.formatErr("part %s expands past the limit of %d bytes: refusing a possible zip bomb", g.zf.Name, g.limit)
	}
	if rerr := g.bk.checkRatio(g.zf, g.n); rerr != nil {
		return 0, rerr
	}
	if err != nil && err != io.EOF {
		// archive/zip reports flate damage and checksum mismatches here.
		return n, g.bk.formatErr("part %s is damaged: %v", g.zf.Name, err)
	}
	return n, err
}

// Close releases the decompressor. Its error only repeats a damage that Read reported.
func (g *xlsxGuard) Close() error {
	g.rc.Close()
	return nil
}

// readXMLPart decodes a small part whole into v.
func (bk *xlsxBook) readXMLPart(zf *zip.File, v any) error {
	rc, err := bk.openPart(zf, bk.limits.meta)
	if err != nil {
		return err
	}
	defer rc.Close()
	dec := xml.NewDecoder(bufio.NewReader(rc))
	dec.CharsetReader = xlsxCharsetReader
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, ErrFormat) {
			return err
		}
		return bk.formatErr("part %s: %v", zf.Name, err)
	}
	return nil
}

// xlsxCharsetReader accepts the encodings OOXML parts are written in; encoding/xml handles
// UTF-8 itself, and a UTF-16 part is rare enough to refuse.
func xlsxCharsetReader(charset string, input io.Reader) (io.Reader, error) {
	switch strings.ToLower(charset) {
	case "utf-8", "utf8", "us-ascii", "ascii":
		return input, nil
	}
	return nil, fmt.Errorf("unsupported XML encoding %q", charset)
}

type xlsxRels struct {
	Rels []struct {
		ID         string `xml:"Id,attr"`
		Type       string `xml:"Type,attr"`
		Target     string `xml:"Target,attr"`
		TargetMode string `xml:"TargetMode,attr"`
	} `xml:"Relationship"`
}

type xlsxWorkbookXML struct {
	Pr struct {
		Date1904 string `xml:"date1904,attr"`
	} `xml:"workbookPr"`
	Sheets []struct {
		Name  string     `xml:"name,attr"`
		State string     `xml:"state,attr"`
		Attrs []xml.Attr `xml:",any,attr"`
	} `xml:"sheets>sheet"`
}

// readWorkbook finds the workbook part through the package relationships and reads the
// sheet list, the date system and where the shared strings and styles are.
func (bk *xlsxBook) readWorkbook() error {
	wbName := "xl/workbook.xml"
	if zf := bk.part("_rels/.rels"); zf != nil {
		var rels xlsxRels
		if err := bk.readXMLPart(zf, &rels); err != nil {
			return err
		}
		for _, r := range rels.Rels {
			if strings.HasSuffix(r.Type, "/officeDocument") && r.TargetMode != "External" {
				wbName = xlsxResolve("", r.Target)
				break
			}
		}
	}
	wbFile := bk.part(wbName)
	if wbFile == nil {
		return bk.formatErr("not an XLSX workbook (no %s)", wbName)
	}
	var wb xlsxWorkbookXML
	if err := bk.readXMLPart(wbFile, &wb); err != nil {
		return err
	}
	bk.date1904 = wb.Pr.Date1904 == "1" || strings.EqualFold(wb.Pr.Date1904, "true")

	dir := path.Dir(wbName)
	targets := map[string]string{}
	chart := map[string]bool{}
	relsName := path.Join(dir, "_rels", path.Base(wbName)+".rels")
	if zf := bk.part(relsName); zf != nil {
		var rels xlsxRels
		if err := bk.readXMLPart(zf, &rels); err != nil {
			return err
		}
		for _, r := range rels.Rels {
			if r.TargetMode == "External" {
				continue
			}
			target := xlsxResolve(dir, r.Target)
			switch {
			case strings.HasSuffix(r.Type, "/sharedStrings"):
				bk.sstPart = target
			case strings.HasSuffix(r.Type, "/styles"):
				bk.styPart = target
			case strings.HasSuffix(r.Type, "/chartsheet"), strings.HasSuffix(r.Type, "/dialogsheet"):
				chart[r.ID] = true
			}
			targets[r.ID] = target
		}
	}
	if bk.sstPart == "" && bk.part(path.Join(dir, "sharedStrings.xml")) != nil {
		bk.sstPart = path.Join(dir, "sharedStrings.xml")
	}
	if bk.styPart == "" && bk.part(path.Join(dir, "styles.xml")) != nil {
		bk.styPart = path.Join(dir, "styles.xml")
	}
	for i, s := range wb.Sheets {
		var id string
		for _, a := range s.Attrs {
			if a.Name.Local == "id" && a.Name.Space != "" {
				id = a.Value
			}
		}
		part := targets[id]
		if part == "" {
			// A package without workbook relationships: guess Excel's own naming.
			if guess := fmt.Sprintf("%s/worksheets/sheet%d.xml", dir, i+1); bk.part(guess) != nil {
				part = guess
			}
		}
		bk.sheets = append(bk.sheets, xlsxSheetInfo{
			Name:   s.Name,
			State:  s.State,
			Part:   part,
			Chart:  chart[id],
			hidden: s.State == "hidden" || s.State == "veryHidden",
		})
	}
	if len(bk.sheets) == 0 {
		return bk.formatErr("the workbook lists no sheets")
	}
	return nil
}

// xlsxResolve turns a relationship target into a zip entry name.
func xlsxResolve(dir, target string) string {
	target = strings.ReplaceAll(target, `\`, "/")
	if strings.HasPrefix(target, "/") {
		return path.Clean(strings.TrimPrefix(target, "/"))
	}
	return strings.TrimPrefix(path.Join(dir, target), "/")
}

// chooseSheet picks the sheet by exact name, then ignoring case; "" picks the first visible
// worksheet.
func (bk *xlsxBook) chooseSheet(name string) (xlsxSheetInfo, []string, error) {
	var warn []string
	if name == "" {
		for _, s := range bk.sheets {
			if !s.hidden && !s.Chart {
				return s, nil, nil
			}
		}
		for _, s := range bk.sheets {
			if !s.Chart {
				return s, []string{fmt.Sprintf("every sheet is hidden: reading the first one, %q", s.Name)}, nil
			}
		}
		return xlsxSheetInfo{}, nil, fmt.Errorf("%s: the workbook has no worksheet, only charts (%s): %w", bk.path, bk.sheetList(), ErrNoSheet)
	}
	found := -1
	for i, s := range bk.sheets {
		if s.Name == name {
			found = i
			break
		}
	}
	if found < 0 {
		for i, s := range bk.sheets {
			if strings.EqualFold(s.Name, name) {
				found = i
				warn = append(warn, fmt.Sprintf("no sheet is named exactly %q: reading %q", name, s.Name))
				break
			}
		}
	}
	if found < 0 {
		return xlsxSheetInfo{}, nil, fmt.Errorf("%s: no sheet named %q: the sheets are %s: %w", bk.path, name, bk.sheetList(), ErrNoSheet)
	}
	s := bk.sheets[found]
	if s.Chart {
		return xlsxSheetInfo{}, nil, fmt.Errorf("%s: sheet %q is a chart, not a worksheet: the sheets are %s: %w", bk.path, s.Name, bk.sheetList(), ErrNoSheet)
	}
	if s.hidden {
		warn = append(warn, fmt.Sprintf("sheet %q is hidden in the workbook (%s)", s.Name, s.State))
	}
	return s, warn, nil
}

// sheetList names the sheets for an error message, marking the hidden ones.
func (bk *xlsxBook) sheetList() string {
	names := make([]string, len(bk.sheets))
	for i, s := range bk.sheets {
		names[i] = strconv.Quote(s.Name)
		switch {
		case s.Chart:
			names[i] += " (chart)"
		case s.hidden:
			names[i] += " (" + s.State + ")"
		}
	}
	return strings.Join(names, ", ")
}

type xlsxStylesXML struct {
	NumFmts []struct {
		ID   int    `xml:"numFmtId,attr"`
		Code string `xml:"formatCode,attr"`
	} `xml:"numFmts>numFmt"`
	Xfs []struct {
		NumFmtID int `xml:"numFmtId,attr"`
	} `xml:"cellXfs>xf"`
}

// readStyles classifies the number format of every cell style.
func (bk *xlsxBook) readStyles() ([]xlsxNumFmt, error) {
	if bk.styPart == "" {
		return nil, nil
	}
	zf := bk.part(bk.styPart)
	if zf == nil {
		return nil, nil
	}
	var st xlsxStylesXML
	if err := bk.readXMLPart(zf, &st); err != nil {
		return nil, err
	}
	codes := make(map[int]string, len(st.NumFmts))
	for _, nf := range st.NumFmts {
		codes[nf.ID] = nf.Code
	}
	out := make([]xlsxNumFmt, len(st.Xfs))
	for i, xf := range st.Xfs {
		if code, ok := codes[xf.NumFmtID]; ok {
			out[i] = xlsxClassifyCode(code)
		} else {
			out[i] = xlsxClassifyBuiltin(xf.NumFmtID)
		}
	}
	return out, nil
}

// readSharedStrings streams the shared string table into memory.
func (bk *xlsxBook) readSharedStrings() ([]string, error) {
	if bk.sstPart == "" {
		return nil, nil
	}
	zf := bk.part(bk.sstPart)
	if zf == nil {
		return nil, nil
	}
	rc, err := bk.openPart(zf, bk.limits.strings)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	sc := xlsxNewScan(rc)
	var (
		sst  []string
		text []byte
		inSI bool
		inT  bool
		rPh  int // depth of the phonetic run being skipped, 0 when none
	)
	for {
		tok, err := sc.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if errors.Is(err, ErrFormat) {
				return nil, err
			}
			return nil, bk.formatErr("part %s, after string %d: %v", zf.Name, len(sst), err)
		}
		switch tok {
		case xlsxStart:
			switch string(sc.name) {
			case "sst":
				if sst == nil {
					n, _ := xlsxAtoi(sc.attr("uniqueCount"))
					sst = make([]string, 0, min(n, 1<<16))
				}
			case "si":
				inSI = true
				text = text[:0]
			case "rPh":
				if rPh == 0 {
					rPh = sc.depth()
				}
			case "t":
				inT = inSI && rPh == 0
			}
		case xlsxEnd:
			switch string(sc.name) {
			case "si":
				if inSI {
					sst = append(sst, xlsxUnescape(string(text)))
				}
				inSI = false
			case "t":
				inT = false
			}
			if rPh > sc.depth() {
				rPh = 0
			}
		case xlsxText:
			if inT {
				text = append(text, sc.text...)
			}
		}
	}
	if sc.roots == 0 {
		return nil, bk.formatErr("part %s holds no XML", zf.Name)
	}
	return sst, nil
}

// xlsxUnescape decodes the _xHHHH_ escapes OOXML uses for characters XML cannot hold
// (_x000D_ is a carriage return, _x005F_ an underscore), as Excel and excelize do.
func xlsxUnescape(s string) string {
	if !strings.Contains(s, "_x") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if i+7 <= len(s) && s[i] == '_' && s[i+1] == 'x' && s[i+6] == '_' {
			if v, err := strconv.ParseUint(s[i+2:i+6], 16, 16); err == nil {
				if v == 0x5F {
					b.WriteByte('_')
				} else if r := rune(v); utf8.ValidRune(r) {
					b.WriteRune(r)
				}
				i += 7
				continue
			}
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}
