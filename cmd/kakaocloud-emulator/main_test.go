package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kakaocloud-community/terraform-provider-kakaocloud/emulator"
)

// startRun runs the command until the returned stop function cancels it; it returns the URL
// the command printed and a function that stops it and returns its exit code.
func startRun(t *testing.T, args ...string) (string, func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdoutR, stdoutW := io.Pipe()
	var stderr lockedBuffer
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, args, stdoutW, &stderr)
		stdoutW.Close()
	}()

	urls := make(chan string, 1)
	go func() {
		scanner := bufio.NewScanner(stdoutR)
		for scanner.Scan() {
			if url, ok := strings.CutPrefix(scanner.Text(), "listening on "); ok {
				urls <- url
			}
		}
	}()
	select {
	case url := <-urls:
		return url, func() int {
			cancel()
			c := <-code
			if strings.Contains(stderr.String(), "emulator-owner-secret") {
				t.Errorf("stderr names a secret:\n%s", stderr.String())
			}
			return c
		}
	case c := <-code:
		cancel()
		t.Fatalf("run exited with %d before listening:\n%s", c, stderr.String())
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatalf("run did not print its URL:\n%s", stderr.String())
	}
	return "", nil
}

func TestRunKeepsStateAcrossRestart(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state.json")
	args := []string{"--listen", "127.0.0.1:0", "--state-file", state, "--propagation-delay", "0"}

	url, stop := startRun(t, args...)
	token := issueToken(t, url)
	status, _ := call(t, http.MethodPost, url+"/api/v1/images/"+emulator.DefaultActiveImageID+
		"/members/"+emulator.DefaultOtherProjectID, token)
	if status != http.StatusOK {
		t.Fatalf("add member: %d", status)
	}
	if code := stop(); code != 0 {
		t.Fatalf("exit code %d", code)
	}

	url, stop = startRun(t, args...)
	defer stop()
	token = issueToken(t, url)
	status, body := call(t, http.MethodGet, url+"/api/v1/images/"+emulator.DefaultActiveImageID+"/members", token)
	var list struct {
		Members []struct {
			ID       string `json:"id"`
			IsShared bool   `json:"is_shared"`
		} `json:"members"`
	}
	if err := json.Unmarshal(body, &list); err != nil || status != http.StatusOK {
		t.Fatalf("list members: %d %s", status, body)
	}
	if len(list.Members) != 1 || list.Members[0].ID != emulator.DefaultOtherProjectID || !list.Members[0].IsShared {
		t.Errorf("after restart members = %+v", list.Members)
	}
}

func TestRunFlags(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
	}{
		{"help", []string{"--help"}, 0, ""},
		{"print fixture", []string{"--print-fixture"}, 0, emulator.DefaultOwnerProjectID},
		{"unknown flag", []string{"--colour"}, 2, ""},
		{"stray argument", []string{"serve"}, 2, ""},
		{"missing fixture", []string{"--fixture", filepath.Join(t.TempDir(), "none.json")}, 1, ""},
		{"bad rate", []string{"--fault-503-rate", "2", "--listen", "127.0.0.1:0"}, 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr lockedBuffer
			code := run(context.Background(), tt.args, &stdout, &stderr)
			if code != tt.wantCode {
				t.Fatalf("exit code %d, want %d; stderr:\n%s", code, tt.wantCode, stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.wantOut) {
				t.Errorf("stdout lacks %q", tt.wantOut)
			}
		})
	}

	var stdout lockedBuffer
	run(context.Background(), []string{"--print-fixture"}, &stdout, io.Discard)
	var f emulator.Fixture
	if err := json.Unmarshal([]byte(stdout.String()), &f); err != nil {
		t.Fatalf("printed fixture is not JSON: %v", err)
	}
	isPublic := func(img emulator.FixtureImage) bool { return img.ID == emulator.DefaultPublicImageID }
	if !slices.ContainsFunc(f.Images, isPublic) {
		t.Error("printed fixture lacks the public image")
	}
}

func issueToken(t *testing.T, url string) string {
	t.Helper()
	body := `{"auth":{"identity":{"methods":["application_credential"],"application_credential":` +
		`{"id":"` + emulator.DefaultOwnerCredentialID + `","secret":"` + emulator.DefaultOwnerCredentialSecret + `"}}}}`
	resp, err := http.Post(url+"/identity/v3/auth/tokens", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("issue token: %d", resp.StatusCode)
	}
	return resp.Header.Get("X-Subject-Token")
}

func call(t *testing.T, method, url, token string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Auth-Token", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
