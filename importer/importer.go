// Package importer runs an import: it streams the rows of a spreadsheet through the
// mapping and validation, decides with the state which rows need sending, sends them
// through a rate-limited worker pool with retries under the idempotency rule, and writes
// every row's outcome to the results file in input order.
package importer

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"time"

	"go.uber.org/zap"

	"github.com/custimport/custimport/importer/api"
	"github.com/custimport/custimport/importer/sheet"
	"github.com/custimport/custimport/importer/state"
	"github.com/custimport/custimport/mapping"
	"github.com/custimport/custimport/report"
)

// Sender sends one row's fields to the API and classifies what became of the request.
// *api.Client is the real one.
type Sender interface {
	Send(ctx context.Context, fields []mapping.Field) api.Outcome
}

// Store is what a run needs of the state database. *state.Store is the real one.
type Store interface {
	Get(id string) (state.Entry, bool, error)
	// Reserve durably marks each of ids as about to be sent, all at once; it returns
	// once that is on disk. Begin of a reserved identity can then go without waiting
	// for the disk (see state.Store.Reserve).
	Reserve(ids []string) error
	// Unreserve clears the reservation of an identity that will not be sent.
	Unreserve(id string)
	// Begin marks id in flight; it returns once a crash of this process can no longer
	// lose the mark (for an identity not reserved, once it is on disk).
	Begin(id string) error
	// FinishAsync records a success without waiting for the disk; Flush waits.
	FinishAsync(id string, e state.Entry)
	Flush() error
	Abandon(id string, status string) error
}

// Progress is told the number of rows, when known, and every row as it ends.
type Progress interface {
	SetTotal(rows int)
	RowDone(st report.Status)
}

// Options configure one run. Zero values take the contract's defaults.
type Options struct {
	Input   string        // the CSV or XLSX file
	Sheet   sheet.Options // reader overrides; Sheet defaults to the mapping's sheet
	Mapping *mapping.Mapping
	Results string // the results file; .csv or .xlsx
	DryRun  bool   // validate only: Sender is never called

	Sender Sender // required unless DryRun
	Store  Store  // nil keeps no state
	Force  bool   // send rows the state says are unchanged

	Rate      float64 // requests per second for all workers together; 0 or less: unlimited
	Burst     int     // token bucket burst; default 1
	Workers   int     // concurrent requests; default 4
	Retries   int     // attempts after the first for retryable failures; negative: 0
	MaxErrors int     // stop once this many rows ended error or unknown; 0: never

	// BackoffBase and BackoffMax shape the exponential backoff with full jitter between
	// attempts (defaults 500ms and 30s). A Retry-After answer waits at least that long.
	BackoffBase, BackoffMax time.Duration
	// Window is how many rows reading may run ahead of the oldest unfinished row
	// (default: 64 per worker, at least 256). It bounds memory and the results buffer.
	Window int

	Logger   *zap.Logger // default: no logging
	Progress Progress    // may be nil
	// OnRow, when set, is called for every row as it ends, with the row's number, status
	// and messages, from one goroutine (the run's row recorder), in the order rows end.
	OnRow func(number int, st report.Status, messages []string)
	Now   func() time.Time // default time.Now
	Rand  *rand.Rand       // jitter; default a random seed
}

// ErrStopped is the cause given when a run stops early on a signal.
var ErrStopped = errors.New("stopped by a signal")

// ErrMaxErrors is the cause of a run stopped by Options.MaxErrors.
var ErrMaxErrors = errors.New("--max-errors reached")

// ErrCredentials is the cause of a run stopped because the API refused the credentials.
var ErrCredentials = errors.New("the API refused the credentials")

// ErrEndpoint is the cause of a run stopped because the endpoint refused a request
// itself (a redirect, HTTP 404 or 405): every row would be refused the same way.
var ErrEndpoint = errors.New("the endpoint refused the request")

// ErrUnreachable is the cause of a run stopped because a row gave up on reaching the API
// (connection refused, DNS, TLS: no HTTP answer on any attempt) before the API had
// answered any request of the run: every row would wait through its retries the same way.
var ErrUnreachable = errors.New("the API could not be reached")

// ErrInput is the cause of a run stopped because the input turned unreadable after some
// rows were sent (a malformed CSV record, a damaged workbook).
var ErrInput = errors.New("the input is unreadable")

// SetupError is an error before any row was attempted: bad input, mapping or results
// path. The command maps it to exit code 2.
type SetupError struct{ Err error }

func (e *SetupError) Error() string { return e.Err.Error() }
func (e *SetupError) Unwrap() error { return e.Err }

func setupErr(err error) error {
	if err == nil {
		return nil
	}
	return &SetupError{Err: err}
}

func (o *Options) defaults() {
	if o.Workers < 1 {
		o.Workers = 4
	}
	if o.Burst < 1 {
		o.Burst = 1
	}
	if o.Retries < 0 {
		o.Retries = 0
	}
	if o.BackoffBase <= 0 {
		o.BackoffBase = 500 * time.Millisecond
	}
	if o.BackoffMax <= 0 {
		o.BackoffMax = 30 * time.Second
	}
	if o.Window <= 0 {
		o.Window = max(256, 64*o.Workers)
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
}

// CountRows counts the data rows of input below its header row, for a progress bar's
// total. It reads the whole file once.
func CountRows(input string, opt sheet.Options, headerRow int) (int, error) {
	rd, err := sheet.Open(input, opt)
	if err != nil {
		return 0, err
	}
	defer rd.Close()
	n := 0
	for {
		row, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		if row.Number > headerRow {
			n++
		}
	}
}
