package main

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version is set at link time (-ldflags "-X main.version=v1.2.3"); otherwise the module's
// version from the build info is used.
var version = ""

// buildVersion returns the version, the VCS commit and the Go version of this binary.
func buildVersion() (ver, commit, goVersion string) {
	ver, commit = version, "unknown"
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return orDevel(ver), commit, "unknown"
	}
	if ver == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
		ver = info.Main.Version
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			commit = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				commit += "-dirty"
			}
		}
	}
	return orDevel(ver), commit, info.GoVersion
}

func orDevel(v string) string {
	if v == "" {
		return "devel"
	}
	return v
}

func (a *app) versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit and Go version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v, c, g := buildVersion()
			_, err := fmt.Fprintf(a.stdout, "custimport %s\ncommit %s\n%s\n", v, c, g)
			return err
		},
	}
}
