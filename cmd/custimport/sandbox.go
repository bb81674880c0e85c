package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/custimport/custimport/importer/sandbox"
)

// sandboxFlags are the flags of custimport sandbox.
type sandboxFlags struct {
	addr         string
	allowRemote  bool
	data         string
	userID       string
	accountID    string
	customFields []string
	seed         int64
	failRate     float64
	failMode     string
	throttleRate float64
	retryAfter   time.Duration
	dropRate     float64
	latency      string
	logFormat    string
	logLevel     string
}

func (a *app) sandboxCmd() *cobra.Command {
	f := &sandboxFlags{}
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Serve a local simulation of the customer API",
		Long: `sandbox serves the customer API's record_customer/edit call as the vendor documents it
(every numbered rule; XML, JSON, JSONP and condensed answers) at / and /api.php, in memory,
so that an import can be rehearsed before it touches a live account.

It accepts the credentials given by --user-id, --account-id and the CUSTIMPORT_PASSWORD
environment variable (default demo/demo/demo), and the API key in CUSTIMPORT_API_KEY when
set. With --data FILE the customers are loaded at start and saved when the sandbox
stops cleanly; the file's directory must exist and be writable, checked at start.
Nothing is saved while it serves: a kill -9 or a crash loses every change since start.

GET /_sandbox/stats answers the counts (requests, created, updated, errors, faults) and
GET /_sandbox/customers the customers (secrets shown as [redacted]).

Faults for rehearsals: --fail-rate (HTTP 500, before or after applying the call as
--fail-mode says), --throttle-rate (429 with Retry-After), --drop-rate (apply the call,
then close the connection without an answer), --latency (50ms, or a range 20ms-200ms).

The listening URL is printed on stdout ("listening on http://..."); --addr 127.0.0.1:0
picks a free port. Stop with Ctrl-C (SIGINT) or SIGTERM: --data is saved.`,
		Example: `  custimport sandbox
  CUSTIMPORT_PASSWORD=s3cret custimport sandbox --user-id me --account-id shop --data sandbox.json
  custimport sandbox --addr 127.0.0.1:0 --custom-field 2:date --custom-field 3:list:Gouda,Emental,Swiss
  custimport sandbox --throttle-rate 0.1 --fail-rate 0.05 --fail-mode after --latency 20ms-200ms`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runSandbox(cmd.Context(), f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.addr, "addr", "127.0.0.1:8080", "`host:port` to listen on (loopback unless --allow-remote; port 0 picks a free one)")
	fl.BoolVar(&f.allowRemote, "allow-remote", false, "allow --addr to be a non-loopback address (anyone who reaches it can call the sandbox)")
	fl.StringVar(&f.data, "data", "", "keep customers in `FILE` across restarts (loaded at start, saved on a clean stop only: kill -9 loses the changes)")
	fl.StringVar(&f.userID, "user-id", "demo", "the user_id the sandbox accepts")
	fl.StringVar(&f.accountID, "account-id", "demo", "the account_id the sandbox accepts")
	fl.StringArrayVar(&f.customFields, "custom-field", nil, "declare a custom field `N:TYPE[:choice,choice]` (TYPE text, date, datetime, pick or list); repeatable")
	fl.Int64Var(&f.seed, "seed", 0, "seed for generated codes, card numbers and faults (0: random)")
	fl.Float64Var(&f.failRate, "fail-rate", 0, "share of calls (0-1) answered with HTTP 500")
	fl.StringVar(&f.failMode, "fail-mode", sandbox.FailBefore, "when a failing call is answered: before or after applying it")
	fl.Float64Var(&f.throttleRate, "throttle-rate", 0, "share of calls (0-1) answered with HTTP 429 and Retry-After, not applied")
	fl.DurationVar(&f.retryAfter, "retry-after", time.Second, "the Retry-After of throttled calls")
	fl.Float64Var(&f.dropRate, "drop-rate", 0, "share of calls (0-1) applied and then left without an answer (connection closed)")
	fl.StringVar(&f.latency, "latency", "", "delay every call: a duration (50ms) or a range (20ms-200ms)")
	fl.StringVar(&f.logFormat, "log-format", "", "console or json (default: console on a terminal, json otherwise)")
	fl.StringVar(&f.logLevel, "log-level", "info", "debug logs every call (never a secret); info, warn, error")
	return cmd
}

