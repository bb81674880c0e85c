package sandbox

import (
	"fmt"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// TestSecretsNeverLogged logs every call at debug level and looks for the secrets sent.
func TestSecretsNeverLogged(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	e := newEnv(t, func(c *Config) { c.Logger = zap.New(core) })
	secrets := []string{"pw-ilovecheese", "pin-98765", "wrong-pw-314159", "key-271828"}
	e.call(t, "xml", params("first_name", "Ann", "customer_password", secrets[0], "customer_PIN", secrets[1]))
	e.call(t, "json", params("code", "1", "customer_password", secrets[0], "custom_field_9", "x"))
	p := edit(params("first_name", "Bo"))
	p.Set("user_password", secrets[2])
	e.raw(t, "xml", p)
	p = edit(params("first_name", "Cy"))
	p.Del("user_password")
	p.Set("user_api_key", secrets[3])
	e.raw(t, "xml", p)
	if logs.Len() < 4 {
		t.Fatalf("%d log entries, want one per call", logs.Len())
	}
	for _, entry := range logs.All() {
		text := entry.Message + fmt.Sprint(entry.ContextMap())
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("log entry shows a secret: %s", text)
			}
		}
	}
}
