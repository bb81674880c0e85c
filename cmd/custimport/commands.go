package main

import "github.com/spf13/cobra"

// commands lists the commands beside version, in the order help shows them.
func (a *app) commands() []*cobra.Command {
	return []*cobra.Command{
		a.runCmd(),
		a.validateCmd(),
		a.initCmd(),
		a.sandboxCmd(),
		a.stateCmd(),
	}
}
