package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"golang.org/x/term"

	"github.com/custimport/custimport/report"
)

// isTerminal reports whether w is a terminal: a character device is not enough, as
// /dev/null (where cron jobs send their output) is one too.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// newLogger builds the zap logger on w: console on a terminal, JSON otherwise, unless
// format says which.
func newLogger(w io.Writer, format, level string) (*zap.Logger, error) {
	lvl, err := zapcore.ParseLevel(level)
	if err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	if format == "" {
		format = "json"
		if isTerminal(w) {
			format = "console"
		}
	}
	ec := zap.NewProductionEncoderConfig()
	ec.EncodeTime = zapcore.ISO8601TimeEncoder
	var enc zapcore.Encoder
	switch format {
	case "json":
		enc = zapcore.NewJSONEncoder(ec)
	case "console":
		ec.EncodeLevel = zapcore.CapitalLevelEncoder
		enc = zapcore.NewConsoleEncoder(ec)
	default:
		return nil, fmt.Errorf("--log-format must be console or json, not %q", format)
	}
	core := zapcore.NewCore(enc, zapcore.Lock(zapcore.AddSync(w)), lvl)
	return zap.New(core), nil
}

// progress is the progress bar on stderr: rows done of the total, rows per second, ETA
// and the counts by status.
type progress struct {
	w      io.Writer
	bar    *progressbar.ProgressBar
	mu     sync.Mutex
	counts map[report.Status]int
	last   time.Time
}

// newProgress returns a progress bar for mode (auto: only on a terminal), or nil.
func newProgress(w io.Writer, mode string, dryRun bool) *progress {
	if mode == "never" || (mode == "auto" && !isTerminal(w)) {
		return nil
	}
	verb := "sending"
	if dryRun {
		verb = "validating"
	}
	bar := progressbar.NewOptions(-1,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(verb),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("rows"),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionShowDescriptionAtLineEnd(),
		progressbar.OptionSetWidth(30),
	)
	return &progress{w: w, bar: bar, counts: map[report.Status]int{}}
}

// SetTotal sets the number of rows, once known.
func (p *progress) SetTotal(rows int) {
	p.bar.ChangeMax(rows)
}

// RowDone counts one finished row.
func (p *progress) RowDone(st report.Status) {
	p.mu.Lock()
	p.counts[st]++
	// The counts by status are redrawn more often than the bar (every 200 ms), so that
	// the two agree whenever the bar is drawn.
	now := time.Now()
	if now.Sub(p.last) > 50*time.Millisecond {
		p.last = now
		p.bar.Describe(p.describe())
	}
	p.mu.Unlock()
	_ = p.bar.Add(1)
}

func (p *progress) describe() string {
	var parts []string
	for _, st := range report.Statuses {
		if n := p.counts[st]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", st, n))
		}
	}
	return strings.Join(parts, ", ")
}

// Clear removes the bar from the terminal so that a line can be printed.
func (p *progress) Clear() { _ = p.bar.Clear() }

// Finish draws the bar complete and ends its line.
func (p *progress) Finish() {
	p.mu.Lock()
	p.bar.Describe(p.describe())
	p.mu.Unlock()
	_ = p.bar.Finish()
	_, _ = fmt.Fprintln(p.w)
}
