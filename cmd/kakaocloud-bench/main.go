// Command kakaocloud-bench runs terraform apply, plan and destroy for one kakaocloud_image_member
// against an in-process emulator with a per-request latency and a propagation delay, and prints
// the wall times, the API requests and the apply's lower bound (see docs/benchmark.md).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/kakaocloud-community/terraform-provider-kakaocloud/internal/bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "kakaocloud-bench: %v\n", err)
		return 2
	}
	if cfg.compare != nil {
		return compare(cfg.compare, stdout, stderr)
	}

	res, err := bench.Run(ctx, cfg.run)
	if err != nil {
		fmt.Fprintf(stderr, "kakaocloud-bench: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout)
	bench.WriteTable(stdout, res)
	path, err := bench.WriteJSON(cfg.outDir, res)
	if err != nil {
		fmt.Fprintf(stderr, "kakaocloud-bench: write results: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "\nresults written to %s\n", path)
	return 0
}

func compare(paths []string, stdout, stderr io.Writer) int {
	old, err := bench.ReadJSON(paths[0])
	if err != nil {
		fmt.Fprintf(stderr, "kakaocloud-bench: %v\n", err)
		return 1
	}
	cur, err := bench.ReadJSON(paths[1])
	if err != nil {
		fmt.Fprintf(stderr, "kakaocloud-bench: %v\n", err)
		return 1
	}
	bench.Compare(stdout, old, cur)
	return 0
}

type config struct {
	run     bench.Config
	outDir  string
	compare []string // old and new results files
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("kakaocloud-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: kakaocloud-bench [flags]\n       kakaocloud-bench --compare OLD.json NEW.json")
		fs.PrintDefaults()
	}
	var (
		cfg       config
		sizes     = fs.String("sizes", "1,10,100,500,1000", "member counts N, comma-separated")
		latencies = fs.String("latencies", "20ms,50ms", "per-request latencies L, comma-separated")
		quick     = fs.Bool("quick", false, "only N = 1, 10, 100 at L = 50ms, for a fast check")
		doCompare = fs.Bool("compare", false, "print the differences between two results files")
		root      = fs.String("root", ".", "repository root, where the provider is built from")
		terraform = fs.String("terraform", filepath.Join(".tools", "bin", "terraform"),
			"Terraform binary; relative paths are taken from --root")
	)
	fs.DurationVar(&cfg.run.Delay, "delay", time.Second, "propagation delay D, also the removal delay")
	fs.IntVar(&cfg.run.PlanResources, "plan-resources", 50,
		"resources of the unchanged-plan scenario; 0 skips it")
	fs.DurationVar(&cfg.run.PlanScenarioAt, "plan-latency", 50*time.Millisecond,
		"per-request latency of the unchanged-plan scenario")
	fs.BoolVar(&cfg.run.Keep, "keep", false, "keep the Terraform working directories")
	fs.StringVar(&cfg.outDir, "out", "bench-results",
		"folder for the results file; relative paths are taken from --root")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}

	if *doCompare {
		if fs.NArg() != 2 {
			return cfg, errors.New("--compare takes two results files: OLD.json NEW.json")
		}
		cfg.compare = fs.Args()
		return cfg, nil
	}
	if fs.NArg() != 0 {
		return cfg, fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	if *quick {
		*sizes, *latencies = "1,10,100", "50ms"
	}

	var err error
	if cfg.run.Sizes, err = parseList(*sizes, strconv.Atoi); err != nil {
		return cfg, fmt.Errorf("--sizes: %w", err)
	}
	if cfg.run.Latencies, err = parseList(*latencies, time.ParseDuration); err != nil {
		return cfg, fmt.Errorf("--latencies: %w", err)
	}
	for _, n := range cfg.run.Sizes {
		if n < 1 {
			return cfg, fmt.Errorf("--sizes: %d is not a positive count", n)
		}
	}
	if cfg.run.Delay < 0 {
		return cfg, errors.New("--delay cannot be negative")
	}
	if cfg.run.Root, err = filepath.Abs(*root); err != nil {
		return cfg, err
	}
	cfg.run.Terraform = absFrom(cfg.run.Root, *terraform)
	cfg.outDir = absFrom(cfg.run.Root, cfg.outDir)
	if _, err := os.Stat(cfg.run.Terraform); err != nil {
		return cfg, fmt.Errorf("terraform binary: %w (run scripts/install-terraform.sh)", err)
	}
	cfg.run.Progress = stderr
	return cfg, nil
}

func parseList[T any](s string, parse func(string) (T, error)) ([]T, error) {
	var out []T
	for _, field := range strings.Split(s, ",") {
		if field = strings.TrimSpace(field); field == "" {
			continue
		}
		v, err := parse(field)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, errors.New("the list is empty")
	}
	return out, nil
}

func absFrom(root, path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(root, path)
}
