package main

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/custimport/custimport/importer/state"
)

// stateCmd is "custimport state": the state database's subcommands.
func (a *app) stateCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "state",
		Short: "Inspect the state database that run keeps between runs",
		Long: `The state database remembers, per customer identity (the mapping's key column,
else the code, else the card number), the customer code the API returned, a fingerprint
of the fields last sent, the last status, and whether a request is in flight.`,
		Args: cobra.NoArgs,
		// Runnable, so that an unknown subcommand is an error rather than help.
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(a.stateExportCmd())
	return cmd
}

func (a *app) stateExportCmd() *cobra.Command {
	var path, accountID string
	cmd := &cobra.Command{
		Use:   "export [--state FILE | --account-id ID]",
		Short: "Write the identity to customer code table as CSV to stdout",
		Long: `export writes the state's identity to code table as CSV to stdout, so that the
codes can be stored in your own system. Columns:

  identity_kind  key, code or card: what named the customer
  identity       the key column's value, the code, or the card number
  code           the customer code the API returned
  card_number    the card number the API returned
  last_status    new, update, error, unknown ...; in_flight when a request's
                 answer was never recorded (the run was killed): its outcome is unknown
  last_sent      when the last status was recorded, RFC 3339, UTC

Values are written exactly as stored, for your own system to read: unlike the
results file, a value that starts with =, +, - or @ gets no escaping ' in front,
so open the file in a spreadsheet program only through its import dialog.

The state is opened read-only and never changed. Without --state, the file is
$XDG_STATE_HOME/custimport/<account id>.db (or ~/.local/state/custimport/...).

Exit codes: 0 written; 2 no state file, or it cannot be read, or a run holds it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if path == "" {
				if accountID == "" {
					return withCode(exitUsage, errors.New("give --state FILE or --account-id ID (or CUSTIMPORT_ACCOUNT_ID) to find the state"))
				}
				p, err := state.DefaultPath(accountID, a.getenv)
				if err != nil {
					return withCode(exitUsage, err)
				}
				path = p
			}
			if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
				return withCode(exitUsage, fmt.Errorf("no state at %s", path))
			}
			s, err := state.Open(path, state.Options{ReadOnly: true})
			if err != nil {
				return withCode(exitUsage, err)
			}
			w := bufio.NewWriter(a.stdout)
			err = s.Export(w)
			if err == nil {
				err = w.Flush()
			}
			return errors.Join(err, s.Close())
		},
	}
	cmd.Flags().StringVar(&path, "state", "", "the state database `FILE` (default: from --account-id)")
	cmd.Flags().StringVar(&accountID, "account-id", "", "the account `ID` whose default state file to read")
	return cmd
}
