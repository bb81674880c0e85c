// Package sandbox simulates the customer API's record_customer/edit call behind an
// http.Handler, in memory, following every numbered rule of the vendor's document
// (shared/api/update-customer.md): credentials, matching by code and by card number,
// generated codes and card numbers, typed custom fields, XML, JSON, JSONP and condensed
// answers. For tests and rehearsals it also injects faults (HTTP 500 before or after
// applying a call, 429 with Retry-After, dropped connections, latency), counts what it
// did (GET /_sandbox/stats), shows its customers (GET /_sandbox/customers) and keeps
// them in a data file across restarts.
package sandbox

import (
	"cmp"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/custimport/custimport/mapping"
)

// Fault modes of Config.FailMode.
const (
	FailBefore = "before" // answer 500 without applying the call
	FailAfter  = "after"  // apply the call, then answer 500
)

// MaxBody is the largest request body the sandbox reads; a larger one gets HTTP 413.
const MaxBody = 1 << 20

// ErrConfig is wrapped by every error New returns for a bad Config.
var ErrConfig = errors.New("bad sandbox configuration")

// ErrDataFile is wrapped by the error New returns when Config.DataFile could not be
// written by Save: its directory is missing or not writable, or it is a directory.
var ErrDataFile = errors.New("sandbox data file cannot be written")

// Config sets up a Server.
type Config struct {
	// UserID, AccountID and Password are the credentials the sandbox accepts.
	UserID, AccountID, Password string
	// APIKey, when set, is also accepted as user_api_key or in the api_access_key header.
	APIKey string
	// CustomFields are the account's custom fields by number; custom_field_1 always
	// exists as text.
	CustomFields map[int]CustomField
	// Seed makes generated codes, card numbers and fault rolls reproducible; 0 picks a
	// random seed.
	Seed int64
	// FailRate is the share of calls (0 to 1) answered with HTTP 500, FailMode saying
	// whether the call was applied first ("after") or not ("before", the default).
	FailRate float64
	FailMode string
	// ThrottleRate is the share of calls answered with HTTP 429 and a Retry-After
	// header of RetryAfter (default 1s, rounded up to whole seconds), without applying
	// them. Faults are drawn in the order throttle, fail, drop, and a call gets at most
	// one: FailRate and DropRate are shares of the calls not already faulted.
	ThrottleRate float64
	RetryAfter   time.Duration
	// DropRate is the share of calls applied and then left without an answer: the
	// connection is closed.
	DropRate float64
	// Latency delays every call; with LatencyMax above it, by a uniform random time
	// between the two.
	Latency, LatencyMax time.Duration
	// DataFile, when set, is loaded by New if it exists and written by Save and Close;
	// New refuses a file that Save could not write. Nothing is saved in between: a
	// process killed without Close loses every change since New.
	DataFile string
	// Logger logs every call at debug level, never with a secret; nil logs nothing.
	Logger *zap.Logger
}

// Stats counts what a Server did since it started.
type Stats struct {
	// Requests counts the API calls answered, whatever their method or outcome (not the
	// /_sandbox endpoints): Errors + Created + Updated never exceed it.
	Requests int64 `json:"requests"`
	Created  int64 `json:"created"` // customers created
	Updated  int64 `json:"updated"` // customers updated
	// Errors counts calls answered with status="error", and calls refused at the HTTP
	// level (405, 413).
	Errors int64 `json:"errors"`
	// WelcomeEmails counts the new-customer e-mails that would have been sent.
	WelcomeEmails int64  `json:"welcome_emails"`
	Faults        Faults `json:"faults"`
}

// Faults counts the faults a Server injected, by kind.
type Faults struct {
	FailBefore int64 `json:"fail_before"`
	FailAfter  int64 `json:"fail_after"`
	Throttle   int64 `json:"throttle"`
	Drop       int64 `json:"drop"`
}

// Server is the simulated API. It is an http.Handler, safe for concurrent use.
type Server struct {
	cfg    Config
	log    *zap.Logger
	fields map[int]CustomField // custom fields, types lower-cased
	names  []string            // the catalogue's plain (not custom_field_N) field names

	mu sync.Mutex // guards st

	st      *store
	faultMu sync.Mutex // guards fault
	fault   *rand.Rand

	saveMu sync.Mutex // one Save at a time
	closed atomic.Bool

	requests, created, updated, errs, welcome atomic.Int64
	failBefore, failAfter, throttled, dropped atomic.Int64
}

