package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/edgewamp/edgewamp/agent"
)

// agentFlags are the flags of the agent mode.
type agentFlags struct {
	_                           [0]func() // not comparable: no equality function to link
	config, router, realm, name string
	demo, check, version        bool
}

func parseAgentFlags(args []string) (*agentFlags, error) {
	var f agentFlags
	fs := flag.NewFlagSet("edge-agent", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&f.config, "config", "", "configuration file")
	fs.StringVar(&f.router, "router", "", "router URL")
	fs.StringVar(&f.realm, "realm", "", "realm")
	fs.BoolVar(&f.demo, "demo", false, "simulated device")
	fs.StringVar(&f.name, "demo-name", agent.DefaultDemoName, "the demo device's name")
	fs.BoolVar(&f.check, "check", false, "validate the configuration and exit")
	fs.BoolVar(&f.version, "version", false, "print the version")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if !f.version && f.config == "" && !f.demo {
		return nil, fmt.Errorf("-config FILE or -demo is required")
	}
	if f.config != "" && f.demo {
		return nil, fmt.Errorf("-config and -demo exclude each other")
	}
	if f.name != agent.DefaultDemoName && !f.demo {
		return nil, fmt.Errorf("-demo-name goes with -demo (a configuration file names its topics and procedures)")
	}
	return &f, nil
}

// loadConfig reads the configuration the flags name and applies the overrides.
func (f *agentFlags) loadConfig() (*agent.Config, error) {
	var cfg *agent.Config
	if f.demo {
		c, err := agent.DemoConfig(f.name)
		if err != nil {
			return nil, fmt.Errorf("-demo-name: %w", err)
		}
		cfg = c
	} else {
		c, err := agent.Load(f.config)
		if err != nil {
			return nil, err
		}
		cfg = c
	}
	if f.router != "" {
		cfg.Router = f.router
	}
	if f.realm != "" {
		cfg.Realm = f.realm
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("flags: %w", err)
	}
	router := cfg.Router
	if router == "" {
		router = agent.DefaultRouter
	}
	if err := checkURL(router); err != nil {
		return nil, fmt.Errorf("router: %w", err)
	}
	return cfg, nil
}

// runAgent runs the agent until ctx is done (SIGINT, SIGTERM), then shuts
// down within the configured bound.
func runAgent(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	f, err := parseAgentFlags(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, helpText())
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "edge-agent: %v (edge-agent -h for help)\n", err)
		return 2
	}
	if f.version {
		if lacks := agent.BuildLacks(); len(lacks) > 0 {
			fmt.Fprintf(stdout, "edge-agent %s (minimal build, without: %s)\n", version, strings.Join(lacks, ", "))
		} else {
			fmt.Fprintf(stdout, "edge-agent %s\n", version)
		}
		return 0
	}
	cfg, err := f.loadConfig()
	if err != nil {
		fmt.Fprintf(stderr, "edge-agent: %v\n", err)
		return 2
	}
	log, err := agent.NewLogger(cfg.Log, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "edge-agent: %v\n", err)
		return 2
	}
	a, err := agent.New(cfg, agent.Options{Version: version, Logger: log, Dialers: dialers()})
	if err != nil {
		fmt.Fprintf(stderr, "edge-agent: %v\n", err)
		return 1
	}
	if f.check {
		fmt.Fprintln(stdout, "configuration ok")
		return 0
	}
	if f.demo {
		log.Info("demo device: " + cfg.DemoSummary())
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	select {
	case err := <-done:
		return exitCode(err, stderr)
	case <-ctx.Done():
	}
	bound := time.Duration(cfg.ShutdownTimeout)
	if bound <= 0 {
		bound = agent.DefaultShutdownTimeout
	}
	t := time.NewTimer(bound)
	defer t.Stop()
	select {
	case err := <-done:
		return exitCode(err, stderr)
	case <-t.C:
		fmt.Fprintf(stderr, "edge-agent: shutdown took longer than %v, exiting\n", bound)
		return 1
	}
}

func exitCode(err error, stderr io.Writer) int {
	if err != nil {
		fmt.Fprintf(stderr, "edge-agent: %v\n", err)
		return 1
	}
	return 0
}
