//go:build !edgewamp_notls && !edgewamp_board

package device_test

import (
	"crypto/tls"
	"fmt"
	"testing"

	"github.com/edgewamp/edgewamp/device"
)

// TestTLSWithResumption checks that the cache is added to a copy, and that
// a config with a cache of its own is kept.
func TestTLSWithResumption(t *testing.T) {
	if c := device.TLSWithResumption(nil); c == nil || c.ClientSessionCache == nil || c.RootCAs != nil {
		t.Errorf("nil: %+v", c)
	}
	own := &tls.Config{ServerName: "router.example"}
	c := device.TLSWithResumption(own)
	if c == own || own.ClientSessionCache != nil || c.ClientSessionCache == nil || c.ServerName != "router.example" {
		t.Errorf("config without a cache: got %p (ServerName %q), caller's changed: %v", c, c.ServerName, own.ClientSessionCache != nil)
	}
	if again := device.TLSWithResumption(c); again != c {
		t.Error("a config with a cache was copied")
	}
}

// A device that dials its router itself again and again (rather than with
// Reconnect, which does this for rss:// and wss://) keeps one config with a
// session cache, so that its TLS handshakes after the first are resumed.
func ExampleTLSWithResumption() {
	conf := device.TLSWithResumption(&tls.Config{ServerName: "gateway.local"})
	fmt.Println(conf.ServerName, conf.ClientSessionCache != nil)
	// Output: gateway.local true
}
