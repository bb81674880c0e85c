package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/custimport/custimport/importer"
	"github.com/custimport/custimport/importer/api"
	"github.com/custimport/custimport/importer/sandbox"
	"github.com/custimport/custimport/importer/sheet"
	"github.com/custimport/custimport/importer/state"
	"github.com/custimport/custimport/mapping"
	"github.com/custimport/custimport/report"
)

// runFlags are the flags of run and validate.
type runFlags struct {
	mapping      string
	endpoint     string
	userID       string
	accountID    string
	passwordFile string
	results      string
	rate         float64
	burst        int
	workers      int
	timeout      time.Duration
	retries      int
	maxErrors    int
	dryRun       bool
	sandbox      bool
	state        string
	noState      bool
	force        bool
	sheet        string
	delimiter    string
	encoding     string
	format       string
	logFormat    string
	logLevel     string
	progress     string
	summaryJSON  string
	allowHTTP    bool
}

func (f *runFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.mapping, "mapping", "mapping.yaml", "the YAML mapping `file`")
	fl.StringVar(&f.endpoint, "endpoint", "", "the API endpoint `URL` the form is POSTed to (required for run unless --sandbox)")
	fl.StringVar(&f.userID, "user-id", "", "API user id (required for run)")
	fl.StringVar(&f.accountID, "account-id", "", "API account id (required for run)")
	fl.StringVar(&f.passwordFile, "password-file", "", "read the API password from `file`: one line (else CUSTIMPORT_PASSWORD)")
	fl.StringVar(&f.results, "results", "", "results `file`, .csv or .xlsx (default <input name>.results.csv beside the input)")
	fl.Float64Var(&f.rate, "rate", 5, "requests per second, all workers together (0: unlimited)")
	fl.IntVar(&f.burst, "burst", 1, "token bucket burst")
	fl.IntVar(&f.workers, "workers", 4, "concurrent requests at most")
	fl.DurationVar(&f.timeout, "timeout", 30*time.Second, "one request's timeout")
	fl.IntVar(&f.retries, "retries", 5, "attempts after the first, for retryable failures")
	fl.IntVar(&f.maxErrors, "max-errors", 0, "stop sending once N rows sent by this run have ended error or unknown (0: never stop)")
	fl.BoolVar(&f.dryRun, "dry-run", false, "validate only; never opens a connection")
	fl.BoolVar(&f.sandbox, "sandbox", false, "send to an in-process sandbox API on a loopback port instead of --endpoint")
	fl.StringVar(&f.state, "state", "", "the state database `file` (default $XDG_STATE_HOME/custimport/<account_id>.db)")
	fl.BoolVar(&f.noState, "no-state", false, "keep no state")
	fl.BoolVar(&f.force, "force", false, "send rows even when the state says they are unchanged")
	fl.StringVar(&f.sheet, "sheet", "", "XLSX sheet `name` (default: the mapping's sheet, else the first visible sheet)")
	fl.StringVar(&f.delimiter, "delimiter", "", "CSV delimiter (default: detected; \\t for tab)")
	fl.StringVar(&f.encoding, "encoding", "", "CSV encoding: utf-8, utf-16le, utf-16be, windows-1252, latin1, ... (default: detected)")
	fl.StringVar(&f.format, "format", "xml", "the API's output format, xml or json")
	fl.StringVar(&f.logFormat, "log-format", "", "console or json (default: console on a terminal, json otherwise)")
	fl.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error (debug logs one line per row)")
	fl.StringVar(&f.progress, "progress", "auto", "progress bar on stderr: auto (on a terminal), always or never")
	fl.StringVar(&f.summaryJSON, "summary-json", "", "write the run summary as JSON to `file`")
	fl.BoolVar(&f.allowHTTP, "allow-insecure-http", false, "allow an http:// endpoint on a non-loopback host (credentials travel in clear text)")
}

