// Command gatepbx is the appliance firmware: a SIP registrar and B2BUA
// with an anchored RTP relay, analog ports through the HAL, and the
// Ozeki-compatible HTTP API. See the README for running it.
//
// "gatepbx sim OP PORT [ARGS]" drives the simulated board of a running
// gatepbx through its loopback control socket (offhook fxs0, dial fxs0
// 101, ring fxo0 --cid 3612345678, status fxs0, ...).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/gatepbx/gatepbx/firmware/app"
	"github.com/gatepbx/gatepbx/firmware/config"
	"github.com/gatepbx/gatepbx/hal/sim/simctl"
)

func main() {
	// The one process-wide setting, made here rather than in run (which
	// the tests call): a GOMEMLIMIT in the environment (a systemd
	// Environment= line, say) wins over the default of half the RAM.
	if os.Getenv("GOMEMLIMIT") == "" {
		if meminfo, err := os.ReadFile("/proc/meminfo"); err == nil {
			if limit, ok := memoryLimit(meminfo); ok {
				debug.SetMemoryLimit(limit)
			}
		}
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "sim" {
		return runSim(args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("gatepbx", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "data/gatepbx.yaml", "config file; created with first-boot credentials when missing")
	checkConfig := fs.String("check-config", "", "validate this config file, print the problems and exit")
	logLevel := fs.String("log-level", "", "debug, info, warn or error (overrides the config's log_level)")
	shutdownGrace := fs.Duration("shutdown-timeout", 5*time.Second, "how long calls get to end on SIGTERM")
	version := fs.Bool("version", false, "print the version and exit")
	board := fs.String("board", "", "board: sim, auto (from the device tree) or a profile name (overrides the config's board)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0 // -h asked for the usage, which was printed
		}
		return 2
	}
	if *version {
		fmt.Fprintln(stdout, "gatepbx", app.Version)
		return 0
	}
	if *checkConfig != "" {
		if _, err := config.Load(*checkConfig); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		fmt.Fprintf(stdout, "%s: ok\n", *checkConfig)
		return 0
	}

	level := new(slog.LevelVar)
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	// The level applies from the first line: the flag wins, else the
	// config's log_level (read again after every reload).
	setLevel := func(cfgLevel string) {
		lv := *logLevel
		if lv == "" {
			lv = cfgLevel
		}
		if err := level.UnmarshalText([]byte(lv)); err != nil {
			logger.Warn("bad log level, using info", "level", lv)
			level.Set(slog.LevelInfo)
		}
	}
	if cfg, err := config.Load(*configPath); err == nil {
		setLevel(cfg.LogLevel)
	} else {
		setLevel("info")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// Catch signals before anything is served: once the API answers, a
	// supervisor may send SIGHUP or SIGTERM at once, and an uncaught one
	// would kill the process (losing the reload or the clean shutdown).
	// Signals that arrive while starting wait in the channel.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)

	a, err := app.Start(ctx, app.Options{ConfigPath: *configPath, Logger: logger, Out: stdout, Board: *board})
	if err != nil {
		fmt.Fprintln(stderr, "gatepbx:", err)
		return 1
	}
	setLevel(a.Config().LogLevel)

	for sig := range sigs {
		if sig == syscall.SIGHUP {
			if err := a.Reload(); err != nil {
				logger.Error("config reload", "err", err)
			}
			setLevel(a.Config().LogLevel)
			continue
		}
		logger.Info("stopping", "signal", sig.String())
		sctx, scancel := context.WithTimeout(context.Background(), *shutdownGrace)
		err := a.Shutdown(sctx)
		scancel()
		if err != nil && !errors.Is(err, context.Canceled) {
			logger.Warn("shutdown", "err", err)
		}
		return 0
	}
	return 0
}

// runSim is "gatepbx sim [-config FILE | -addr HOST:PORT] OP PORT [ARGS]":
// one command to the sim board's control socket of a running gatepbx,
// whose address it reads from the config's data dir unless -addr names
// it. The answer is printed as JSON.
func runSim(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gatepbx sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "data/gatepbx.yaml", "config file of the running gatepbx (its data dir has the socket address)")
	addr := fs.String("addr", "", "control socket address (instead of reading it from the data dir)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: gatepbx sim [-config FILE | -addr HOST:PORT] OP PORT [ARGS]")
		for _, o := range simctl.Ops {
			fmt.Fprintln(stderr, "  "+o.Usage)
		}
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	req, err := simctl.ParseArgs(fs.Args())
	if err != nil {
		fmt.Fprintln(stderr, "gatepbx sim:", err)
		return 2
	}
	if *addr == "" {
		cfg, err := config.Load(*configPath)
		if err == nil {
			*addr, err = app.ReadSimControlAddr(cfg.DataDir)
		}
		if err != nil {
			fmt.Fprintln(stderr, "gatepbx sim:", err)
			return 1
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := simctl.Do(ctx, *addr, req)
	if err != nil {
		fmt.Fprintln(stderr, "gatepbx sim:", err)
		return 1
	}
	out, _ := json.Marshal(res)
	fmt.Fprintln(stdout, string(out))
	return 0
}
