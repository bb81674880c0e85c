package importer

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/custimport/custimport/importer/api"
	"github.com/custimport/custimport/mapping"
)

// lanesMapping maps the columns the lanes tests use.
const lanesMapping = "key: ID\nfields:\n  code: Code\n  card_number: Card\n  first_name: First\n  card_number_generate: Gen\n"

// laneSender answers like the API, by first name: "Drop" gets no answer (the request
// may have been applied), "Rej" is rejected, anything else succeeds, with the code sent
// or a new one. It keeps every request.
type laneSender struct {
	mu   sync.Mutex
	sent [][]mapping.Field
}

func (s *laneSender) Send(_ context.Context, fs []mapping.Field) api.Outcome {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent = append(s.sent, fs)
	switch first := fieldOf(fs, "first_name"); {
	case strings.HasPrefix(first, "Drop"):
		return api.Outcome{Kind: api.MaybeProcessed, Message: "connection reset"}
	case strings.HasPrefix(first, "Rej"):
		return api.Outcome{Kind: api.Rejected, Message: "card number already belongs to another customer"}
	}
	code := fieldOf(fs, "code")
	if code == "" {
		return api.Outcome{Kind: api.Success, Status: "new", Code: fmt.Sprintf("%016d", 7000000000000000+len(s.sent))}
	}
	return api.Outcome{Kind: api.Success, Status: "update", Code: code}
}

// requestsOf returns the requests made with first name first.
func (s *laneSender) requestsOf(first string) [][]mapping.Field {
	var out [][]mapping.Field
	for _, fs := range s.sent {
		if fieldOf(fs, "first_name") == first {
			out = append(out, fs)
		}
	}
	return out
}

// runLanes runs the rows (after the header ID,Code,Card,First,Gen), with filler rows of
// other keys where a row is "...": far apart, beyond the run's read-ahead.
func runLanes(t *testing.T, withState bool, rows ...string) (*laneSender, []resultRow) {
	t.Helper()
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("ID,Code,Card,First,Gen\n")
	filler := 0
	for _, r := range rows {
		if r == "..." {
			for range 3000 {
				filler++
				fmt.Fprintf(&b, "F%d,,,Filler,\n", filler)
			}
			continue
		}
		b.WriteString(r + "\n")
	}
	in := writeFile(t, dir, "in.csv", b.String())
	s := &laneSender{}
	o := runOpts(t, nil, parseMapping(t, lanesMapping), in)
	o.Sender, o.Workers = s, 2
	if withState {
		o.Store = openStore(t, filepath.Join(dir, "state.db"), false)
	}
	mustRun(t, o)
	return s, readResults(t, in+".results.csv")
}

// TestLanes: what a row passes to the later rows of its key, near and far in the file,
// with and without a state.
func TestLanes(t *testing.T) {
	for _, withState := range []bool{false, true} {
		for _, far := range []bool{false, true} {
			gap := []string{}
			if far {
				gap = []string{"..."}
			}
			name := fmt.Sprintf("state=%v,far=%v", withState, far)
			t.Run(name+"/card only after no answer", func(t *testing.T) {
				// The first row may have made a customer without this card: the card
				// would make another (rule 5).
				s, _ := runLanes(t, withState, append(append([]string{"K1,,,DropA,"}, gap...), "K1,,5551001,CardOnly,")...)
				if n := len(s.requestsOf("CardOnly")); n != 0 {
					t.Errorf("the card-only row was sent %d times, want none", n)
				}
			})
			t.Run(name+"/success after no answer", func(t *testing.T) {
				// A later success names the customer: the row after it is sent.
				s, _ := runLanes(t, withState, append(append([]string{"K3,,,DropB,", "K3,6000000000000001,,Own,"}, gap...), "K3,,,Later,")...)
				if r := s.requestsOf("Later"); len(r) != 1 || fieldOf(r[0], "code") != "6000000000000001" {
					t.Errorf("the later row's requests %v, want one with code 6000000000000001", r)
				}
			})
			t.Run(name+"/after a rejected code", func(t *testing.T) {
				s, _ := runLanes(t, withState, append(append([]string{"K2,5000000000000001,777,RejA,"}, gap...), "K2,,,Later,")...)
				if r := s.requestsOf("Later"); len(r) != 1 || fieldOf(r[0], "code") != "5000000000000001" {
					t.Errorf("the later row's requests %v, want one with the rejected row's code", r)
				}
			})
			t.Run(name+"/own card kept", func(t *testing.T) {
				// The answer leaves the card out: the card the row sent is the customer's,
				// and a later row does not ask for another.
				s, _ := runLanes(t, withState, append(append([]string{"G2,,4440001,CardG,"}, gap...), "G2,,,GenLater,6")...)
				if r := s.requestsOf("GenLater"); len(r) != 1 || fieldOf(r[0], "card_number_generate") != "" {
					t.Errorf("the later row's requests %v, want one without card_number_generate", r)
				}
			})
		}
	}
}