func (a *app) runCmd() *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run [flags] INPUT",
		Short: "Map, validate and send every row of INPUT (CSV or XLSX); write the results file",
		Long: `run reads INPUT (CSV or XLSX) as a stream, maps its columns through the mapping, validates
every row, sends one record_customer/edit call per valid row through a rate-limited worker
pool, and writes the results file: every input row, in input order, with its status
(new, update, unchanged, invalid, error, unknown, skipped), the customer code the API
returned, and what went wrong.

The password comes from CUSTIMPORT_PASSWORD or --password-file, never from a flag.
Try it first with --sandbox (an in-process simulation of the API) or --dry-run.

` + exitCodesHelp,
		Example: `  custimport run --sandbox --mapping samples/mapping.yaml samples/customers.csv
  CUSTIMPORT_PASSWORD=... custimport run --endpoint https://api.clienttoolbox.com \
      --user-id api-user --account-id greatwidgets --mapping mapping.yaml customers.xlsx`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runImport(cmd.Context(), &f, args[0])
		},
	}
	f.register(cmd)
	return cmd
}

func (a *app) validateCmd() *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "validate [flags] INPUT",
		Short: "Validate INPUT against the mapping without sending anything (run --dry-run)",
		Long: `validate does everything run does but the network: it maps and validates every row,
prints every problem of every invalid row and every warning, and writes the results file
with each row valid or invalid. No request is ever sent. With a state database the
results file also says which rows would be unchanged and which would update a remembered
customer, and the summary counts them.

` + exitCodesHelp,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f.dryRun = true
			return a.runImport(cmd.Context(), &f, args[0])
		},
	}
	f.register(cmd)
	return cmd
}

// runImport turns the flags into importer options, runs, and reports.
func (a *app) runImport(ctx context.Context, f *runFlags, input string) error {
	log, err := newLogger(a.stderr, f.logFormat, f.logLevel)
	if err != nil {
		return withCode(exitUsage, err)
	}
	defer func() { _ = log.Sync() }()

	a.resolveEnvConflicts(f)
	if err := a.checkRunPaths(f, input); err != nil {
		// Not even a failed summary: --summary-json may be the very file refused.
		return withCode(exitUsage, err)
	}
	if f.summaryJSON != "" {
		// A path that cannot be written must stop the run before it sends anything.
		dir := filepath.Dir(f.summaryJSON)
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			return withCode(exitUsage, fmt.Errorf("--summary-json %q: no directory %q to write it in", f.summaryJSON, dir))
		}
		if fi, err := os.Stat(f.summaryJSON); err == nil && fi.IsDir() {
			return withCode(exitUsage, fmt.Errorf("--summary-json %q is a directory; name a file", f.summaryJSON))
		}
	}
	opt, cleanup, err := a.options(ctx, f, input, log)
	defer cleanup()
	if err != nil {
		a.failedSummary(f, err)
		return withCode(exitUsage, err)
	}
	log.Info("starting", zap.String("input", input), zap.String("results", opt.Results),
		zap.Bool("dry_run", f.dryRun), zap.Float64("rate", f.rate), zap.Int("workers", f.workers))
	bar := newProgress(a.stderr, f.progress, f.dryRun)
	if bar != nil {
		opt.Progress = bar
		sopt := opt.Sheet
		if sopt.Sheet == "" {
			sopt.Sheet = opt.Mapping.Sheet
		}
		if n, err := importer.CountRows(input, sopt, opt.Mapping.HeaderRow); err == nil {
			bar.SetTotal(n)
		}
	}
	if f.dryRun {
		opt.OnRow = func(number int, st report.Status, msgs []string) {
			// Invalid rows and warnings: what the state would do with a valid row is in the
			// results file (a line each would flood a nightly file's million rows).
			if st != report.StatusInvalid && !slices.ContainsFunc(msgs, func(m string) bool {
				return strings.HasPrefix(m, "warning: ")
			}) {
				return
			}
			if bar != nil {
				bar.Clear()
			}
			fmt.Fprintf(a.stdout, "row %d: %s: %s\n", number, st, strings.Join(msgs, "; "))
		}
	}
	res, err := importer.Run(ctx, opt)
	if bar != nil {
		bar.Finish()
	}
	if m := opt.Mapping; err != nil && m != nil && errors.Is(err, sheet.ErrNoSheet) && f.sheet == "" && m.Sheet != "" {
		// The workbook lacks the sheet the mapping names: say where it is named.
		err = fmt.Errorf("%w (the mapping's sheet: at %s:%d)", err, m.File, m.SheetLine)
	}
	if err != nil {
		a.failedSummary(f, err)
		var se *importer.SetupError
		if errors.As(err, &se) {
			return withCode(exitUsage, err)
		}
		return withCode(exitStopped, err)
	}
	if err := res.Summary.WriteText(a.stderr); err != nil {
		return err
	}
	if f.summaryJSON != "" {
		if err := res.Summary.WriteJSON(f.summaryJSON); err != nil {
			return withCode(exitPartial, fmt.Errorf("summary: %w", err))
		}
	}
	if res.Stopped != nil {
		log.Warn("run stopped early", zap.String("reason", res.Stopped.Error()))
	}
	a.code = res.ExitCode()
	return nil
}

