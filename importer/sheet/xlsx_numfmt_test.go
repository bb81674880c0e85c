package sheet

import (
	"testing"
	"time"
)

func TestXLSXClassifyCode(t *testing.T) {
	tests := []struct {
		code string
		want xlsxNumFmt
	}{
		{"General", xlsxNumFmt{}},
		{"0.00", xlsxNumFmt{}},
		{"#,##0", xlsxNumFmt{}},
		{"0%", xlsxNumFmt{}},
		{"0.00E+00", xlsxNumFmt{}},
		{`#,##0 "pts"`, xlsxNumFmt{}},
		{"@", xlsxNumFmt{kind: xlsxFmtText}},
		{"[Blue]@", xlsxNumFmt{kind: xlsxFmtText}},
		{"00000", xlsxNumFmt{kind: xlsxFmtZeroPad, pattern: "00000"}},
		{"000-000", xlsxNumFmt{kind: xlsxFmtZeroPad, pattern: "000-000"}},
		{`"ID "00000`, xlsxNumFmt{kind: xlsxFmtZeroPad, pattern: "ID 00000"}},
		{`[Red]00000;[Blue]-00000`, xlsxNumFmt{kind: xlsxFmtZeroPad, pattern: "00000"}},
		{`\(000\)`, xlsxNumFmt{kind: xlsxFmtZeroPad, pattern: "(000)"}},
		{`[>99999]00000-0000;00000`, xlsxNumFmt{}},
		{"yyyy-mm-dd", xlsxNumFmt{kind: xlsxFmtDate}},
		{"dd/mm/yyyy", xlsxNumFmt{kind: xlsxFmtDate}},
		{"m/d/yy", xlsxNumFmt{kind: xlsxFmtDate}},
		{"mmm-yy", xlsxNumFmt{kind: xlsxFmtDate}},
		{"MMMM", xlsxNumFmt{kind: xlsxFmtDate}},
		{`[$-409]d-mmm-yy;@`, xlsxNumFmt{kind: xlsxFmtDate}},
		{`[$-F800]dddd\,\ mmmm\ dd\,\ yyyy`, xlsxNumFmt{kind: xlsxFmtDate}},
		{`yyyy"年"m"月"d"日"`, xlsxNumFmt{kind: xlsxFmtDate}},
		{"m/d/yyyy h:mm:ss", xlsxNumFmt{kind: xlsxFmtDate, hasTime: true}},
		{"yyyy-mm-dd hh:mm AM/PM", xlsxNumFmt{kind: xlsxFmtDate, hasTime: true}},
		{"h:mm", xlsxNumFmt{kind: xlsxFmtTime}},
		{"mm:ss", xlsxNumFmt{kind: xlsxFmtTime}},
		{"hh:mm:ss AM/PM", xlsxNumFmt{kind: xlsxFmtTime}},
		{"[h]:mm:ss", xlsxNumFmt{kind: xlsxFmtElapsed}},
		{"[mm]:ss", xlsxNumFmt{kind: xlsxFmtElapsed}},
		{`0 "days"`, xlsxNumFmt{kind: xlsxFmtZeroPad, pattern: "0 days"}},
		{`"yyyy" 0.0`, xlsxNumFmt{}},
		{`_(* #,##0_);_(* \(#,##0\)`, xlsxNumFmt{}},
		{`"unclosed`, xlsxNumFmt{}},
		{`[unclosed`, xlsxNumFmt{}},
		{"", xlsxNumFmt{}},
	}
	for _, tc := range tests {
		t.Run(tc.code, func(t *testing.T) {
			if got := xlsxClassifyCode(tc.code); got != tc.want {
				t.Errorf("xlsxClassifyCode(%q) = %+v, want %+v", tc.code, got, tc.want)
			}
		})
	}
}

func TestXLSXClassifyBuiltin(t *testing.T) {
	for id := 0; id < 200; id++ {
		got := xlsxClassifyBuiltin(id)
		var want xlsxFmtKind
		switch {
		case id == 1:
			want = xlsxFmtZeroPad
		case id >= 14 && id <= 17, id == 22, id >= 27 && id <= 31, id == 36, id >= 50 && id <= 58:
			want = xlsxFmtDate
		case id >= 18 && id <= 21, id >= 32 && id <= 35, id == 45, id == 47:
			want = xlsxFmtTime
		case id == 46:
			want = xlsxFmtElapsed
		case id == 49:
			want = xlsxFmtText
		}
		if got.kind != want || got.hasTime != (id == 22) {
			t.Errorf("builtin %d = %+v, want kind %d", id, got, want)
		}
	}
}

