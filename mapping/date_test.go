package mapping

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	d := func(y, mo, dd, h, mi, s int) time.Time {
		return time.Date(y, time.Month(mo), dd, h, mi, s, 0, time.UTC)
	}
	tests := []struct {
		layout, in string
		want       time.Time
		err        error
	}{
		{"YYYY-MM-DD", "2015-10-29", d(2015, 10, 29, 0, 0, 0), nil},
		{"YYYY-MM-DD", " 2015-10-29 ", d(2015, 10, 29, 0, 0, 0), nil},
		{"YYYY-MM-DD", "2015-1-9", d(2015, 1, 9, 0, 0, 0), nil},
		{"YYYY-MM-DD", "2015/10/29", time.Time{}, ErrDateFormat},
		{"YYYY-MM-DD", "2015-10-29x", time.Time{}, ErrDateFormat},
		{"YYYY-MM-DD", "15-10-29", time.Time{}, ErrDateFormat},
		{"YYYY-MM-DD", "", time.Time{}, ErrDateFormat},
		{"YYYYMMDD", "19081209", d(1908, 12, 9, 0, 0, 0), nil},
		{"YYYYMMDD", "1908129", time.Time{}, ErrDateFormat},
		{"YYYYMMDD", "19081232", time.Time{}, ErrNotRealDate},
		{"DD/MM/YYYY", "31/12/1999", d(1999, 12, 31, 0, 0, 0), nil},
		{"DD/MM/YYYY", "5/3/2020", d(2020, 3, 5, 0, 0, 0), nil},
		{"DD/MM/YYYY", "31/02/2020", time.Time{}, ErrNotRealDate},
		{"DD/MM/YYYY", "29/02/2020", d(2020, 2, 29, 0, 0, 0), nil},
		{"DD/MM/YYYY", "29/02/2019", time.Time{}, ErrNotRealDate},
		{"DD/MM/YYYY", "29/02/1900", time.Time{}, ErrNotRealDate},
		{"DD/MM/YYYY", "29/02/2000", d(2000, 2, 29, 0, 0, 0), nil},
		{"DD/MM/YYYY", "31/04/2000", time.Time{}, ErrNotRealDate},
		{"DD/MM/YYYY", "00/01/2000", time.Time{}, ErrNotRealDate},
		{"DD/MM/YYYY", "01/13/2000", time.Time{}, ErrNotRealDate},
		{"DD/MM/YYYY", "01/01/0000", time.Time{}, ErrNotRealDate},
		{"MM/DD/YYYY", "12/31/1999", d(1999, 12, 31, 0, 0, 0), nil},
		{"D.M.YY", "1.2.29", d(2029, 2, 1, 0, 0, 0), nil},
		{"D.M.YY", "1.2.30", d(1930, 2, 1, 0, 0, 0), nil},
		{"D.M.YY", "1.2.00", d(2000, 2, 1, 0, 0, 0), nil},
		{"D.M.YY", "1.2.99", d(1999, 2, 1, 0, 0, 0), nil},
		{"DMYYYY", "1122020", d(2020, 2, 11, 0, 0, 0), nil}, // widths are tried two first
		{"DMYYYY", "132020", d(2020, 3, 1, 0, 0, 0), nil},   // backtracks: D=13 would leave no month
		{"YYMMDD", "991231", d(1999, 12, 31, 0, 0, 0), nil},
		{"YYYY-MM-DD HH:mm:ss", "2012-07-28 22:59:59", d(2012, 7, 28, 22, 59, 59), nil},
		{"YYYY-MM-DD HH:mm:ss", "2012-07-28 24:00:00", time.Time{}, ErrNotRealDate},
		{"YYYY-MM-DD HH:mm:ss", "2012-07-28 23:60:00", time.Time{}, ErrNotRealDate},
		{"YYYY-MM-DDTHH:mm:ss", "2006-04-15T03:23:15", d(2006, 4, 15, 3, 23, 15), nil},
		{"YYYYMMDDHHmmss", "20060415032315", d(2006, 4, 15, 3, 23, 15), nil},
		{"DD/MM/YYYY HH:mm", "01/02/2003 4:05", d(2003, 2, 1, 4, 5, 0), nil},
		{"DD. MM. YYYY", "01. 02. 2003", d(2003, 2, 1, 0, 0, 0), nil},
	}
	for _, tt := range tests {
		t.Run(tt.layout+"/"+tt.in, func(t *testing.T) {
			got, err := ParseDate(tt.layout, tt.in)
			if !errors.Is(err, tt.err) || (tt.err != nil && err == nil) {
				t.Fatalf("ParseDate(%q, %q) error %v, want %v", tt.layout, tt.in, err, tt.err)
			}
			if !got.Equal(tt.want) {
				t.Errorf("ParseDate(%q, %q) = %v, want %v", tt.layout, tt.in, got, tt.want)
			}
		})
	}
}