// resolveEnvConflicts lets a setting from the environment (a nightly job's env file,
// say) give way to a contradicting flag on the command line.
func (a *app) resolveEnvConflicts(f *runFlags) {
	if f.sandbox && a.fromEnv["endpoint"] {
		f.endpoint = ""
	}
	if f.noState && a.fromEnv["state"] {
		f.state = ""
	}
	if f.state != "" && a.fromEnv["no-state"] {
		f.noState = false
	}
}

// checkRunPaths refuses --results (or its default) and --summary-json when either names
// the input, the mapping, the password file, the state file, or the other output.
func (a *app) checkRunPaths(f *runFlags, input string) error {
	results := f.results
	if results == "" {
		results = defaultResults(input)
	}
	// A state path that cannot be worked out is reported when the state is opened.
	statePath, _ := a.statePath(f, f.dryRun)
	outputs := []namedPath{{"--results", results}}
	// The results are written to a partial file first (emptied when the run starts),
	// which must not be a file the run reads either.
	for _, p := range report.PartialPaths(results) {
		outputs = append(outputs, namedPath{"the partial file of --results", p})
	}
	outputs = append(outputs, namedPath{"--summary-json", f.summaryJSON})
	return checkOutputs(outputs,
		[]namedPath{{"the input", input}, {"the --mapping", f.mapping}, {"the --password-file", f.passwordFile}, {"the --state file", statePath}},
	)
}

// failedSummary writes --summary-json for a run that ended in an error, before or
// instead of a summary of rows, so that monitoring never reads an earlier run's file as
// this one's.
func (a *app) failedSummary(f *runFlags, err error) {
	if f.summaryJSON == "" {
		return
	}
	now := time.Now()
	s := &report.Summary{DryRun: f.dryRun, Stopped: true, StopReason: err.Error(), StartedAt: now, FinishedAt: now}
	if werr := s.WriteJSON(f.summaryJSON); werr != nil {
		fmt.Fprintf(a.stderr, "custimport: summary: %v\n", werr)
	}
}