func TestXLSXPad(t *testing.T) {
	tests := []struct{ digits, pattern, want string }{
		{"6083", "00000", "06083"},
		{"10083", "00000", "10083"},
		{"1234567", "00000", "1234567"},
		{"12345", "000-000", "012-345"},
		{"1234567", "000-000", "1234-567"},
		{"", "000", "000"},
		{"5", "ID 000", "ID 005"},
		{"42", "(000)", "(042)"},
		{"7", "0", "7"},
	}
	for _, tc := range tests {
		if got := xlsxPad(tc.digits, tc.pattern); got != tc.want {
			t.Errorf("xlsxPad(%q, %q) = %q, want %q", tc.digits, tc.pattern, got, tc.want)
		}
	}
}

func TestXLSXNumberText(t *testing.T) {
	tests := []struct{ raw, want string }{
		{"1", "1"},
		{"-12.5", "-12.5"},
		{"31001.0", "31001"}, // Google Sheets' integers
		{"12.50", "12.5"},
		{"-0.0", "0"},
		{"0.0", "0"},
		{"-7.000", "-7"},
		{"0.30000000000000004", "0.3"},
		{"-0.30000000000000004", "-0.3"},
		{"0.1234567890123456", "0.123456789012346"},
		{"100.10000000000001", "100.1"},
		{"2.6303323046962774324020672609", "2.63033230469628"},
		{"123456789012345.67", "123456789012346"},
		{"1234567890123456.5", "1234567890123456.5"},
		{"1234567890123456789", "1234567890123456789"},
		{"0000123", "0000123"},
		{"1.23E+22", "1.23E+22"},
		{"1.2345678901234567e-7", "1.2345678901234567e-7"},
		{"0.000000000000000000012345", "0.000000000000000000012345"},
		{"0.99999999999999999", "1"},
	}
	for _, tc := range tests {
		if got := xlsxNumberText(tc.raw); got != tc.want {
			t.Errorf("xlsxNumberText(%q) = %q, want %q", tc.raw, got, tc.want)
		}
	}
}

func TestXLSXSerialTime(t *testing.T) {
	d := func(y int, m time.Month, dd, h, mi, s, ms int) time.Time {
		return time.Date(y, m, dd, h, mi, s, ms*1e6, time.UTC)
	}
	tests := []struct {
		serial   float64
		date1904 bool
		want     time.Time
		ok       bool
	}{
		{0, false, d(1899, 12, 31, 0, 0, 0, 0), true},
		{1, false, d(1900, 1, 1, 0, 0, 0, 0), true},
		{59, false, d(1900, 2, 28, 0, 0, 0, 0), true},
		{60, false, d(1900, 3, 1, 0, 0, 0, 0), true}, // Excel's 1900-02-29
		{61, false, d(1900, 3, 1, 0, 0, 0, 0), true},
		{45000, false, d(2023, 3, 15, 0, 0, 0, 0), true},
		{45000.5, false, d(2023, 3, 15, 12, 0, 0, 0), true},
		{45000.000011574, false, d(2023, 3, 15, 0, 0, 1, 0), true},
		{45000.0000000001, false, d(2023, 3, 15, 0, 0, 0, 0), true},
		{2958465.9999999, false, d(9999, 12, 31, 23, 59, 59, 991), true},
		{2958466, false, time.Time{}, false},
		{-1, false, time.Time{}, false},
		{0, true, d(1904, 1, 1, 0, 0, 0, 0), true},
		{1, true, d(1904, 1, 2, 0, 0, 0, 0), true},
		{60, true, d(1904, 3, 1, 0, 0, 0, 0), true},
		{2957003, true, d(9999, 12, 31, 0, 0, 0, 0), true},
		{2957004, true, time.Time{}, false},
	}
	for _, tc := range tests {
		got, ok := xlsxSerialTime(tc.serial, tc.date1904)
		if ok != tc.ok || !got.Equal(tc.want) {
			t.Errorf("xlsxSerialTime(%v, %v) = %v, %v; want %v, %v", tc.serial, tc.date1904, got, ok, tc.want, tc.ok)
		}
	}
}

func TestXLSXUnescape(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"a_x000D_b", "a\rb"},
		{"_x005F_x000D_", "_x000D_"},
		{"_x0041__x0042_", "AB"},
		{"_xZZZZ_", "_xZZZZ_"},
		{"_x00", "_x00"},
		{"_xD800_", ""},
	}
	for _, tc := range tests {
		if got := xlsxUnescape(tc.in); got != tc.want {
			t.Errorf("xlsxUnescape(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