// runSandbox serves the sandbox until ctx ends (a signal), then saves --data.
func (a *app) runSandbox(ctx context.Context, f *sandboxFlags) error {
	cfg, err := a.sandboxConfig(f)
	if err != nil {
		return withCode(exitUsage, err)
	}
	if err := checkListenAddr(f.addr, f.allowRemote); err != nil {
		return withCode(exitUsage, err)
	}
	log, err := newLogger(a.stderr, f.logFormat, f.logLevel)
	if err != nil {
		return withCode(exitUsage, err)
	}
	defer func() { _ = log.Sync() }()
	cfg.Logger = log.Named("sandbox")
	sb, err := sandbox.New(cfg)
	if err != nil {
		if errors.Is(err, sandbox.ErrDataFile) {
			err = fmt.Errorf("--data: %w", err)
		}
		return withCode(exitUsage, err)
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", f.addr)
	if err != nil {
		return withCode(exitUsage, fmt.Errorf("listen: %w", err))
	}
	url := "http://" + ln.Addr().String()
	srv := &http.Server{
		Handler:           sb,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          zap.NewStdLog(log.Named("http")),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	if _, err := fmt.Fprintf(a.stdout, "listening on %s\n", url); err != nil {
		log.Warn("cannot print the URL", zap.Error(err))
	}
	fields := []zap.Field{
		zap.String("url", url+"/api.php"),
		zap.String("user_id", cfg.UserID),
		zap.String("account_id", cfg.AccountID),
		zap.String("password", "from CUSTIMPORT_PASSWORD, default demo"),
	}
	if cfg.APIKey != "" {
		fields = append(fields, zap.String("api_key", "from CUSTIMPORT_API_KEY"))
	}
	if f.data != "" {
		fields = append(fields, zap.String("data", f.data), zap.Int("customers", len(sb.Customers())))
	}
	log.Info("sandbox serving the customer API", fields...)

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-served:
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	shutErr := srv.Shutdown(sctx)
	if serveErr == nil {
		serveErr = <-served
	}
	if errors.Is(serveErr, http.ErrServerClosed) {
		serveErr = nil
	}
	saveErr := sb.Close()
	st := sb.Stats()
	log.Info("sandbox stopped", zap.Int64("requests", st.Requests), zap.Int64("created", st.Created),
		zap.Int64("updated", st.Updated), zap.Int64("errors", st.Errors), zap.Int("customers", len(sb.Customers())))
	if err := errors.Join(serveErr, shutErr, saveErr); err != nil {
		return withCode(exitStopped, fmt.Errorf("sandbox: %w", err))
	}
	return nil
}

// sandboxConfig turns the flags and the environment into the sandbox's configuration.
func (a *app) sandboxConfig(f *sandboxFlags) (sandbox.Config, error) {
	cfg := sandbox.Config{
		UserID:       f.userID,
		AccountID:    f.accountID,
		Password:     a.getenv("CUSTIMPORT_PASSWORD"),
		APIKey:       a.getenv("CUSTIMPORT_API_KEY"),
		Seed:         f.seed,
		FailRate:     f.failRate,
		FailMode:     strings.ToLower(f.failMode),
		ThrottleRate: f.throttleRate,
		RetryAfter:   f.retryAfter,
		DropRate:     f.dropRate,
		DataFile:     f.data,
	}
	if cfg.Password == "" {
		cfg.Password = "demo"
	}
	var errs []error
	if len(f.customFields) > 0 {
		cfg.CustomFields = map[int]sandbox.CustomField{}
	}
	for _, spec := range f.customFields {
		n, cf, err := sandbox.ParseCustomField(spec)
		if err != nil {
			errs = append(errs, fmt.Errorf("--custom-field: %w", err))
			continue
		}
		if _, dup := cfg.CustomFields[n]; dup {
			errs = append(errs, fmt.Errorf("--custom-field: field %d declared twice", n))
		}
		cfg.CustomFields[n] = cf
	}
	if f.latency != "" {
		lo, hi, err := parseLatency(f.latency)
		if err != nil {
			errs = append(errs, err)
		}
		cfg.Latency, cfg.LatencyMax = lo, hi
	}
	if f.retryAfter <= 0 {
		errs = append(errs, fmt.Errorf("--retry-after %v: must be positive", f.retryAfter))
	}
	return cfg, errors.Join(errs...)
}

// parseLatency reads --latency: one duration, or a range LOW-HIGH.
func parseLatency(s string) (lo, hi time.Duration, err error) {
	loS, hiS, isRange := strings.Cut(s, "-")
	if lo, err = time.ParseDuration(strings.TrimSpace(loS)); err != nil {
		return 0, 0, fmt.Errorf("--latency %q: %w", s, err)
	}
	if isRange {
		if hi, err = time.ParseDuration(strings.TrimSpace(hiS)); err != nil {
			return 0, 0, fmt.Errorf("--latency %q: %w", s, err)
		}
		if hi < lo {
			return 0, 0, fmt.Errorf("--latency %q: the range ends before it starts", s)
		}
	}
	if lo < 0 {
		return 0, 0, fmt.Errorf("--latency %q: must not be negative", s)
	}
	return lo, hi, nil
}

// checkListenAddr refuses an address that is not loopback unless allowed: the sandbox
// accepts demo credentials and shows its customers to anyone who can reach it.
func checkListenAddr(addr string, allowRemote bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--addr %q: %w", addr, err)
	}
	if allowRemote || host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("--addr %q is not a loopback address: use 127.0.0.1 (or --allow-remote to serve other machines)", addr)
}
