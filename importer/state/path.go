package state

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"unicode"
)

// ErrAccountID marks an account id that cannot name a state file.
var ErrAccountID = errors.New("account id cannot name a state file")

// DefaultPath returns the state file of an account: $XDG_STATE_HOME/custimport/<account_id>.db,
// or $HOME/.local/state/custimport/<account_id>.db when XDG_STATE_HOME is unset or not an
// absolute path (as the XDG base directory specification asks). getenv reads the
// environment (os.Getenv in the program).
//
// The account id must be usable as a file name as it is: an empty id, one holding a path
// separator, "..", a control character, or longer than 200 bytes is refused with an error
// wrapping ErrAccountID.
func DefaultPath(accountID string, getenv func(string) string) (string, error) {
	if err := checkAccountID(accountID); err != nil {
		return "", err
	}
	dir := getenv("XDG_STATE_HOME")
	if !filepath.IsAbs(dir) {
		home := getenv("HOME")
		if !filepath.IsAbs(home) {
			return "", errors.New("no state directory: neither XDG_STATE_HOME nor HOME is an absolute path; give --state FILE")
		}
		dir = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(dir, "custimport", accountID+".db"), nil
}

func checkAccountID(id string) error {
	switch {
	case id == "":
		return fmt.Errorf("%w: it is empty", ErrAccountID)
	case len(id) > 200:
		return fmt.Errorf("%w: longer than 200 bytes", ErrAccountID)
	case strings.ContainsAny(id, `/\`):
		return fmt.Errorf("%w: %q holds a path separator", ErrAccountID, id)
	case strings.Contains(id, ".."), id == ".":
		return fmt.Errorf("%w: %q holds a relative path element", ErrAccountID, id)
	case strings.ContainsFunc(id, unicode.IsControl):
		return fmt.Errorf("%w: %q holds a control character", ErrAccountID, id)
	}
	return nil
}
