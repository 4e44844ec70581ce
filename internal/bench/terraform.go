package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/kakaocloud-community/terraform-provider-kakaocloud/emulator"
	"github.com/kakaocloud-community/terraform-provider-kakaocloud/internal/clitest"
)

const (
	providerSource  = "kakaocloud-community/kakaocloud"
	providerVersion = "0.0.1"
	rssEvery        = 20 * time.Millisecond
	commandTimeout  = 10 * time.Minute
)

// toolchain is what every case shares: Terraform, the packaged provider and a CLI config.
type toolchain struct {
	terraform string // absolute path
	pluginDir string
	cliConfig string // an existing empty file, so no user's settings leak into the run
}

// buildProvider compiles the provider from root into a -plugin-dir layout under dir.
func buildProvider(ctx context.Context, root, dir string) (string, error) {
	pluginDir := filepath.Join(dir, "plugins")
	if err := clitest.PackageProvider(ctx, root, pluginDir, providerVersion); err != nil {
		return "", fmt.Errorf("build provider: %w", err)
	}
	return pluginDir, nil
}

// workspace is a Terraform working directory talking to one emulator.
type workspace struct {
	dir   string
	env   []string
	tools toolchain
}

func newWorkspace(dir string, tools toolchain, endpoint, config string) (*workspace, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(config), 0o644); err != nil {
		return nil, err
	}
	return &workspace{dir: dir, tools: tools, env: commandEnv(tools.cliConfig, endpoint)}, nil
}

// commandEnv drops every TF_ and KAKAOCLOUD_ setting of the caller so that logging, plugin
// caches or another endpoint cannot change what is measured.
func commandEnv(cliConfig, endpoint string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "TF_") || strings.HasPrefix(name, "KAKAOCLOUD_") ||
			name == "CHECKPOINT_DISABLE" {
			continue
		}
		env = append(env, kv)
	}
	return append(env,
		"TF_CLI_CONFIG_FILE="+cliConfig,
		"TF_IN_AUTOMATION=1",
		"TF_INPUT=0",
		"CHECKPOINT_DISABLE=1",
		"KAKAOCLOUD_ENDPOINT="+endpoint,
		"KAKAOCLOUD_APPLICATION_CREDENTIAL_ID="+emulator.DefaultOwnerCredentialID,
		"KAKAOCLOUD_APPLICATION_CREDENTIAL_SECRET="+emulator.DefaultOwnerCredentialSecret,
	)
}

func (w *workspace) init(ctx context.Context) error {
	_, err := w.run(ctx, "init", "-plugin-dir="+w.tools.pluginDir, "-input=false", "-no-color")
	return err
}

// commandRun is one timed Terraform command.
type commandRun struct {
	start, end time.Time
	exitCode   int
	peakRSSKiB int64
}

func (c commandRun) wall() time.Duration { return c.end.Sub(c.start) }

// run executes one command, samples the provider's memory while it runs, and keeps its output
// in the workspace. An exit code other than zero is an error unless okCodes lists it.
func (w *workspace) run(ctx context.Context, args ...string) (commandRun, error) {
	return w.runAllowing(ctx, nil, args...)
}

func (w *workspace) runAllowing(ctx context.Context, okCodes []int, args ...string) (commandRun, error) {
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, w.tools.terraform, args...)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = w.dir, w.env, &out, &out
	// An interrupt lets Terraform stop its providers; a kill would leave them running.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGINT) }
	cmd.WaitDelay = 30 * time.Second

	var run commandRun
	run.start = time.Now()
	if err := cmd.Start(); err != nil {
		return run, fmt.Errorf("terraform %s: %w", args[0], err)
	}
	watch := watchProviderRSS(cmd.Process.Pid, rssEvery)
	err := cmd.Wait()
	run.end = time.Now()
	run.peakRSSKiB = watch.finish()

	logFile := filepath.Join(w.dir, args[0]+".log")
	_ = os.WriteFile(logFile, out.Bytes(), 0o644)
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		run.exitCode = exitErr.ExitCode()
		for _, ok := range okCodes {
			if ok == run.exitCode {
				return run, nil
			}
		}
	}
	if err != nil {
		return run, fmt.Errorf("terraform %s: %w\n%s", args[0], err, tail(out.String(), 40))
	}
	return run, nil
}

func tail(s string, lines int) string {
	all := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(all[max(0, len(all)-lines):], "\n")
}

const configHeader = `terraform {
  required_providers {
    kakaocloud = {
      source = "` + providerSource + `"
    }
  }
}

provider "kakaocloud" {}
`

// sharingConfig shares one image with every project given.
func sharingConfig(imageID string, projects []string) string {
	var b strings.Builder
	b.WriteString(configHeader)
	fmt.Fprintf(&b, "\nresource \"kakaocloud_image_member\" \"bench\" {\n  id = %q\n", imageID)
	b.WriteString("  shared_member_ids = [\n")
	for _, p := range projects {
		fmt.Fprintf(&b, "    %q,\n", p)
	}
	b.WriteString("  ]\n}\n")
	return b.String()
}

// manyImagesConfig shares image i with project i, one resource each.
func manyImagesConfig(images, projects []string) string {
	var b strings.Builder
	b.WriteString(configHeader)
	for i, img := range images {
		fmt.Fprintf(&b, "\nresource \"kakaocloud_image_member\" \"bench_%02d\" {\n  id = %q\n"+
			"  shared_member_ids = [%q]\n}\n", i, img, projects[i])
	}
	return b.String()
}