// options checks the flags and builds the run's options: the mapping, the results
// path, and for a real run the client (or the sandbox) and the state. cleanup is never
// nil and releases what was opened.
func (a *app) options(ctx context.Context, f *runFlags, input string, log *zap.Logger) (importer.Options, func(), error) {
	var closers []func()
	cleanup := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	opt := importer.Options{
		Input: input, DryRun: f.dryRun, Force: f.force, Logger: log,
		Rate: f.rate, Burst: f.burst, Workers: f.workers, Retries: f.retries, MaxErrors: f.maxErrors,
	}
	if err := f.check(); err != nil {
		return opt, cleanup, err
	}
	if _, err := os.Stat(input); err != nil {
		return opt, cleanup, fmt.Errorf("input: %w", err)
	}
	if ext := strings.ToLower(filepath.Ext(input)); f.sheet != "" && ext != ".xlsx" && ext != ".xlsm" {
		// Ignored, it would hide a wrong input file from the user who named a sheet.
		return opt, cleanup, fmt.Errorf("--sheet %q: %s is not a workbook (--sheet applies to .xlsx files only)", f.sheet, input)
	}
	m, err := mapping.Load(f.mapping)
	if err != nil {
		return opt, cleanup, err
	}
	opt.Mapping = m
	opt.Sheet = sheet.Options{Sheet: f.sheet, Encoding: f.encoding, HeaderRow: m.HeaderRow}
	if f.delimiter != "" {
		d, err := sheet.ParseDelimiter(f.delimiter)
		if err != nil {
			return opt, cleanup, fmt.Errorf("--delimiter: %w", err)
		}
		opt.Sheet.Delimiter = d
	}
	opt.Results = f.results
	if opt.Results == "" {
		opt.Results = defaultResults(input)
	}

	if f.dryRun {
		st, err := a.openState(f, true)
		if err != nil {
			return opt, cleanup, err
		}
		if st != nil {
			closers = append(closers, func() { _ = st.Close() })
			opt.Store = st
		}
		return opt, cleanup, nil
	}

	cfg := api.Config{
		Endpoint: f.endpoint, UserID: f.userID, AccountID: f.accountID,
		Format: f.format, Timeout: f.timeout, Workers: f.workers,
		AllowInsecureHTTP: f.allowHTTP, UserAgent: userAgent(),
		APIKey: api.NewSecret(a.getenv("CUSTIMPORT_API_KEY")),
	}
	password, err := a.password(f)
	if err != nil {
		return opt, cleanup, err
	}
	if f.passwordFile != "" {
		if fi, err := os.Stat(f.passwordFile); err == nil && fi.Mode().Perm()&0o077 != 0 {
			log.Warn("the password file can be read by other users; chmod 600 it",
				zap.String("file", f.passwordFile), zap.String("mode", fi.Mode().Perm().String()))
		}
	}
	cfg.Password = password
	if f.sandbox {
		url, stop, err := startSandbox(ctx, m, &cfg, log)
		if err != nil {
			return opt, cleanup, err
		}
		closers = append(closers, stop)
		cfg.Endpoint = url
	} else {
		var missing []string
		if cfg.Endpoint == "" {
			missing = append(missing, "--endpoint")
		}
		if cfg.UserID == "" {
			missing = append(missing, "--user-id")
		}
		if cfg.AccountID == "" {
			missing = append(missing, "--account-id")
		}
		if cfg.Password.IsZero() && cfg.APIKey.IsZero() {
			missing = append(missing, "the password (CUSTIMPORT_PASSWORD or --password-file)")
		}
		if len(missing) > 0 {
			return opt, cleanup, fmt.Errorf("run needs %s (or --sandbox to rehearse, --dry-run to validate)", strings.Join(missing, ", "))
		}
	}
	client, err := api.New(cfg)
	if err != nil {
		return opt, cleanup, err
	}
	closers = append(closers, client.Close)
	opt.Sender = client

	st, err := a.openState(f, false)
	if err != nil {
		return opt, cleanup, err
	}
	if st != nil {
		closers = append(closers, func() {
			if err := st.Close(); err != nil {
				log.Error("closing the state database", zap.Error(err))
			}
		})
		opt.Store = st
	}
	if opt.Store != nil && m.Key == nil && !mapsField(m, "code") && !mapsField(m, "card_number") {
		log.Warn("the mapping has no key, code or card_number: rows cannot be recognised across runs, " +
			"so every run creates new customers; set key: to the column of your own customer id")
	}
	return opt, cleanup, nil
}

func mapsField(m *mapping.Mapping, name string) bool {
	for _, fm := range m.Fields {
		if fm.Name == name {
			return true
		}
	}
	return false
}

// minRate is the slowest --rate taken: one request every 1,000 seconds. A smaller one
// (1e-320) would wait for ever before the first request.
const minRate = 0.001

// check validates flag values that need no file.
func (f *runFlags) check() error {
	var errs []error
	if math.IsNaN(f.rate) || math.IsInf(f.rate, 0) || f.rate < 0 || f.rate > 0 && f.rate < minRate {
		errs = append(errs, fmt.Errorf("--rate must be a number of requests per second, 0 (unlimited) or from %v up, not %v", minRate, f.rate))
	}
	if f.burst < 1 {
		errs = append(errs, errors.New("--burst must be at least 1"))
	}
	if f.workers < 1 || f.workers > 256 {
		errs = append(errs, errors.New("--workers must be from 1 to 256"))
	}
	if f.timeout <= 0 {
		errs = append(errs, errors.New("--timeout must be positive"))
	}
	if f.retries < 0 {
		errs = append(errs, errors.New("--retries must be 0 or more"))
	}
	if f.maxErrors < 0 {
		errs = append(errs, errors.New("--max-errors must be 0 or more"))
	}
	if f.format = strings.ToLower(f.format); f.format != "xml" && f.format != "json" {
		errs = append(errs, fmt.Errorf("--format must be xml or json, not %q", f.format))
	}
	switch f.progress {
	case "auto", "always", "never":
	default:
		errs = append(errs, fmt.Errorf("--progress must be auto, always or never, not %q", f.progress))
	}
	if f.noState && f.state != "" {
		errs = append(errs, errors.New("--state and --no-state contradict each other"))
	}
	if f.sandbox && f.endpoint != "" {
		errs = append(errs, errors.New("--sandbox and --endpoint contradict each other"))
	}
	if f.encoding != "" {
		if _, err := sheet.ParseEncoding(f.encoding); err != nil {
			errs = append(errs, fmt.Errorf("--encoding: %w", err))
		}
	}
	return errors.Join(errs...)
}

