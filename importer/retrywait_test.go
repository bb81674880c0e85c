package importer

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/custimport/custimport/importer/api"
	"github.com/custimport/custimport/mapping"
	"github.com/custimport/custimport/report"
)

// TestLongRetryWaitLogged: a retry that waits long (a Retry-After of a minute) says so in
// the log, with the row and the wait, before waiting: a run that only sat there would
// look hung. The test stops the run once the line is there.
func TestLongRetryWaitLogged(t *testing.T) {
	in := writeFile(t, t.TempDir(), "in.csv", customerCSV(1, 0))
	o := runOpts(t, nil, parseMapping(t, customerMapping), in)
	core, logs := observer.New(zap.InfoLevel)
	o.Logger = zap.New(core)
	o.Workers, o.Results = 1, filepath.Join(t.TempDir(), "r.csv")
	o.Sender = senderFunc(func(context.Context, []mapping.Field) api.Outcome {
		return api.Outcome{Kind: api.NotProcessed, Throttled: true, RetryAfter: time.Minute,
			Message: "HTTP 429 Too Many Requests"}
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		// Stop the run once the line is there, or after 5 s without it.
		for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(time.Millisecond) {
			if logs.FilterMessage("waiting before a retry").Len() > 0 {
				break
			}
		}
		cancel()
	}()
	res, err := Run(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	lines := logs.FilterMessage("waiting before a retry").All()
	if len(lines) != 1 {
		t.Fatalf("%d lines about the wait, want 1", len(lines))
	}
	got := lines[0].ContextMap()
	if got["row"] != int64(2) || got["wait"] != time.Minute || got["attempt"] != int64(1) {
		t.Errorf("the line says %v; want row 2, attempt 1, wait 1m0s", got)
	}
	if !errors.Is(res.Stopped, ErrStopped) || res.Summary.Counts[report.StatusSkipped] != 1 {
		t.Errorf("stopped %v, counts %v; want ErrStopped and the row skipped", res.Stopped, res.Summary.Counts)
	}
}
