package state

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"time"
)

// ExportHeader is the header row of Export's CSV.
var ExportHeader = []string{"identity_kind", "identity", "code", "card_number", "last_status", "last_sent"}

// Export writes the state as CSV, one row per identity in identity order: the identity
// split at its first ':' into kind (key, code, card) and value, the code and card number,
// the last status ("in_flight" while a request has no recorded answer: its outcome is not
// known) and the time of that status in RFC 3339, UTC. Values are written exactly as
// stored: the export is read by the merchant's own system, which must get back the key,
// code and card number it will match on (formula escaping is for the results file only).
func (s *Store) Export(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(ExportHeader); err != nil {
		return fmt.Errorf("export state: %w", err)
	}
	rec := make([]string, len(ExportHeader))
	err := s.forEach(func(id []byte, e Entry) error {
		kind, value, ok := strings.Cut(string(id), ":")
		if !ok {
			kind, value = "", kind
		}
		status := e.Status
		if e.InFlight {
			status = "in_flight"
		}
		sent := ""
		if !e.Time.IsZero() {
			sent = e.Time.UTC().Format(time.RFC3339)
		}
		rec[0], rec[1], rec[2], rec[3], rec[4], rec[5] = kind, value, e.Code, e.CardNumber, status, sent
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("export state: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("export state: %w", err)
	}
	return nil
}