// New returns a Server for cfg, with the customers of cfg.DataFile when that file exists.
func New(cfg Config) (*Server, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if cfg.RetryAfter <= 0 {
		cfg.RetryAfter = time.Second
	}
	if cfg.FailMode == "" {
		cfg.FailMode = FailBefore
	}
	seed := uint64(cfg.Seed)
	if cfg.Seed == 0 {
		seed = rand.Uint64()
	}
	s := &Server{
		cfg:    cfg,
		log:    cfg.Logger,
		fields: map[int]CustomField{1: {Type: TypeText}},
		st:     newStore(rand.New(rand.NewPCG(seed, 0x5eed_c0de))),
		fault:  rand.New(rand.NewPCG(seed, 0xfa17_fa17)),
	}
	if s.log == nil {
		s.log = zap.NewNop()
	}
	for n, cf := range cfg.CustomFields {
		cf.Type = strings.ToLower(cf.Type)
		s.fields[n] = cf
	}
	for _, f := range mapping.Fields() {
		if f.Rule != mapping.RuleCustomField {
			s.names = append(s.names, f.Name)
		}
	}
	if cfg.DataFile != "" {
		if err := checkWritable(cfg.DataFile); err != nil {
			return nil, err
		}
		if err := s.load(cfg.DataFile); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// checkWritable makes sure that Save will be able to write path: it is not a directory,
// and a temporary file can be created beside it (Save writes one and renames it over
// path). Found at start rather than at shutdown, when every customer would be lost.
func checkWritable(path string) error {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("%w: %q is a directory", ErrDataFile, path)
	}
	dir := filepath.Dir(path)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return fmt.Errorf("%w: %q: no directory %q to write it in", ErrDataFile, path, dir)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		// The probe's random name says nothing to the user: keep the reason only.
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("%w: %q: directory %q: %w", ErrDataFile, path, dir, err)
	}
	name := f.Name()
	cerr := f.Close()
	if err := errors.Join(cerr, os.Remove(name)); err != nil {
		return fmt.Errorf("%w: %q: %w", ErrDataFile, path, err)
	}
	return nil
}

func (cfg Config) check() error {
	var errs []error
	if cfg.UserID == "" || cfg.AccountID == "" || cfg.Password == "" {
		errs = append(errs, errors.New("user id, account id and password are required"))
	}
	for _, r := range []struct {
		name string
		v    float64
	}{{"fail rate", cfg.FailRate}, {"throttle rate", cfg.ThrottleRate}, {"drop rate", cfg.DropRate}} {
		if !(r.v >= 0 && r.v <= 1) {
			errs = append(errs, fmt.Errorf("%s %v: must be from 0 to 1", r.name, r.v))
		}
	}
	if cfg.FailMode != "" && cfg.FailMode != FailBefore && cfg.FailMode != FailAfter {
		errs = append(errs, fmt.Errorf("fail mode %q: must be %q or %q", cfg.FailMode, FailBefore, FailAfter))
	}
	if cfg.Latency < 0 || cfg.LatencyMax < 0 || (cfg.LatencyMax > 0 && cfg.LatencyMax < cfg.Latency) {
		errs = append(errs, fmt.Errorf("latency %v-%v: must be a non-negative range", cfg.Latency, cfg.LatencyMax))
	}
	for n, cf := range cfg.CustomFields {
		if n < 1 || n > maxCustomField {
			errs = append(errs, fmt.Errorf("%w %d: field number must be from 1 to %d", ErrCustomFieldSpec, n, maxCustomField))
			continue
		}
		if err := cf.check(); err != nil {
			errs = append(errs, fmt.Errorf("%w %d: %v", ErrCustomFieldSpec, n, err))
			continue
		}
		if n == 1 && !strings.EqualFold(cf.Type, TypeText) {
			errs = append(errs, fmt.Errorf("%w 1: custom_field_1 always exists as text", ErrCustomFieldSpec))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return nil
}

// ServeHTTP answers the edit call at / and /api.php, and the operations endpoints
// GET /_sandbox/stats and GET /_sandbox/customers.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/", "/api.php":
		s.serveAPI(w, r)
	case "/_sandbox/stats":
		if !allowGet(w, r) {
			return
		}
		writeJSON(w, s.Stats())
	case "/_sandbox/customers":
		if !allowGet(w, r) {
			return
		}
		cs := s.Customers()
		for i := range cs {
			for k := range cs[i].Fields {
				if mapping.IsSecret(k) {
					cs[i].Fields[k] = "[redacted]"
				}
			}
		}
		writeJSON(w, cs)
	default:
		http.NotFound(w, r)
	}
}

