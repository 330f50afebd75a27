package serialtransport

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"

	"github.com/edgewamp/edgewamp/wamp"
)

// DefaultBaud is the line rate when a URL or OpenPort says none.
const DefaultBaud = 115200

// Client runs a device's handshake on rwc: it sends HELLO every
// cfg.HandshakeRetry until the gateway answers, or until ctx ends. The
// returned Conn owns rwc (its Close closes rwc); on error rwc is closed.
// rwc must behave as for [NewListener].
func Client(ctx context.Context, rwc io.ReadWriteCloser, cfg Config) (*Conn, error) {
	e := newEndpoint(rwc, cfg, false)
	c, err := e.handshake(ctx)
	if err != nil {
		e.stop(err)
		<-e.readerDone
		return nil, err
	}
	return c, nil
}

// Dial opens the serial port named by a URL and runs a device's handshake
// on it (see [Client] and [ParseURL]), e.g.
//
//	serialtransport.Dial(ctx, "serial:///dev/ttyUSB0?baud=115200", serialtransport.Config{})
func Dial(ctx context.Context, rawURL string, cfg Config) (*Conn, error) {
	path, baud, cfg, err := ParseURL(rawURL, cfg)
	if err != nil {
		return nil, err
	}
	rwc, err := OpenPort(path, baud)
	if err != nil {
		return nil, err
	}
	c, err := Client(ctx, rwc, cfg)
	if err != nil {
		return nil, fmt.Errorf("serialtransport: dial %s: %w", rawURL, err)
	}
	return c, nil
}

// DialURL is the serial line's [wamp.Dialer], for serial:// URLs: [Dial]
// with opts' serializer (default MessagePack), MaxMessageSize (clamped to
// [MinMessageSize, MaxMessageSize]) and KeepAlive; the URL's query
// parameters win over them (see [ParseURL]). A positive
// opts.HandshakeTimeout bounds the handshake besides ctx; opts.TLS is
// ignored. Safe for concurrent use.
func DialURL(ctx context.Context, u *url.URL, opts wamp.DialOptions) (wamp.Transport, error) {
	if opts.HandshakeTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.HandshakeTimeout)
		defer cancel()
	}
	c, err := Dial(ctx, u.String(), Config{
		Serializer:     opts.Serializer,
		MaxMessageSize: opts.MaxMessageSize,
		KeepAlive:      opts.KeepAlive,
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// ParseURL reads a serial URL, serial:///dev/ttyUSB0?baud=115200, and
// returns the device path, the baud rate (default DefaultBaud) and cfg
// updated from the query: serializer=json|msgpack|cbor, maxlen=BYTES,
// window=N, and name (default: the path). Unknown parameters are an error.
func ParseURL(rawURL string, cfg Config) (path string, baud int, _ Config, err error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", 0, cfg, fmt.Errorf("serialtransport: %w", err)
	}
	if !strings.EqualFold(u.Scheme, "serial") {
		return "", 0, cfg, fmt.Errorf("serialtransport: %q: scheme %q, want serial", rawURL, u.Scheme)
	}
	path = u.Path
	if path == "" {
		path = u.Opaque
	}
	if u.Host != "" || path == "" {
		return "", 0, cfg, fmt.Errorf("serialtransport: %q: want serial:///path/to/device", rawURL)
	}
	baud = DefaultBaud
	num := func(k, v string) (int, error) {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return 0, fmt.Errorf("serialtransport: %q: bad %s %q", rawURL, k, v)
		}
		return n, nil
	}
	for k, vs := range u.Query() {
		v := vs[len(vs)-1]
		switch k {
		case "baud":
			baud, err = num(k, v)
		case "maxlen":
			cfg.MaxMessageSize, err = num(k, v)
		case "window":
			cfg.Window, err = num(k, v)
		case "serializer":
			s, ok := wamp.SerializerByName(v)
			if !ok {
				err = fmt.Errorf("serialtransport: %q: unknown serializer %q (want json, msgpack or cbor)", rawURL, v)
			}
			cfg.Serializer = s
		case "name":
			cfg.Name = v
		default:
			err = fmt.Errorf("serialtransport: %q: unknown parameter %q", rawURL, k)
		}
		if err != nil {
			return "", 0, cfg, err
		}
	}
	if cfg.Name == "" {
		cfg.Name = path
	}
	return path, baud, cfg, nil
}
