// Package clitest runs the real Terraform (or OpenTofu) CLI as a subprocess against a provider
// binary built from this repository.
//
// terraform-plugin-testing serves the provider in-process, which cannot show what happens when the
// CLI is killed, nor what the provider prints under TF_LOG. This package builds the provider once
// per test binary, lays it out as a plugin directory, and runs `init -plugin-dir`, `apply`, `plan`
// and `show -json` in a throwaway working directory, returning what the CLI printed.
//
// The CLI is the absolute path in TF_ACC_TERRAFORM_PATH; tests skip unless TF_ACC is set, as
// acceptance tests do. A typical test:
//
//	cli := clitest.CLIPath(t)
//	wd := clitest.NewWorkdir(t, cli, clitest.BuildProvider(t), hcl)
//	res := wd.Run(ctx, env, "apply", "-auto-approve", "-no-color")
//	state, err := wd.State(ctx)
package clitest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	// Version is the version the provider binary is built with; configurations must pin it,
	// since Terraform never picks a pre-release from a version range.
	Version = "0.0.1-test"

	// Source is the provider's source address as configurations name it.
	Source = "kakaocloud-community/kakaocloud"

	modulePath  = "github.com/kakaocloud-community/terraform-provider-kakaocloud"
	initTimeout = 2 * time.Minute
)

// Hosts under which the plugin directory holds the provider: OpenTofu resolves a short source
// address to its own registry host.
var pluginHosts = []string{"registry.terraform.io", "registry.opentofu.org"}

var build struct {
	once sync.Once
	dir  string
	err  error
}

// CLIPath returns the absolute path of the CLI under test, skipping the test when TF_ACC is not
// set and failing it when TF_ACC_TERRAFORM_PATH is missing or relative, so nothing is downloaded
// and no other binary on PATH is picked up by accident.
func CLIPath(t testing.TB) string {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("CLI tests need TF_ACC=1 and TF_ACC_TERRAFORM_PATH; run `make test`")
	}
	path := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if path == "" || !filepath.IsAbs(path) {
		t.Fatalf("TF_ACC_TERRAFORM_PATH must be the absolute path of the CLI, got %q", path)
	}
	return path
}

// BuildProvider builds the provider from this module once per test binary and returns a plugin
// directory holding it in the unpacked registry layout under both registry hosts. The directory
// lives in the OS temporary folder for the life of the process; call Cleanup from TestMain to
// remove it.
func BuildProvider(t testing.TB) (pluginDir string) {
	t.Helper()
	build.once.Do(func() { build.dir, build.err = buildProvider() })
	if build.err != nil {
		t.Fatalf("build provider: %v", build.err)
	}
	return build.dir
}

// Cleanup removes the plugin directory BuildProvider made, if any. It is meant for TestMain,
// after m.Run.
func Cleanup() {
	if build.dir != "" {
		_ = os.RemoveAll(build.dir)
	}
}

func buildProvider() (string, error) {
	moduleDir, err := moduleRoot()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "kakaocloud-clitest-plugins-")
	if err != nil {
		return "", err
	}
	if err := PackageProvider(context.Background(), moduleDir, dir, Version); err != nil {
		return "", err
	}
	return dir, nil
}

// PackageProvider builds the provider in moduleDir with the given version and lays it out in
// pluginDir in the unpacked registry layout, under both registry hosts, for `init -plugin-dir`.
func PackageProvider(ctx context.Context, moduleDir, pluginDir, version string) error {
	binName := "terraform-provider-kakaocloud_v" + version
	platform := runtime.GOOS + "_" + runtime.GOARCH
	var first string
	for _, host := range pluginHosts {
		target := filepath.Join(pluginDir, host, Source, version, platform)
		if err := os.MkdirAll(target, 0o755); err != nil {
			return err
		}
		bin := filepath.Join(target, binName)
		if first != "" {
			if err := copyExecutable(first, bin); err != nil {
				return err
			}
			continue
		}
		first = bin
		cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", bin,
			"-ldflags", "-X main.version="+version, ".")
		cmd.Dir = moduleDir
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if output, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build: %w\n%s", err, output)
		}
	}
	return nil
}

// moduleRoot finds this module's folder from the test's working directory, which `go test` sets
// to the package folder.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside a Go module")
	}
	data, err := os.ReadFile(gomod)
	if err != nil {
		return "", err
	}
	if !strings.Contains(string(data), "module "+modulePath) {
		return "", fmt.Errorf("%s is not the module %s", gomod, modulePath)
	}
	return filepath.Dir(gomod), nil
}

func copyExecutable(from, to string) error {
	if err := os.Link(from, to); err == nil {
		return nil
	}
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}

// Workdir is a Terraform working directory with the provider installed by `init -plugin-dir`.
type Workdir struct {
	t         testing.TB
	dir       string
	cliPath   string
	pluginDir string
	cliConfig string
}

