// Command kakaocloud-emulator serves the KakaoCloud API that image sharing needs, from memory
// and an optional state file, so the provider and Terraform modules can run offline.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/kakaocloud-community/terraform-provider-kakaocloud/emulator"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run serves until ctx ends, then shuts down and saves state; it returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return 2
	}

	if cfg.printFixture {
		out, err := json.MarshalIndent(emulator.DefaultFixture(), "", "  ")
		if err != nil {
			fmt.Fprintf(stderr, "kakaocloud-emulator: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "%s\n", out)
		return 0
	}

	opts := cfg.options
	opts.Logger = stderr
	if cfg.fixturePath != "" {
		opts.Fixture, err = emulator.LoadFixture(cfg.fixturePath)
		if err != nil {
			fmt.Fprintf(stderr, "kakaocloud-emulator: %v\n", err)
			return 1
		}
	}
	srv, err := emulator.New(opts)
	if err != nil {
		fmt.Fprintf(stderr, "kakaocloud-emulator: %v\n", err)
		return 1
	}
	if err := srv.Listen(cfg.listen); err != nil {
		fmt.Fprintf(stderr, "kakaocloud-emulator: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "listening on %s\n", srv.URL())

	<-ctx.Done()
	fmt.Fprintln(stderr, "kakaocloud-emulator: shutting down")
	if err := srv.Close(); err != nil {
		fmt.Fprintf(stderr, "kakaocloud-emulator: %v\n", err)
		return 1
	}
	return 0
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var cfg config
	o := &cfg.options
	fs := flag.NewFlagSet("kakaocloud-emulator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.listen, "listen", "127.0.0.1:8787", "address to listen on")
	fs.StringVar(&cfg.fixturePath, "fixture", "", "JSON fixture file (default: the built-in fixture)")
	fs.BoolVar(&cfg.printFixture, "print-fixture", false, "print the built-in fixture as JSON and exit")
	fs.StringVar(&o.StateFile, "state-file", "", "file that keeps state across restarts (default: memory only)")
	fs.DurationVar(&o.PropagationDelay, "propagation-delay", time.Second,
		"time before a new member turns accepted (a negative duration such as -1s: never)")
	fs.DurationVar(&o.RemovalDelay, "removal-delay", time.Second,
		"time a removed member stays listed with is_shared=false (a negative duration such as -1s: forever)")
	fs.DurationVar(&o.Latency, "latency", 0, "latency added to every API request")
	fs.DurationVar(&o.TokenLifetime, "token-lifetime", time.Hour, "lifetime of issued tokens")
	fs.IntVar(&o.MemberQuota, "member-quota", 128, "maximum members per image")
	fs.IntVar(&o.MaxPageSize, "max-page-size", 1000, "largest accepted limit; above it the API answers 422")
	fs.IntVar(&o.PageSizeCap, "page-size-cap", 0, "answer at most this many items per list page, whatever limit is asked (0: no cap)")
	fs.Float64Var(&o.Faults.Rate503, "fault-503-rate", 0, "share of image API requests answered 503")
	fs.Float64Var(&o.Faults.Rate429, "fault-429-rate", 0, "share of image API requests answered 429")
	fs.Float64Var(&o.Faults.RateDrop, "fault-drop-rate", 0,
		"share of image API requests whose connection is closed without an answer")
	fs.DurationVar(&o.Faults.RetryAfter, "fault-retry-after", time.Second, "Retry-After sent with a 429")
	fs.Int64Var(&o.Faults.Seed, "seed", 1, "seed for the fault randomness")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "kakaocloud-emulator: unexpected arguments %q\n", fs.Args())
		fs.Usage()
		return cfg, errors.New("unexpected arguments")
	}
	return cfg, nil
}

type config struct {
	listen       string
	fixturePath  string
	printFixture bool
	options      emulator.Options
}
