package sandbox

import (
	"net/http"
	"testing"
)

// TestStatsCountRefusedMethods: a call with a method the API does not serve (HEAD, PUT,
// ...) is answered 405 and counted both as a request and as an error, so that errors,
// created and updated never add up to more than requests.
func TestStatsCountRefusedMethods(t *testing.T) {
	for _, method := range []string{http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodOptions} {
		t.Run(method, func(t *testing.T) {
			e := newEnv(t, nil)
			if a := e.call(t, "xml", params("first_name", "Ann")); a.CustStatus != "new" {
				t.Fatalf("create: %+v", a)
			}
			for _, path := range []string{"/api.php", "/"} {
				req, err := http.NewRequest(method, e.ts.URL+path, nil)
				if err != nil {
					t.Fatal(err)
				}
				resp, err := e.client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				_ = resp.Body.Close()
				if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, POST" {
					t.Errorf("%s %s: %d, Allow %q; want 405, Allow GET, POST", method, path, resp.StatusCode, resp.Header.Get("Allow"))
				}
			}
			// The operations endpoints are not API calls: they count nothing.
			resp, err := e.client.Head(e.ts.URL + "/_sandbox/stats")
			if err != nil {
				t.Fatal(err)
			}
			_ = resp.Body.Close()

			st := e.srv.Stats()
			want := Stats{Requests: 3, Created: 1, Errors: 2, WelcomeEmails: 1}
			if st != want {
				t.Errorf("stats %+v, want %+v", st, want)
			}
			if st.Errors+st.Created+st.Updated > st.Requests {
				t.Errorf("errors %d + created %d + updated %d > requests %d", st.Errors, st.Created, st.Updated, st.Requests)
			}
		})
	}
}
