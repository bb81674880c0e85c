package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Exit codes of the contract.
const (
	exitOK      = 0 // every row succeeded
	exitPartial = 1 // the run finished; some rows did not succeed
	exitUsage   = 2 // nothing was attempted
	exitStopped = 3 // the run stopped early
)

// exitError carries an exit code up to execute.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// withCode marks err with the exit code the program ends with.
func withCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: code, err: err}
}

// app holds what every command shares: the standard streams and the environment.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	// code is the exit code a command asks for when it returns no error
	// (for example 1 when some rows failed).
	code int
	// fromEnv names the flags that took their value from the environment.
	fromEnv map[string]bool
}

func newApp(stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) *app {
	return &app{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
}

const exitCodesHelp = `Exit codes:
  0  every row ended new, update or unchanged (dry run: valid)
  1  the run finished, and some rows ended invalid, error, unknown or skipped
  2  nothing was attempted: bad flags, mapping, missing credentials, unreadable input
  3  the run stopped early: --max-errors reached, credentials refused, the endpoint
     refused requests or could not be reached, or a signal`

func (a *app) root() *cobra.Command {
	root := &cobra.Command{
		Use:   "custimport",
		Short: "Load a customer list (CSV or XLSX) into the loyalty platform's customer API",
		Long: `custimport reads a CSV or XLSX customer list as a stream, maps its columns to the
API's fields through a YAML mapping, validates every row, sends one record_customer/edit
call per valid row through a rate-limited worker pool, and writes a results file with
every row's customer code and status.

Every flag may also be set as an environment variable CUSTIMPORT_<FLAG>
(upper case, - becomes _): --user-id and CUSTIMPORT_USER_ID. Flags win.

` + exitCodesHelp,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.AddCommand(a.versionCmd())
	for _, c := range a.commands() {
		root.AddCommand(c)
	}
	return root
}

// execute runs the command line and turns its result into an exit code.
func (a *app) execute(ctx context.Context, args []string) int {
	root := a.root()
	root.SetArgs(args)
	// The environment fills every flag the command line left unset.
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		return a.applyEnv(cmd)
	}
	err := root.ExecuteContext(ctx)
	if err == nil {
		return a.code
	}
	fmt.Fprintf(a.stderr, "custimport: %v\n", err)
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	// Errors that cobra itself raises are about the command line.
	return exitUsage
}

// envName is the environment variable that backs a flag.
func envName(flag string) string {
	return "CUSTIMPORT_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// applyEnv sets each flag that was not given on the command line from its environment
// variable, when that is set.
func (a *app) applyEnv(cmd *cobra.Command) error {
	var errs []error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if f.Changed || f.Name == "help" {
			return
		}
		v := a.getenv(envName(f.Name))
		if v == "" {
			return
		}
		if f.Value.Type() == "bool" {
			// The true-ish words of the mapping's flags, not only strconv's.
			switch strings.ToLower(strings.TrimSpace(v)) {
			case "yes", "y", "on", "x":
				v = "true"
			case "no", "n", "off":
				v = "false"
			}
		}
		if err := cmd.Flags().Set(f.Name, v); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %w", envName(f.Name), v, err))
			return
		}
		if a.fromEnv == nil {
			a.fromEnv = map[string]bool{}
		}
		a.fromEnv[f.Name] = true
	})
	return withCode(exitUsage, errors.Join(errs...))
}
