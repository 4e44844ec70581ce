package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

func TestCollect(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		events string
		want   []string // "OUTCOME package test"
		echo   string
	}{
		{
			name: "pass fail and skip",
			events: `{"Action":"run","Package":"p","Test":"TestA"}
{"Action":"output","Package":"p","Test":"TestA","Output":"hello\n"}
{"Action":"pass","Package":"p","Test":"TestA","Elapsed":0.5}
{"Action":"run","Package":"p","Test":"TestB"}
{"Action":"fail","Package":"p","Test":"TestB"}
{"Action":"skip","Package":"p","Test":"TestC"}
{"Action":"fail","Package":"p"}`,
			want: []string{"PASS p TestA", "FAIL p TestB", "SKIP p TestC"},
			echo: "hello\n",
		},
		{
			name: "build failure",
			events: `{"Action":"build-output","ImportPath":"q","Output":"q/x.go:1: syntax error\n"}
{"Action":"fail","Package":"q","FailedBuild":"q"}`,
			want: []string{"FAIL q (build failed)"},
			echo: "q/x.go:1: syntax error\n",
		},
		{
			name: "test cut off by a crash",
			events: `{"Action":"run","Package":"r","Test":"TestHang"}
{"Action":"fail","Package":"r"}`,
			want: []string{"FAIL r TestHang (no result)"},
		},
		{
			name:   "plain lines are echoed",
			events: "go: downloading example.com/m v1.0.0\n{\"Action\":\"skip\",\"Package\":\"s\"}",
			echo:   "go: downloading example.com/m v1.0.0\n",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var echo bytes.Buffer
			results, err := collect(strings.NewReader(tc.events), &echo, "terraform")
			if err != nil {
				t.Fatalf("collect: %v", err)
			}
			var got []string
			for _, result := range results {
				if result.Label != "terraform" {
					t.Errorf("label = %q, want terraform", result.Label)
				}
				got = append(got, result.Outcome+" "+result.Package+" "+result.Test)
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("results = %q, want %q", got, tc.want)
			}
			if echo.String() != tc.echo {
				t.Errorf("echo = %q, want %q", echo.String(), tc.echo)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		results  []testResult
		wantLine string
		wantCode int
	}{
		{
			name:     "all passed",
			results:  []testResult{{Outcome: "PASS", Label: "tofu", Package: "p", Test: "TestA"}},
			wantLine: "1 passed, 0 failed",
		},
		{
			name: "failure and skip",
			results: []testResult{
				{Outcome: "PASS", Package: "p", Test: "TestA"},
				{Outcome: "FAIL", Package: "p", Test: "TestB"},
				{Outcome: "SKIP", Package: "p", Test: "TestC"},
			},
			wantLine: "1 passed, 1 failed, 1 skipped",
			wantCode: 1,
		},
		{
			name:     "nothing ran",
			wantLine: "0 passed, 0 failed",
			wantCode: 1,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "results.tsv")
			if err := appendResults(path, tc.results); err != nil {
				t.Fatalf("appendResults: %v", err)
			}
			var stdout, stderr bytes.Buffer
			code := summarize(path, &stdout, &stderr)
			lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
			if last := lines[len(lines)-1]; last != tc.wantLine {
				t.Errorf("last line = %q, want %q", last, tc.wantLine)
			}
			if code != tc.wantCode {
				t.Errorf("exit code = %d, want %d (stderr %q)", code, tc.wantCode, stderr.String())
			}
		})
	}
}
