package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/kakaocloud-community/terraform-provider-kakaocloud/emulator"
)

// Targets of issue 5.
const (
	targetCaseN         = 100
	targetCaseLatencyMS = 50
	targetCaseDelayMS   = 1000
	targetRatio         = 1.25
	targetWaitLists     = 6
	targetRSSN          = 1000
	targetRSSKiB        = 64 * 1024
)

// WriteTable prints the cases, the apply timelines, the plan scenario and the targets.
func WriteTable(w io.Writer, r *Results) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "N\tL\tD\tapply\tplan\tdestroy\ttoken\tlist\tadd\tother\twait lists\tbound\tratio\t"+
		"peak RSS\t")
	for _, c := range r.Cases {
		req := c.Apply.Requests
		l, d := msString(c.LatencyMS), msString(c.DelayMS)
		bound, ratio := secs(c.BoundMS), fmt.Sprintf("%.2f", c.Ratio)
		if c.Baseline {
			l, d, bound, ratio = "base", "base", "-", "-"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t\n", c.N, l, d,
			secs(c.Apply.WallMS), secs(c.Plan.WallMS), secs(c.Destroy.WallMS),
			req[emulator.RouteTokenIssue], req[emulator.RouteListMembers], req[emulator.RouteAddMember],
			otherRequests(req), c.Apply.Timeline.WaitListCalls, bound, ratio, mib(c.PeakRSSKiB))
	}
	tw.Flush()

	fmt.Fprintln(w, "\nApply timeline (where the time goes)")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "N\tL\tD\tto 1st request\tlists before\tadds\tadds in flight\twait\tafter last request\t"+
		"rounds\tplan exit\t")
	for _, c := range r.Cases {
		tl := c.Apply.Timeline
		l, d := msString(c.LatencyMS), msString(c.DelayMS)
		if c.Baseline {
			l, d = "base", "base"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\t%d\t%s\t%s\t%d\t%d\t\n", c.N, l, d, secs(tl.FirstRequestMS),
			tl.ListCallsBefore, secs(tl.ChangesMS), tl.PeakChangesInFlight, secs(tl.WaitMS), secs(tl.TailMS),
			tl.SequentialRounds, c.PlanExitCode)
	}
	tw.Flush()

	if p := r.PlanUnchanged; p != nil {
		fmt.Fprintf(w, "\nPlan of %d unchanged resources (L=%s): %s, exit %d, list_members %d, token_issue %d, "+
			"all requests %s, peak RSS %s\n", p.Resources, msString(p.LatencyMS), secs(p.WallMS), p.ExitCode,
			p.ListMembers, p.TokenIssue, routeList(p.Requests), mib(p.PeakRSSKiB))
	}
	fmt.Fprintln(w, "\nTargets of issue 5")
	for _, t := range checkTargets(r) {
		fmt.Fprintf(w, "  %-8s %s: %s\n", t.verdict, t.name, t.detail)
	}
}

type targetCheck struct {
	name, verdict, detail string
}

func checkTargets(r *Results) []targetCheck {
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "NOT MET"
	}
	notMeasured := func(name string) targetCheck {
		return targetCheck{name: name, verdict: "-", detail: "not measured in this run"}
	}

	var out []targetCheck
	main := findCase(r, caseKey{N: targetCaseN, LatencyMS: targetCaseLatencyMS, DelayMS: targetCaseDelayMS})
	ratioName := fmt.Sprintf("apply N=%d L=%dms D=1s within %.2fx the bound", targetCaseN, targetCaseLatencyMS,
		targetRatio)
	waitName := fmt.Sprintf("at most %d list calls during that apply's wait", targetWaitLists)
	if main == nil {
		out = append(out, notMeasured(ratioName), notMeasured(waitName))
	} else {
		out = append(out,
			targetCheck{ratioName, verdict(main.Ratio <= targetRatio),
				fmt.Sprintf("%s / %s = %.3f", secs(main.Apply.WallMS), secs(main.BoundMS), main.Ratio)},
			targetCheck{waitName, verdict(main.Apply.Timeline.WaitListCalls <= targetWaitLists),
				fmt.Sprintf("%d list calls", main.Apply.Timeline.WaitListCalls)})
	}

	planName := "plan of 50 unchanged resources: 50 list calls and 1 token issue"
	if p := r.PlanUnchanged; p == nil || p.Resources != 50 {
		out = append(out, notMeasured(planName))
	} else {
		ok := p.ListMembers == 50 && p.TokenIssue == 1 && p.ExitCode == 0
		out = append(out, targetCheck{planName, verdict(ok),
			fmt.Sprintf("%d list calls, %d token issues, plan exit %d", p.ListMembers, p.TokenIssue, p.ExitCode)})
	}

	rssName := fmt.Sprintf("provider peak RSS at N=%d under 64 MiB", targetRSSN)
	peak, seen := int64(0), false
	for _, c := range r.Cases {
		if c.N == targetRSSN {
			peak, seen = max(peak, c.PeakRSSKiB), true
		}
	}
	if !seen {
		out = append(out, notMeasured(rssName))
	} else {
		out = append(out, targetCheck{rssName, verdict(peak > 0 && peak < targetRSSKiB), mib(peak)})
	}
	return out
}

