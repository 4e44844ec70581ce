// Package bench runs the real Terraform CLI against an in-process emulator and compares the
// time of an apply with the lower bound the API allows (docs/benchmark.md defines it).
package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/kakaocloud-community/terraform-provider-kakaocloud/emulator"
)

// minApplyRoundTrips is the fewest sequential requests an apply can make: issue a token, list
// the members, add every project at once, list again to confirm.
const minApplyRoundTrips = 4

// Config says what to measure. Root is the repository; Terraform an absolute path.
type Config struct {
	Root           string
	Terraform      string
	Sizes          []int
	Latencies      []time.Duration
	Delay          time.Duration
	PlanResources  int  // resources of the unchanged-plan scenario; 0 skips it
	Keep           bool // keep the working directories for debugging
	Progress       io.Writer
	PlanScenarioAt time.Duration // latency of the unchanged-plan scenario
}

// Run measures every case and the unchanged-plan scenario.
func Run(ctx context.Context, cfg Config) (*Results, error) {
	if cfg.Progress == nil {
		cfg.Progress = io.Discard
	}
	if n := len(emulator.DefaultExtraImageIDs()); cfg.PlanResources > n {
		return nil, fmt.Errorf("the plan scenario needs %d images; the fixture has %d", cfg.PlanResources, n)
	}
	dir, err := os.MkdirTemp("", "kakaocloud-bench-")
	if err != nil {
		return nil, err
	}
	if cfg.Keep {
		fmt.Fprintf(cfg.Progress, "==> working directories kept in %s\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}

	res := &Results{
		StartedAt: time.Now().UTC(), GoVersion: runtime.Version(), CPUs: runtime.NumCPU(),
		Terraform: terraformVersion(ctx, cfg.Terraform), DelayMS: ms(cfg.Delay),
	}
	fmt.Fprintf(cfg.Progress, "==> building the provider\n")
	tools := toolchain{terraform: cfg.Terraform, cliConfig: filepath.Join(dir, "terraform.rc")}
	if err := os.WriteFile(tools.cliConfig, nil, 0o644); err != nil {
		return nil, err
	}
	if tools.pluginDir, err = buildProvider(ctx, cfg.Root, dir); err != nil {
		return nil, err
	}

	for _, n := range cfg.Sizes {
		base, err := runCase(ctx, cfg, tools, dir, caseKey{N: n, Baseline: true})
		if err != nil {
			return nil, err
		}
		res.Cases = append(res.Cases, base)
		for _, l := range cfg.Latencies {
			key := caseKey{N: n, LatencyMS: ms(l), DelayMS: ms(cfg.Delay)}
			c, err := runCase(ctx, cfg, tools, dir, key)
			if err != nil {
				return nil, err
			}
			c.BoundMS = base.Apply.WallMS + key.DelayMS + minApplyRoundTrips*key.LatencyMS
			c.Ratio = c.Apply.WallMS / c.BoundMS
			res.Cases = append(res.Cases, c)
		}
	}
	if cfg.PlanResources > 0 {
		if res.PlanUnchanged, err = runPlanScenario(ctx, cfg, tools, dir); err != nil {
			return nil, err
		}
	}
	res.FinishedAt = time.Now().UTC()
	return res, nil
}

// runCase applies, plans and destroys one resource sharing the active image with N projects.
func runCase(ctx context.Context, cfg Config, tools toolchain, dir string, key caseKey) (caseResult, error) {
	res := caseResult{caseKey: key}
	latency, delay := time.Duration(key.LatencyMS*1e6), time.Duration(key.DelayMS*1e6)
	emu, err := startEmulator(key.N, latency, delay)
	if err != nil {
		return res, err
	}
	defer emu.close()

	ws, err := newWorkspace(filepath.Join(dir, key.slug()), tools, emu.url,
		sharingConfig(emulator.DefaultActiveImageID, projectIDs(key.N)))
	if err != nil {
		return res, err
	}
	if err := ws.init(ctx); err != nil {
		return res, err
	}
	// An untimed validate loads Terraform and the provider from disk once, so that the first
	// timed command (the baseline's apply, which every bound builds on) is not a cold start.
	if _, err := ws.run(ctx, "validate", "-no-color"); err != nil {
		return res, err
	}

	steps := []struct {
		into    *commandResult
		okCodes []int
		args    []string
	}{
		{&res.Apply, nil, []string{"apply", "-auto-approve", "-input=false", "-no-color"}},
		{&res.Plan, []int{2}, []string{"plan", "-detailed-exitcode", "-input=false", "-no-color"}},
		{&res.Destroy, nil, []string{"destroy", "-auto-approve", "-input=false", "-no-color"}},
	}
	for _, step := range steps {
		emu.reset()
		run, err := ws.runAllowing(ctx, step.okCodes, step.args...)
		if err != nil {
			return res, fmt.Errorf("%s: %w", key, err)
		}
		*step.into = measure(emu, run)
		res.PeakRSSKiB = max(res.PeakRSSKiB, run.peakRSSKiB)
	}
	res.PlanExitCode = res.Plan.ExitCode
	if got := emu.server.SharedWith(emulator.DefaultActiveImageID); len(got) != 0 {
		return res, fmt.Errorf("%s: %d projects still shared after destroy", key, len(got))
	}
	fmt.Fprintf(cfg.Progress, "==> %-26s apply %6.2fs  plan %5.2fs  destroy %6.2fs  peak RSS %s\n",
		key, res.Apply.WallMS/1000, res.Plan.WallMS/1000, res.Destroy.WallMS/1000, mib(res.PeakRSSKiB))
	return res, nil
}

func measure(emu *benchEmulator, run commandRun) commandResult {
	events, peak := emu.recorder.snapshot()
	return commandResult{
		WallMS:     ms(run.wall()),
		ExitCode:   run.exitCode,
		Requests:   emu.server.Counters().ByRoute,
		Timeline:   buildTimeline(run.start, run.end, events, peak),
		PeakRSSKiB: run.peakRSSKiB,
	}
}

// runPlanScenario applies one resource on each of M images, then counts the requests of a plan
// that has nothing to change.
func runPlanScenario(ctx context.Context, cfg Config, tools toolchain, dir string) (*planScenario, error) {
	m := cfg.PlanResources
	emu, err := startEmulator(m, cfg.PlanScenarioAt, 0)
	if err != nil {
		return nil, err
	}
	defer emu.close()

	images := emulator.DefaultExtraImageIDs()[:m]
	ws, err := newWorkspace(filepath.Join(dir, fmt.Sprintf("plan-%d", m)), tools, emu.url,
		manyImagesConfig(images, projectIDs(m)))
	if err != nil {
		return nil, err
	}
	if err := ws.init(ctx); err != nil {
		return nil, err
	}
	if _, err := ws.run(ctx, "apply", "-auto-approve", "-input=false", "-no-color"); err != nil {
		return nil, fmt.Errorf("plan scenario: %w", err)
	}

	emu.reset()
	run, err := ws.runAllowing(ctx, []int{2}, "plan", "-detailed-exitcode", "-input=false", "-no-color")
	if err != nil {
		return nil, fmt.Errorf("plan scenario: %w", err)
	}
	counts := emu.server.Counters().ByRoute
	s := &planScenario{
		Resources: m, LatencyMS: ms(cfg.PlanScenarioAt), WallMS: ms(run.wall()), ExitCode: run.exitCode,
		Requests: counts, ListMembers: counts[emulator.RouteListMembers],
		TokenIssue: counts[emulator.RouteTokenIssue],
		PeakRSSKiB: run.peakRSSKiB,
	}
	fmt.Fprintf(cfg.Progress, "==> plan of %d unchanged resources: %.2fs, %d list calls, %d token issues\n",
		m, s.WallMS/1000, s.ListMembers, s.TokenIssue)
	return s, nil
}

func terraformVersion(ctx context.Context, bin string) string {
	out, err := exec.CommandContext(ctx, bin, "version").Output()
	if err != nil {
		return "unknown"
	}
	first, _, _ := strings.Cut(string(out), "\n")
	return strings.TrimSpace(first)
}

// Results is what one run measured; it is written as JSON and read back by Compare.
type Results struct {
	StartedAt     time.Time     `json:"started_at"`
	FinishedAt    time.Time     `json:"finished_at"`
	Terraform     string        `json:"terraform"`
	GoVersion     string        `json:"go_version"`
	CPUs          int           `json:"cpus"`
	DelayMS       float64       `json:"delay_ms"`
	Cases         []caseResult  `json:"cases"`
	PlanUnchanged *planScenario `json:"plan_unchanged,omitempty"`
}

// caseKey names a case; a baseline runs with no latency and no delay.
type caseKey struct {
	N         int     `json:"n"`
	LatencyMS float64 `json:"latency_ms"`
	DelayMS   float64 `json:"delay_ms"`
	Baseline  bool    `json:"baseline"`
}

func (k caseKey) String() string {
	if k.Baseline {
		return fmt.Sprintf("N=%d baseline", k.N)
	}
	return fmt.Sprintf("N=%d L=%s D=%s", k.N, msString(k.LatencyMS), msString(k.DelayMS))
}

func (k caseKey) slug() string {
	if k.Baseline {
		return fmt.Sprintf("n%d-baseline", k.N)
	}
	return fmt.Sprintf("n%d-l%g-d%g", k.N, k.LatencyMS, k.DelayMS)
}

type caseResult struct {
	caseKey
	Apply        commandResult `json:"apply"`
	Plan         commandResult `json:"plan"`
	Destroy      commandResult `json:"destroy"`
	BoundMS      float64       `json:"apply_lower_bound_ms,omitempty"`
	Ratio        float64       `json:"apply_over_bound,omitempty"`
	PlanExitCode int           `json:"plan_exit_code"` // 0: no changes after apply
	PeakRSSKiB   int64         `json:"provider_peak_rss_kib"`
}

type commandResult struct {
	WallMS     float64          `json:"wall_ms"`
	ExitCode   int              `json:"exit_code"`
	Requests   map[string]int64 `json:"requests"`
	Timeline   timeline         `json:"timeline"`
	PeakRSSKiB int64            `json:"provider_peak_rss_kib"`
}

type planScenario struct {
	Resources   int              `json:"resources"`
	LatencyMS   float64          `json:"latency_ms"`
	WallMS      float64          `json:"wall_ms"`
	ExitCode    int              `json:"exit_code"`
	ListMembers int64            `json:"list_members"`
	TokenIssue  int64            `json:"token_issue"`
	Requests    map[string]int64 `json:"requests"`
	PeakRSSKiB  int64            `json:"provider_peak_rss_kib"`
}
