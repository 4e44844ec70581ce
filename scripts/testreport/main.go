// Command testreport turns `go test -json` output into the log a person reads and a per-test
// result list. scripts/test.sh pipes each test run through it with a label (the CLI the
// acceptance tests ran on), then asks it for the summary of all runs.
//
//	go test -json ./... | testreport -label terraform -results results.tsv
//	testreport -summarize results.tsv
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("testreport", flag.ContinueOnError)
	flags.SetOutput(stderr)
	label := flags.String("label", "go", "label recorded with every result of this run")
	resultsPath := flags.String("results", "", "file the results of this run are appended to")
	summarizePath := flags.String("summarize", "", "print the summary of a results file and exit")
	trimPrefix := flags.String("trim-prefix", "", "prefix removed from package paths in the results")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	if *summarizePath != "" {
		return summarize(*summarizePath, stdout, stderr)
	}
	if *resultsPath == "" {
		fmt.Fprintln(stderr, "testreport: -results or -summarize is required")
		return 2
	}
	results, err := collect(stdin, stdout, *label)
	if err != nil {
		fmt.Fprintf(stderr, "testreport: reading test events: %v\n", err)
		return 1
	}
	for i := range results {
		results[i].Package = strings.TrimPrefix(results[i].Package, *trimPrefix)
	}
	if err := appendResults(*resultsPath, results); err != nil {
		fmt.Fprintf(stderr, "testreport: %v\n", err)
		return 1
	}
	return 0
}

// collect echoes the output carried by the events and returns one result per test.
func collect(events io.Reader, echo io.Writer, label string) ([]testResult, error) {
	var results []testResult
	// Tests seen starting, per package, so a test cut off by a panic or timeout still counts.
	started := map[string]map[string]bool{}
	failedTests := map[string]int{}
	scanner := bufio.NewScanner(events)
	scanner.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	for scanner.Scan() {
		line := scanner.Bytes()
		var ev testEvent
		if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &ev) != nil {
			fmt.Fprintf(echo, "%s\n", line)
			continue
		}
		switch ev.Action {
		case "output", "build-output":
			fmt.Fprint(echo, ev.Output)
		case "run":
			if started[ev.Package] == nil {
				started[ev.Package] = map[string]bool{}
			}
			started[ev.Package][ev.Test] = true
		case "pass", "fail", "skip":
			if ev.Test == "" {
				results = append(results, packageResults(label, ev, started[ev.Package], failedTests[ev.Package])...)
				delete(started, ev.Package)
				continue
			}
			delete(started[ev.Package], ev.Test)
			if ev.Action == "fail" {
				failedTests[ev.Package]++
			}
			results = append(results, testResult{
				Outcome: strings.ToUpper(ev.Action), Label: label, Package: ev.Package,
				Test: ev.Test, Elapsed: ev.Elapsed,
			})
		}
	}
	return results, scanner.Err()
}

// packageResults turns the end of a package into failures the per-test events did not show: a
// build failure, a crash before any test ran, or tests that never reported because the binary died.
func packageResults(label string, ev testEvent, unfinished map[string]bool, failedTests int) []testResult {
	if ev.Action != "fail" {
		return nil
	}
	var results []testResult
	for _, name := range sortedKeys(unfinished) {
		results = append(results, testResult{
			Outcome: "FAIL", Label: label, Package: ev.Package, Test: name + " (no result)",
		})
	}
	if len(results) == 0 && failedTests == 0 {
		what := "(package)"
		if ev.FailedBuild != "" {
			what = "(build failed)"
		}
		results = append(results, testResult{
			Outcome: "FAIL", Label: label, Package: ev.Package, Test: what, Elapsed: ev.Elapsed,
		})
	}
	return results
}

func appendResults(path string, results []testResult) error {
	file, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("opening results file: %w", err)
	}
	writer := bufio.NewWriter(file)
	for _, result := range results {
		fmt.Fprintf(writer, "%s\t%s\t%s\t%s\t%.2f\n",
			result.Outcome, result.Label, result.Package, result.Test, result.Elapsed)
	}
	if err := writer.Flush(); err != nil {
		file.Close()
		return fmt.Errorf("writing results file: %w", err)
	}
	return file.Close()
}

func summarize(path string, stdout, stderr io.Writer) int {
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(stderr, "testreport: %v\n", err)
		return 1
	}
	results, err := parseResults(string(data))
	if err != nil {
		fmt.Fprintf(stderr, "testreport: %s: %v\n", path, err)
		return 1
	}
	counts := map[string]int{}
	var failures []testResult
	fmt.Fprintln(stdout, "---- test results ----")
	for _, result := range results {
		counts[result.Outcome]++
		if result.Outcome == "FAIL" {
			failures = append(failures, result)
		}
		fmt.Fprintln(stdout, result.line())
	}
	if len(failures) > 0 {
		fmt.Fprintln(stdout, "---- failures ----")
		for _, result := range failures {
			fmt.Fprintln(stdout, result.line())
		}
	}
	summary := fmt.Sprintf("%d passed, %d failed", counts["PASS"], counts["FAIL"])
	if counts["SKIP"] > 0 {
		summary += fmt.Sprintf(", %d skipped", counts["SKIP"])
	}
	fmt.Fprintln(stdout, summary)
	if counts["FAIL"] > 0 || len(results) == 0 {
		return 1
	}
	return 0
}

func parseResults(data string) ([]testResult, error) {
	var results []testResult
	for number, line := range strings.Split(data, "\n") {
		if line == "" {
			continue
		}
		fields := strings.Split(line, "\t")
		if len(fields) != 5 {
			return nil, fmt.Errorf("line %d: want 5 tab-separated fields, got %d", number+1, len(fields))
		}
		elapsed, err := strconv.ParseFloat(fields[4], 64)
		if err != nil {
			return nil, fmt.Errorf("line %d: elapsed time: %w", number+1, err)
		}
		results = append(results, testResult{
			Outcome: fields[0], Label: fields[1], Package: fields[2], Test: fields[3], Elapsed: elapsed,
		})
	}
	return results, nil
}

func sortedKeys(set map[string]bool) []string {
	keys := make([]string, 0, len(set))
	for key := range set {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	return keys
}

type testEvent struct {
	Action      string
	Package     string
	Test        string
	Elapsed     float64
	Output      string
	FailedBuild string
}

type testResult struct {
	Outcome string // PASS, FAIL or SKIP
	Label   string
	Package string
	Test    string
	Elapsed float64
}

func (r testResult) line() string {
	return fmt.Sprintf("%-4s [%s] %s %s (%.2fs)", r.Outcome, r.Label, r.Package, r.Test, r.Elapsed)
}
