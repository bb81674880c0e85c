package report

import (
	"encoding/csv"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
)

// TestOutOfOrder adds rows far out of order (beyond the ring of held rows too), adds some
// twice, leaves gaps, and checks the results hold each row once, in Seq order.
func TestOutOfOrder(t *testing.T) {
	tests := []struct {
		name   string
		n      int
		window int   // rows are shuffled within windows of this many
		gaps   []int // Seqs never added
	}{
		{"in order", 100, 1, nil},
		{"within the ring", 2000, 64, nil},
		{"beyond the ring", 3000, 1000, nil},
		{"reversed", 1000, 1000, nil},
		{"gaps", 3000, 700, []int{5, 300, 301, 2999}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			order := make([]int, tt.n)
			for i := range order {
				order[i] = i
			}
			rng := rand.New(rand.NewPCG(uint64(tt.n), uint64(tt.window)))
			for lo := 0; lo < tt.n; lo += tt.window {
				win := order[lo:min(lo+tt.window, tt.n)]
				if tt.name == "reversed" {
					slices.Reverse(win)
				} else {
					rng.Shuffle(len(win), func(i, j int) { win[i], win[j] = win[j], win[i] })
				}
			}
			path := filepath.Join(t.TempDir(), "r.csv")
			w, err := Create(path, []string{"a"})
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for i, seq := range order {
				if slices.Contains(tt.gaps, seq) {
					continue
				}
				r := Row{Seq: seq, Number: seq + 2, Status: StatusNew, Input: []string{strconv.Itoa(seq)}}
				if err := w.Add(r); err != nil {
					t.Fatalf("add seq %d: %v", seq, err)
				}
				if i%7 == 0 {
					if err := w.Add(r); !errors.Is(err, ErrDuplicateRow) {
						t.Fatalf("add seq %d again: %v, want ErrDuplicateRow", seq, err)
					}
				}
			}
			for seq := range tt.n {
				if !slices.Contains(tt.gaps, seq) {
					want = append(want, strconv.Itoa(seq))
				}
			}
			if got := w.Written() + w.Pending(); got != len(want) {
				t.Errorf("written %d + pending %d, want %d rows", w.Written(), w.Pending(), len(want))
			}
			err = w.Close()
			file := path
			if tt.gaps != nil {
				if !errors.Is(err, ErrMissingRow) {
					t.Fatalf("close: %v, want ErrMissingRow", err)
				}
				file = w.PartialPath()
			} else if err != nil {
				t.Fatal(err)
			}
			f, err := os.Open(file)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			recs, err := csv.NewReader(f).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, rec := range recs[1:] {
				got = append(got, rec[len(rec)-1])
			}
			if !slices.Equal(got, want) {
				t.Errorf("results rows out of order or missing: got %d rows, want %d", len(got), len(want))
			}
		})
	}
}
