package main

import (
	"bytes"
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/custimport/custimport/importer/state"
)

func TestStateExport(t *testing.T) {
	dir := t.TempDir()
	xdg := filepath.Join(dir, "xdg")
	defPath := filepath.Join(xdg, "custimport", "acc1.db")
	s, err := state.Open(defPath, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	when := time.Date(2026, 11, 27, 2, 30, 0, 0, time.UTC)
	for id, e := range map[string]state.Entry{
		"key:C-1": {Code: "1001", Status: "new", Time: when},
		"code:7":  {Code: "7", CardNumber: "5555", Status: "update", Time: when},
	} {
		if err := s.Finish(id, e); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	want := "identity_kind,identity,code,card_number,last_status,last_sent\n" +
		"code,7,7,5555,update,2026-11-27T02:30:00Z\n" +
		"key,C-1,1001,,new,2026-11-27T02:30:00Z\n"
	sum := func() [32]byte {
		b, err := os.ReadFile(defPath)
		if err != nil {
			t.Fatal(err)
		}
		return sha256.Sum256(b)
	}
	before := sum()
	corrupt := filepath.Join(dir, "corrupt.db")
	if err := os.WriteFile(corrupt, bytes.Repeat([]byte("x"), 8192), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "nope.db")

	tests := []struct {
		name     string
		env      map[string]string
		args     []string
		code     int
		stdout   string
		inStderr string
	}{
		{"--state", nil, []string{"--state", defPath}, 0, want, ""},
		{"--account-id and XDG_STATE_HOME", map[string]string{"XDG_STATE_HOME": xdg}, []string{"--account-id", "acc1"}, 0, want, ""},
		{"account id from the environment", map[string]string{"XDG_STATE_HOME": xdg, "CUSTIMPORT_ACCOUNT_ID": "acc1"}, nil, 0, want, ""},
		{"state from the environment", map[string]string{"CUSTIMPORT_STATE": defPath}, nil, 0, want, ""},
		{"neither", map[string]string{"HOME": dir}, nil, 2, "", "--state"},
		{"missing file", nil, []string{"--state", missing}, 2, "", "no state at " + missing},
		{"missing default", map[string]string{"XDG_STATE_HOME": xdg}, []string{"--account-id", "other"}, 2, "", "no state at " + filepath.Join(xdg, "custimport", "other.db")},
		{"bad account id", map[string]string{"XDG_STATE_HOME": xdg}, []string{"--account-id", "../x"}, 2, "", "account id"},
		{"corrupt", nil, []string{"--state", corrupt}, 2, "", corrupt},
		{"arguments", nil, []string{"--state", defPath, "extra"}, 2, "", "unknown command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := runCLI(t, tt.env, append([]string{"state", "export"}, tt.args...)...)
			if code != tt.code || out != tt.stdout || !strings.Contains(errs, tt.inStderr) {
				t.Errorf("exit %d, stdout %q, stderr %q\nwant exit %d, stdout %q, stderr with %q", code, out, errs, tt.code, tt.stdout, tt.inStderr)
			}
		})
	}
	if sum() != before {
		t.Error("state export changed the state file")
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Error("state export created a missing state file")
	}

	t.Run("unknown subcommand", func(t *testing.T) {
		code, _, errs := runCLI(t, nil, "state", "bogus")
		if code != 2 || !strings.Contains(errs, "unknown command") {
			t.Errorf("exit %d, stderr %q", code, errs)
		}
	})

	t.Run("locked by a run", func(t *testing.T) {
		s, err := state.Open(defPath, state.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		code, _, errs := runCLI(t, nil, "state", "export", "--state", defPath)
		if code != 2 || !strings.Contains(errs, "in use") || !strings.Contains(errs, "pid") {
			t.Errorf("exit %d, stderr %q", code, errs)
		}
	})
}