func findCase(r *Results, key caseKey) *caseResult {
	for i := range r.Cases {
		if r.Cases[i].caseKey == key {
			return &r.Cases[i]
		}
	}
	return nil
}

// WriteJSON writes the results to dir/<timestamp>.json and returns the path.
func WriteJSON(dir string, r *Results) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, r.StartedAt.Format("20060102T150405Z")+".json")
	return path, os.WriteFile(path, append(data, '\n'), 0o644)
}

// ReadJSON reads a results file that WriteJSON wrote.
func ReadJSON(path string) (*Results, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Results
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &r, nil
}

// Compare prints, for every case both runs measured, the old and new figures and the change.
func Compare(w io.Writer, old, cur *Results) {
	fmt.Fprintf(w, "old: %s (%s)\nnew: %s (%s)\n\n", old.StartedAt.Format("2006-01-02 15:04:05Z"), old.Terraform,
		cur.StartedAt.Format("2006-01-02 15:04:05Z"), cur.Terraform)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "case\tapply\tplan\tdestroy\tratio\tapply requests\twait lists\tpeak RSS\t")
	for _, c := range cur.Cases {
		o := findCase(old, c.caseKey)
		if o == nil {
			fmt.Fprintf(tw, "%s\tonly in new\t\t\t\t\t\t\t\n", c.caseKey)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", c.caseKey,
			change(o.Apply.WallMS, c.Apply.WallMS, secs), change(o.Plan.WallMS, c.Plan.WallMS, secs),
			change(o.Destroy.WallMS, c.Destroy.WallMS, secs), ratioChange(o, &c),
			change(float64(total(o.Apply.Requests)), float64(total(c.Apply.Requests)), count),
			change(float64(o.Apply.Timeline.WaitListCalls), float64(c.Apply.Timeline.WaitListCalls), count),
			change(float64(o.PeakRSSKiB), float64(c.PeakRSSKiB), func(v float64) string { return mib(int64(v)) }))
	}
	for _, o := range old.Cases {
		if findCase(cur, o.caseKey) == nil {
			fmt.Fprintf(tw, "%s\tonly in old\t\t\t\t\t\t\t\n", o.caseKey)
		}
	}
	tw.Flush()

	if o, c := old.PlanUnchanged, cur.PlanUnchanged; o != nil && c != nil {
		fmt.Fprintf(w, "\nplan of unchanged resources (%d -> %d): wall %s, list_members %s, token_issue %s\n",
			o.Resources, c.Resources, change(o.WallMS, c.WallMS, secs),
			change(float64(o.ListMembers), float64(c.ListMembers), count),
			change(float64(o.TokenIssue), float64(c.TokenIssue), count))
	}
}

func ratioChange(o, c *caseResult) string {
	if c.Baseline {
		return "-"
	}
	return change(o.Ratio, c.Ratio, func(v float64) string { return fmt.Sprintf("%.2f", v) })
}

// change renders "old -> new (+x%)", or just the value when it did not move.
func change(old, cur float64, format func(float64) string) string {
	if old == cur {
		return format(cur)
	}
	if old == 0 {
		return fmt.Sprintf("%s -> %s", format(old), format(cur))
	}
	return fmt.Sprintf("%s -> %s (%+.0f%%)", format(old), format(cur), (cur-old)/old*100)
}

func total(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

func otherRequests(m map[string]int64) int64 {
	return total(m) - m[emulator.RouteTokenIssue] - m[emulator.RouteListMembers] - m[emulator.RouteAddMember]
}

func routeList(m map[string]int64) string {
	parts := make([]string, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s=%d", k, m[k]))
	}
	return strings.Join(parts, " ")
}

func secs(v float64) string { return fmt.Sprintf("%.2fs", v/1000) }

func count(v float64) string { return fmt.Sprintf("%.0f", v) }

func mib(kib int64) string {
	if kib <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f MiB", float64(kib)/1024)
}

// msString prints 50 as 50ms and 1000 as 1s.
func msString(v float64) string {
	if v >= 1000 && int64(v)%1000 == 0 {
		return fmt.Sprintf("%ds", int64(v)/1000)
	}
	return fmt.Sprintf("%gms", v)
}