// NewWorkdir makes a working directory in t.TempDir, writes hcl to main.tf and a
// required_providers block pinning the built provider to providers.tf (unless hcl has its own),
// and runs `init`. The test fails if init fails.
func NewWorkdir(t testing.TB, cliPath, pluginDir, hcl string) *Workdir {
	t.Helper()
	dir := t.TempDir()
	// An existing, empty CLI configuration: the environment may name one that does not exist,
	// which some CLIs report on stdout.
	cliConfig := filepath.Join(dir, ".terraformrc")
	if err := os.WriteFile(cliConfig, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	w := &Workdir{t: t, dir: dir, cliPath: cliPath, pluginDir: pluginDir, cliConfig: cliConfig}
	if !strings.Contains(hcl, "required_providers") {
		providers := fmt.Sprintf("terraform {\n  required_providers {\n    kakaocloud = {\n"+
			"      source  = %q\n      version = %q\n    }\n  }\n}\n", Source, Version)
		if err := os.WriteFile(filepath.Join(dir, "providers.tf"), []byte(providers), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	w.SetConfig(hcl)

	ctx, cancel := context.WithTimeout(context.Background(), initTimeout)
	defer cancel()
	res := w.Run(ctx, nil, "init", "-input=false", "-no-color", "-plugin-dir="+pluginDir)
	if res.ExitCode != 0 {
		t.Fatalf("init failed (exit %d): %v\n%s\n%s", res.ExitCode, res.Err, res.Stdout, res.Stderr)
	}
	return w
}

// Dir is the working directory's path.
func (w *Workdir) Dir() string { return w.dir }

// SetConfig replaces main.tf, for the next step of a test.
func (w *Workdir) SetConfig(hcl string) {
	w.t.Helper()
	if err := os.WriteFile(filepath.Join(w.dir, "main.tf"), []byte(hcl), 0o600); err != nil {
		w.t.Fatal(err)
	}
}

// Result is what one CLI run printed and how it ended.
type Result struct {
	Stdout   string
	Stderr   string
	ExitCode int           // -1 when the process did not start or was killed by a signal
	Duration time.Duration // wall time from start to exit
	Err      error         // from starting or waiting on the process; nil on exit code 0
}

// Output is stdout and stderr together, for error messages and searches.
func (r Result) Output() string { return r.Stdout + "\n" + r.Stderr }

// Run runs the CLI with args in the working directory and waits for it. env adds to, or
// overrides, the environment; see Start for what is inherited. Cancelling ctx kills the CLI and
// the provider processes it started.
func (w *Workdir) Run(ctx context.Context, env map[string]string, args ...string) Result {
	w.t.Helper()
	proc, err := w.Start(ctx, env, args...)
	if err != nil {
		return Result{ExitCode: -1, Err: err}
	}
	return proc.Wait()
}

// Process is a CLI run in progress, started by Start.
type Process struct {
	Cmd     *exec.Cmd
	started time.Time
	stdout  *syncBuffer
	stderr  *syncBuffer
}

// Start starts the CLI with args in the working directory and returns at once. The CLI runs in
// its own process group, so Kill reaches the provider plugins it launched, as a CI runner killing
// a job would.
//
// The environment is this process's minus TF_LOG*, TF_DATA_DIR, TF_PLUGIN_CACHE_DIR,
// TF_WORKSPACE and KAKAOCLOUD_* (so nothing points the provider at a real endpoint by
// accident), plus TF_CLI_CONFIG_FILE naming an empty file, TF_IN_AUTOMATION and
// CHECKPOINT_DISABLE, then env.
func (w *Workdir) Start(ctx context.Context, env map[string]string, args ...string) (*Process, error) {
	cmd := exec.CommandContext(ctx, w.cliPath, args...)
	cmd.Dir = w.dir
	cmd.Env = w.environ(env)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return killGroup(cmd) }
	// Plugins that outlive the CLI would hold the output pipes open.
	cmd.WaitDelay = 10 * time.Second
	proc := &Process{Cmd: cmd, stdout: &syncBuffer{}, stderr: &syncBuffer{}}
	cmd.Stdout = proc.stdout
	cmd.Stderr = proc.stderr
	proc.started = time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return proc, nil
}

// Kill sends SIGKILL to the CLI's process group: the CLI and the provider plugins it started.
func (p *Process) Kill() error { return killGroup(p.Cmd) }

// Output is what the process has printed so far, stdout then stderr.
func (p *Process) Output() string { return p.stdout.String() + "\n" + p.stderr.String() }

// Wait waits for the process to end and returns its result.
func (p *Process) Wait() Result {
	err := p.Cmd.Wait()
	res := Result{
		Stdout:   p.stdout.String(),
		Stderr:   p.stderr.String(),
		ExitCode: -1,
		Duration: time.Since(p.started),
		Err:      err,
	}
	if p.Cmd.ProcessState != nil {
		res.ExitCode = p.Cmd.ProcessState.ExitCode()
	}
	return res
}

func killGroup(cmd *exec.Cmd) error {
	if cmd.Process == nil {
		return nil
	}
	err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	if errors.Is(err, syscall.ESRCH) {
		return os.ErrProcessDone
	}
	return err
}

func (w *Workdir) environ(extra map[string]string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "TF_LOG") || strings.HasPrefix(name, "KAKAOCLOUD_") ||
			name == "TF_DATA_DIR" || name == "TF_PLUGIN_CACHE_DIR" || name == "TF_WORKSPACE" ||
			name == "TF_CLI_CONFIG_FILE" {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "TF_CLI_CONFIG_FILE="+w.cliConfig, "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1")
	for k, v := range extra {
		env = append(env, k+"="+v)
	}
	return env
}

// syncBuffer lets a test read output while the process still writes it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
