package state

import (
	"errors"
	"testing"
)

func TestDefaultPath(t *testing.T) {
	tests := []struct {
		name    string
		account string
		env     map[string]string
		want    string
		wantErr error
	}{
		{"xdg set", "12345", map[string]string{"XDG_STATE_HOME": "/x/state", "HOME": "/home/m"}, "/x/state/custimport/12345.db", nil},
		{"xdg unset", "12345", map[string]string{"HOME": "/home/m"}, "/home/m/.local/state/custimport/12345.db", nil},
		{"xdg relative is ignored", "12345", map[string]string{"XDG_STATE_HOME": "state", "HOME": "/home/m"}, "/home/m/.local/state/custimport/12345.db", nil},
		{"letters and dashes", "shop-7_a.b", map[string]string{"HOME": "/h"}, "/h/.local/state/custimport/shop-7_a.b.db", nil},
		{"no home", "1", map[string]string{}, "", nil},
		{"empty account", "", map[string]string{"HOME": "/h"}, "", ErrAccountID},
		{"slash", "a/b", map[string]string{"HOME": "/h"}, "", ErrAccountID},
		{"backslash", `a\b`, map[string]string{"HOME": "/h"}, "", ErrAccountID},
		{"dot dot", "..", map[string]string{"HOME": "/h"}, "", ErrAccountID},
		{"dot dot inside", "a..b", map[string]string{"HOME": "/h"}, "", ErrAccountID},
		{"dot", ".", map[string]string{"HOME": "/h"}, "", ErrAccountID},
		{"newline", "a\nb", map[string]string{"HOME": "/h"}, "", ErrAccountID},
		{"nul", "a\x00b", map[string]string{"HOME": "/h"}, "", ErrAccountID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DefaultPath(tt.account, func(k string) string { return tt.env[k] })
			switch {
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
			case tt.want == "":
				if err == nil {
					t.Fatalf("got %q, want an error", got)
				}
			case err != nil:
				t.Fatal(err)
			case got != tt.want:
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