func allowGet(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", "GET, HEAD")
	http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	return false
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(append(b, '\n'))
}

// fault kinds a call can draw.
type faultKind uint8

const (
	noFault faultKind = iota
	faultThrottle
	faultFailBefore
	faultFailAfter
	faultDrop
)

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	// Every call answered here is a request, refused ones included, so that errors,
	// created and updated never add up to more than requests.
	s.requests.Add(1)
	// HEAD is refused like any other method: a GET call is applied, and a HEAD that
	// applied it would change customers without showing the answer.
	if r.Method != http.MethodPost && r.Method != http.MethodGet {
		s.errs.Add(1)
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed: send the call as a form POST", http.StatusMethodNotAllowed)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
	parseErr := parseForm(r)
	var tooBig *http.MaxBytesError
	if errors.As(parseErr, &tooBig) {
		s.errs.Add(1)
		http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
		return
	}
	if r.MultipartForm != nil {
		defer func() { _ = r.MultipartForm.RemoveAll() }()
	}

	if !s.delay(r.Context()) {
		return // the client went away
	}
	fault, afterFault := s.rollFault()
	switch fault {
	case faultThrottle:
		s.throttled.Add(1)
		w.Header().Set("Retry-After", strconv.Itoa(int((s.cfg.RetryAfter+time.Second-1)/time.Second)))
		http.Error(w, "too many requests", http.StatusTooManyRequests)
		s.log.Debug("sandbox fault", zap.String("fault", "throttle"))
		return
	case faultFailBefore:
		s.failBefore.Add(1)
		http.Error(w, "internal server error (sandbox fault: nothing applied)", http.StatusInternalServerError)
		s.log.Debug("sandbox fault", zap.String("fault", "fail before"))
		return
	}

	get := func(k string) string {
		if v := r.Form[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	f, errMsg := readFormat(get)
	var res result
	switch {
	case errMsg != "":
	case parseErr != nil:
		errMsg = "malformed request: " + parseErr.Error()
	default:
		res, errMsg = s.call(r, get)
	}
	if errMsg != "" {
		s.errs.Add(1)
		s.log.Debug("sandbox call refused", zap.String("error", errMsg))
	} else {
		s.log.Debug("sandbox call", zap.String("status", res.status), zap.String("code", res.code))
	}

	switch afterFault {
	case faultFailAfter:
		s.failAfter.Add(1)
		http.Error(w, "internal server error (sandbox fault: call applied)", http.StatusInternalServerError)
		s.log.Debug("sandbox fault", zap.String("fault", "fail after"))
		return
	case faultDrop:
		s.dropped.Add(1)
		s.log.Debug("sandbox fault", zap.String("fault", "drop"))
		drop(w)
		return
	}
	writeAnswer(w, f, res, errMsg)
}

// parseForm reads the call's parameters from the query and a form body, url-encoded or
// multipart.
func parseForm(r *http.Request) error {
	if r.Method == http.MethodPost {
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
			err := r.ParseMultipartForm(MaxBody)
			if errors.Is(err, http.ErrNotMultipart) {
				return r.ParseForm()
			}
			return err
		}
	}
	return r.ParseForm()
}

// drop closes the connection without an answer.
func drop(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// Not hijackable (HTTP/2): abort the handler, which resets the stream.
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

// delay sleeps for the configured latency; false when ctx ended first.
func (s *Server) delay(ctx context.Context) bool {
	d := s.cfg.Latency
	if s.cfg.LatencyMax > d {
		s.faultMu.Lock()
		d += time.Duration(s.fault.Int64N(int64(s.cfg.LatencyMax-d) + 1))
		s.faultMu.Unlock()
	}
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// rollFault draws the faults of one call: one that stops it before it is applied, and
// one that hits it after.
func (s *Server) rollFault() (before, after faultKind) {
	c := s.cfg
	if c.ThrottleRate == 0 && c.FailRate == 0 && c.DropRate == 0 {
		return noFault, noFault
	}
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	if c.ThrottleRate > 0 && s.fault.Float64() < c.ThrottleRate {
		return faultThrottle, noFault
	}
	if c.FailRate > 0 && s.fault.Float64() < c.FailRate {
		if c.FailMode == FailAfter {
			return noFault, faultFailAfter
		}
		return faultFailBefore, noFault
	}
	if c.DropRate > 0 && s.fault.Float64() < c.DropRate {
		return noFault, faultDrop
	}
	return noFault, noFault
}

// The answer to any call whose credentials are wrong.
const authFailed = "Authentication failed: invalid user_id, user_password or account_id"

// call checks and applies one edit call, returning its result or the API's error message.
func (s *Server) call(r *http.Request, get func(string) string) (result, string) {
	if !s.authorized(r, get) {
		return result{}, authFailed
	}
	switch t := get("type"); t {
	case "record_customer":
	case "":
		return result{}, "missing type: this call is type=record_customer"
	default:
		return result{}, "unsupported type " + quote(t) + ": the sandbox serves type=record_customer"
	}
	switch a := get("customer_action"); a {
	case "edit":
	case "":
		return result{}, "missing customer_action: this call is customer_action=edit"
	default:
		return result{}, "unsupported customer_action " + quote(a) + ": the sandbox serves customer_action=edit"
	}
	req, err := s.readRequest(r.Form)
	if err != "" {
		return result{}, err
	}
	now := time.Now().UTC().Round(0)
	s.mu.Lock()
	res, aerr := s.st.apply(&req, now)
	s.mu.Unlock()
	if aerr != nil {
		return result{}, aerr.Error()
	}
	if res.status == "new" {
		s.created.Add(1)
		if !req.sendNoEmail {
			s.welcome.Add(1)
		}
	} else {
		s.updated.Add(1)
	}
	return res, ""
}

// authorized checks the credentials: user_id and account_id, and the api_access_key
// header when present (it wins), else user_api_key when sent, else user_password.
func (s *Server) authorized(r *http.Request, get func(string) string) bool {
	ok := equal(get("user_id"), s.cfg.UserID) && equal(get("account_id"), s.cfg.AccountID)
	key := r.Header.Get("api_access_key")
	if key == "" {
		key = r.Header.Get("Api-Access-Key")
	}
	switch {
	case key != "":
		ok = ok && s.cfg.APIKey != "" && equal(key, s.cfg.APIKey)
	case len(r.Form["user_api_key"]) > 0:
		ok = ok && s.cfg.APIKey != "" && equal(get("user_api_key"), s.cfg.APIKey)
	default:
		ok = ok && equal(get("user_password"), s.cfg.Password)
	}
	return ok
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// Fields that steer the call rather than being stored on the customer.
var controlFields = map[string]bool{
	"code": true, "new_code": true, "card_number": true, "card_number_generate": true,
	"send_no_email": true, "auto_add": true,
}

// readRequest checks the call's customer fields (rules 6, 7, 9, 15) and gathers them.
// Unknown parameters are ignored, as the API does.
func (s *Server) readRequest(form map[string][]string) (request, string) {
	get := func(k string) (string, bool) {
		v, ok := form[k]
		if !ok || len(v) == 0 {
			return "", ok
		}
		return v[0], true
	}
	var (
		req   request
		probs []string
		given int // rule 7: optional fields passed
	)
	for _, name := range s.names {
		v, ok := get(name)
		if !ok {
			continue
		}
		if v != "" || name == "send_no_email" || name == "new_code" {
			given++
		}
		switch name {
		case "code":
			req.code = v
		case "card_number":
			req.card = v
		case "card_number_generate":
			if v == "" {
				continue
			}
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 32 || v != strconv.Itoa(n) {
				probs = append(probs, "card_number_generate must be a number of digits from 1 to 32, got "+quote(v))
				continue
			}
			req.generate = n
		case "send_no_email":
			// Rule 14: its mere presence counts, whatever its value.
			req.sendNoEmail = true
		case "new_code":
		case "auto_add":
			req.autoAdd = strings.TrimSpace(v)
		case "custom_date":
			if v != "" && !validDate(v) {
				probs = append(probs, "custom_date must be a date as YYYY-MM-DD, got "+quote(v))
			}
		}
		if !controlFields[name] {
			req.fields = append(req.fields, fieldValue{name, v})
		}
	}
	if req.card != "" && req.generate > 0 {
		probs = append(probs, "send card_number or card_number_generate, not both")
	}

	custom := customFieldKeys(form)
	for _, k := range custom {
		v, _ := get(k.name)
		if v != "" {
			given++
		}
		cf, ok := s.fields[k.n]
		if !ok {
			probs = append(probs, fmt.Sprintf("custom field %s does not exist", k.num))
			continue
		}
		if err := cf.validate(k.n, v); err != nil {
			probs = append(probs, err.Error())
			continue
		}
		req.fields = append(req.fields, fieldValue{k.name, v})
	}
	if len(probs) > 0 {
		return request{}, strings.Join(probs, "; ")
	}
	if given == 0 {
		return request{}, "at least one customer field is required (code, card_number, first_name, email, ...)"
	}
	return req, ""
}

type customKey struct {
	name, num string
	n         int // 0 when num is not a field number as the account writes them
}

// customFieldKeys returns the parameters named custom_field_<digits>, in field order.
func customFieldKeys(form map[string][]string) []customKey {
	var out []customKey
	for k := range form {
		num, ok := strings.CutPrefix(k, "custom_field_")
		if !ok || num == "" || strings.Trim(num, "0123456789") != "" {
			continue
		}
		n, err := strconv.Atoi(num)
		if err != nil || strconv.Itoa(n) != num {
			n = 0
		}
		out = append(out, customKey{name: k, num: num, n: n})
	}
	slices.SortFunc(out, func(a, b customKey) int {
		if c := cmp.Compare(len(a.num), len(b.num)); c != 0 {
			return c
		}
		return strings.Compare(a.num, b.num)
	})
	return out
}

// Stats returns what the server counted so far.
func (s *Server) Stats() Stats {
	return Stats{
		Requests:      s.requests.Load(),
		Created:       s.created.Load(),
		Updated:       s.updated.Load(),
		Errors:        s.errs.Load(),
		WelcomeEmails: s.welcome.Load(),
		Faults: Faults{
			FailBefore: s.failBefore.Load(),
			FailAfter:  s.failAfter.Load(),
			Throttle:   s.throttled.Load(),
			Drop:       s.dropped.Load(),
		},
	}
}

// Customers returns a copy of every customer, in creation order, secrets included.
func (s *Server) Customers() []Customer {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Customer, len(s.st.order))
	for i, c := range s.st.order {
		out[i] = c.clone()
	}
	return out
}

// dataFile is the layout of Config.DataFile.
type dataFile struct {
	Version   int        `json:"version"`
	Customers []Customer `json:"customers"`
}

const dataVersion = 1

// load reads the customers of path into the store; a missing file is an empty account.
func (s *Server) load(path string) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read sandbox data: %w", err)
	}
	var d dataFile
	if err := json.Unmarshal(b, &d); err != nil {
		return fmt.Errorf("read sandbox data %q: %w", path, err)
	}
	if d.Version != dataVersion {
		return fmt.Errorf("read sandbox data %q: version %d, want %d", path, d.Version, dataVersion)
	}
	for i := range d.Customers {
		if err := s.st.add(&d.Customers[i]); err != nil {
			return fmt.Errorf("read sandbox data %q: %w", path, err)
		}
	}
	return nil
}

// Save writes the customers to Config.DataFile atomically: a temporary file beside it,
// synced, then renamed over it. Without a DataFile it does nothing.
func (s *Server) Save() error {
	if s.cfg.DataFile == "" {
		return nil
	}
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	b, err := json.MarshalIndent(dataFile{Version: dataVersion, Customers: s.Customers()}, "", "  ")
	if err != nil {
		return fmt.Errorf("save sandbox data: %w", err)
	}
	return writeAtomic(s.cfg.DataFile, append(b, '\n'))
}

func writeAtomic(path string, b []byte) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("save sandbox data: %w", err)
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	// The file holds customers' passwords and PINs: owner only.
	if err = f.Chmod(0o600); err != nil {
		return fmt.Errorf("save sandbox data %q: %w", path, err)
	}
	if _, err = f.Write(b); err != nil {
		return fmt.Errorf("save sandbox data %q: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("save sandbox data %q: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("save sandbox data %q: %w", path, err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("save sandbox data %q: %w", path, err)
	}
	// Make the rename itself durable.
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

// Close saves the customers when there is a DataFile. Later calls do nothing.
func (s *Server) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return nil
	}
	return s.Save()
}
