package main

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestParseFlags(t *testing.T) {
	root := t.TempDir()
	terraform := filepath.Join(root, "terraform")
	if err := os.WriteFile(terraform, nil, 0o755); err != nil {
		t.Fatal(err)
	}
	base := []string{"--root", root, "--terraform", terraform}
	tests := []struct {
		name          string
		args          []string
		wantSizes     []int
		wantLatencies []time.Duration
		wantCompare   []string
		wantErr       bool
	}{
		{"defaults", base, []int{1, 10, 100, 500, 1000},
			[]time.Duration{20 * time.Millisecond, 50 * time.Millisecond}, nil, false},
		{"quick", append(base, "--quick"), []int{1, 10, 100}, []time.Duration{50 * time.Millisecond}, nil, false},
		{"lists", append(base, "--sizes", "5, 7", "--latencies", "1ms"), []int{5, 7},
			[]time.Duration{time.Millisecond}, nil, false},
		{"compare", []string{"--compare", "old.json", "new.json"}, nil, nil,
			[]string{"old.json", "new.json"}, false},
		{"compare needs two files", []string{"--compare", "old.json"}, nil, nil, nil, true},
		{"zero size", append(base, "--sizes", "0"), nil, nil, nil, true},
		{"bad latency", append(base, "--latencies", "fast"), nil, nil, nil, true},
		{"empty sizes", append(base, "--sizes", ","), nil, nil, nil, true},
		{"stray argument", append(base, "extra"), nil, nil, nil, true},
		{"missing terraform", []string{"--root", root, "--terraform", "nowhere"}, nil, nil, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := parseFlags(tt.args, io.Discard)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if !slices.Equal(cfg.compare, tt.wantCompare) {
				t.Errorf("compare = %v, want %v", cfg.compare, tt.wantCompare)
			}
			if tt.wantCompare != nil {
				return
			}
			if !slices.Equal(cfg.run.Sizes, tt.wantSizes) || !slices.Equal(cfg.run.Latencies, tt.wantLatencies) {
				t.Errorf("sizes %v latencies %v, want %v %v", cfg.run.Sizes, cfg.run.Latencies, tt.wantSizes,
					tt.wantLatencies)
			}
			if cfg.outDir != filepath.Join(root, "bench-results") {
				t.Errorf("out dir %s is not under the root", cfg.outDir)
			}
		})
	}
}