// defaultResults is <input name>.results.csv beside the input.
func defaultResults(input string) string {
	base := strings.TrimSuffix(filepath.Base(input), filepath.Ext(input))
	return filepath.Join(filepath.Dir(input), base+".results.csv")
}

// password reads the API password from --password-file or CUSTIMPORT_PASSWORD; with
// --sandbox it defaults to the sandbox's.
func (a *app) password(f *runFlags) (api.Secret, error) {
	if f.passwordFile != "" {
		b, err := os.ReadFile(f.passwordFile)
		if err != nil {
			return api.Secret{}, fmt.Errorf("--password-file: %w", err)
		}
		// One line: line ends after it (an editor's, or `echo >>`'s) are dropped;
		// anything after a line end but more line ends would be sent as part of the
		// password. The error never shows the content.
		p := strings.TrimRight(string(b), "\r\n")
		if p == "" {
			return api.Secret{}, fmt.Errorf("--password-file %s is empty", f.passwordFile)
		}
		if strings.ContainsAny(p, "\r\n") {
			return api.Secret{}, fmt.Errorf("--password-file %s has more than one line: it must hold the password alone, on one line", f.passwordFile)
		}
		return api.NewSecret(p), nil
	}
	return api.NewSecret(a.getenv("CUSTIMPORT_PASSWORD")), nil
}

// openState opens the state database the flags name, or none. A dry run opens it
// read-only and only if it exists.
func (a *app) openState(f *runFlags, readOnly bool) (*state.Store, error) {
	path, err := a.statePath(f, readOnly)
	if path == "" || err != nil {
		return nil, err
	}
	return state.Open(path, state.Options{ReadOnly: readOnly})
}

// statePath is the state database the flags name for a dry run (readOnly) or a real
// run; "" when the run keeps none.
func (a *app) statePath(f *runFlags, readOnly bool) (string, error) {
	if f.noState {
		return "", nil
	}
	if f.state != "" {
		return f.state, nil
	}
	// Without --state, --sandbox keeps no state: rehearsals must not mark real rows as sent.
	if !readOnly && f.sandbox {
		return "", nil
	}
	if f.accountID == "" {
		if readOnly {
			return "", nil
		}
		return "", errors.New("--account-id is needed to find the state database (or give --state FILE or --no-state)")
	}
	return state.DefaultPath(f.accountID, a.getenv)
}

// startSandbox serves an in-process sandbox on a loopback port, accepting cfg's
// credentials (demo/demo/demo where none are given) and the mapping's custom fields.
func startSandbox(ctx context.Context, m *mapping.Mapping, cfg *api.Config, log *zap.Logger) (string, func(), error) {
	if cfg.UserID == "" {
		cfg.UserID = "demo"
	}
	if cfg.AccountID == "" {
		cfg.AccountID = "demo"
	}
	if cfg.Password.IsZero() {
		cfg.Password = api.NewSecret("demo")
	}
	custom := map[int]sandbox.CustomField{}
	for _, fm := range m.Fields {
		if n := mapping.CustomFieldNumber(fm.Name); n > 1 {
			custom[n] = sandbox.CustomField{Type: fm.Type.String(), Choices: fm.Choices}
		}
	}
	sb, err := sandbox.New(sandbox.Config{
		UserID: cfg.UserID, AccountID: cfg.AccountID, Password: cfg.Password.Reveal(),
		APIKey: cfg.APIKey.Reveal(), CustomFields: custom, Logger: log.Named("sandbox"),
	})
	if err != nil {
		return "", nil, err
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("sandbox: %w", err)
	}
	srv := &http.Server{Handler: sb, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(ln)
	}()
	url := "http://" + ln.Addr().String() + "/api.php"
	log.Info("sandbox serving", zap.String("url", url))
	stop := func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		<-served
		st := sb.Stats()
		log.Info("sandbox stopped", zap.Int64("requests", st.Requests), zap.Int64("created", st.Created),
			zap.Int64("updated", st.Updated), zap.Int64("errors", st.Errors))
		_ = sb.Close()
	}
	return url, stop, nil
}

func userAgent() string {
	v, _, _ := buildVersion()
	return "custimport/" + v
}