func TestParseDateBadLayout(t *testing.T) {
	for _, l := range []string{"", "DD/MM", "MM/YYYY", "YYYY-MMM-DD", "YYY-MM-DD", "DD/MM/YYYY/YYYY", "Y-M-D", "DD/MM/YYYY mm", "DD/MM/YYYY HH:ss",
		"DD-MM-YYYY 12", "dd/mm/yyyy", "DD/MM/YYYY ddd"} {
		if _, err := ParseDate(l, "01/02/2003"); err == nil || errors.Is(err, ErrDateFormat) || errors.Is(err, ErrNotRealDate) {
			t.Errorf("layout %q: error %v, want a layout error", l, err)
		}
	}
}

// TestAppendISO: the fast way of a date field with a four-digit year gives what the
// general one (parseTrimmed, then YYYY-MM-DD) gives, and refuses what it refuses, for
// texts of the layout's full length and around it, real dates or not.
func TestAppendISO(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, layout := range []string{"DD/MM/YYYY", "YYYY-MM-DD", "D/M/YYYY", "MM-DD-YYYY", "YYYYMMDD", "DD.MM.YYYY", "YYYY-DD-MM"} {
		t.Run(layout, func(t *testing.T) {
			l := mustLayout(layout)
			if !l.isoFast {
				t.Fatalf("%s: not isoFast", layout)
			}
			alphabet := "0123456789" + strings.ReplaceAll(strings.ReplaceAll(strings.ReplaceAll(layout, "Y", ""), "M", ""), "D", "") + "x"
			for k := range 50000 {
				var b []byte
				if k%2 == 0 {
					// A date of the layout, real or not.
					y, m, d := rng.IntN(10000), rng.IntN(14), rng.IntN(33)
					s := strings.NewReplacer("YYYY", fmt.Sprintf("%04d", y), "MM", fmt.Sprintf("%02d", m), "DD", fmt.Sprintf("%02d", d),
						"M", fmt.Sprintf("%02d", m), "D", fmt.Sprintf("%02d", d)).Replace(layout)
					b = []byte(s)
					if k%4 == 0 && len(b) > 0 {
						b[rng.IntN(len(b))] = alphabet[rng.IntN(len(alphabet))]
					}
				} else {
					b = make([]byte, l.full-1+rng.IntN(3))
					for i := range b {
						b[i] = alphabet[rng.IntN(len(alphabet))]
					}
				}
				s := string(b)
				v, _, ok := l.appendISO(nil, s)
				c, err := l.parseTrimmed(s)
				// A text of the full length is read by matchFixed or by nothing.
				if ok && len(s) != l.full || len(s) == l.full && ok != (err == nil) {
					t.Fatalf("%q: appendISO ok %v, parseTrimmed %v", s, ok, err)
				}
				if ok {
					if want := string(c.appendDate(nil, '-')); v != want {
						t.Fatalf("%q: appendISO gives %q, want %q", s, v, want)
					}
				}
			}
		})
	}
	if mustLayout("DD/MM/YY").isoFast || mustLayout("YYYY-MM-DD HH:mm").isoFast {
		t.Error("isoFast for a two-digit year or a time of day")
	}
}
