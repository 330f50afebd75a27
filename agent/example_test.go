package agent_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/edgewamp/edgewamp/agent"
	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/wamp"
)

// An agent with a file sensor (a sysfs-style temperature in millidegrees)
// and a file actuator (an LED's brightness), run against an in-process
// router; a client receives a reading and switches the LED on.
func Example() {
	dir, err := os.MkdirTemp("", "agent-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	temp, led := filepath.Join(dir, "temp"), filepath.Join(dir, "brightness")
	os.WriteFile(temp, []byte("21500\n"), 0o644)
	os.WriteFile(led, []byte("0\n"), 0o644)

	cfg, err := agent.Parse(strings.NewReader(`{
		"prefix": "dev1",
		"sensors": [{"name": "temp", "kind": "file", "path": "` + temp + `",
			"scale": 0.001, "unit": "C", "interval": "50ms"}],
		"actuators": [{"name": "led", "kind": "file", "path": "` + led + `",
			"args": [{"name": "brightness", "type": "int", "min": 0, "max": 1}]}]
	}`))
	if err != nil {
		log.Fatal(err)
	}
	r, err := minirouter.New(minirouter.Config{})
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	a, err := agent.New(cfg, agent.Options{Connect: r.Connect, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()

	t, err := r.Connect(ctx)
	if err != nil {
		log.Fatal(err)
	}
	c, err := device.NewClient(ctx, t, device.Config{Realm: "realm1"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	readings := make(chan *device.Event, 16)
	if _, err := c.Subscribe(ctx, "dev1.temp", func(ev *device.Event) { readings <- ev }, nil); err != nil {
		log.Fatal(err)
	}
	ev := <-readings
	fmt.Println("reading:", ev.Args[0], ev.Kwargs["unit"])

	// The agent registers its procedures as it joins: retry until it has.
	var res wamp.Payload
	for {
		res, err = c.Call(ctx, "dev1.led.set", wamp.Payload{Args: wamp.List{1}}, nil)
		if !errors.Is(err, wamp.ErrNoSuchProcedure) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		log.Fatal(err)
	}
	b, _ := os.ReadFile(led)
	fmt.Printf("led.set answered %v; the file holds %q\n", res.Args, strings.TrimSpace(string(b)))

	cancel()
	<-done
	// Output:
	// reading: 21.5 C
	// led.set answered [1]; the file holds "1"
}

// Parse's errors name the key's path and the problem, or the line and
// column of a syntax error or of a key given twice.
func ExampleParse_errors() {
	for _, config := range []string{
		`{"sensors": [{"name": "cpu", "kind": "simulated", "intervall": "10s"}]}`,
		`{"sensors": [{"name": "door", "kind": "gpio", "on_change": true, "gpio": {"line": -1}}]}`,
		`{"reconnect": {"max_backoff": "30"}}`,
		"{\n  \"realm\": \"home\",\n  \"realm\": \"lab\"\n}",
		"{\n  \"realm\": \"home\"\n  \"prefix\": \"lab\"\n}",
	} {
		_, err := agent.Parse(strings.NewReader(config))
		fmt.Println(err)
	}
	// Output:
	// config: line 1, column 51: sensors[0].intervall: unknown key (known: amplitude, argv, base, deadband, gpio, interval, kind, name, offset, on_change, parse, path, period, poll, scale, timeout, topic, unit)
	// config: line 1, column 75: sensors[0].gpio.line: -1 is out of range (0 to 4294967295)
	// config: line 1, column 16: reconnect.max_backoff: bad duration "30" (want e.g. "500ms", "10s", "1m")
	// config: line 3, column 3: realm: duplicate key (each key may appear once per object)
	// config: line 3, column 3: unexpected '"' at offset 22, expected , or }
}
