package bench

import (
	"slices"
	"time"

	"github.com/kakaocloud-community/terraform-provider-kakaocloud/emulator"
)

// timeline splits a command's wall time by what the provider was doing, from the recorder's
// requests; it shows whether time goes to Terraform, to the changes or to the wait.
type timeline struct {
	FirstRequestMS float64 `json:"first_request_ms"` // command start to the first API request
	ChangesMS      float64 `json:"changes_ms"`       // first add or remove start to the last one's end
	WaitMS         float64 `json:"wait_ms"`          // last add or remove end to the last list end
	TailMS         float64 `json:"tail_ms"`          // last API request end to the command's exit
	// WaitListCalls counts list calls that start after the first add or remove started, so a
	// list interleaved with the changes counts as well.
	WaitListCalls       int `json:"wait_list_calls"`
	ListCallsBefore     int `json:"list_calls_before_changes"`
	PeakChangesInFlight int `json:"peak_changes_in_flight"`
	// SequentialRounds is the largest number of requests that ran one after another without
	// overlapping: at a latency L the command spent at least this many times L on the API.
	SequentialRounds int `json:"sequential_rounds"`
}

func isChange(route string) bool {
	return route == emulator.RouteAddMember || route == emulator.RouteRemoveMember
}

func buildTimeline(start, end time.Time, events []requestEvent, peak map[string]int) timeline {
	tl := timeline{PeakChangesInFlight: max(peak[emulator.RouteAddMember], peak[emulator.RouteRemoveMember])}
	if len(events) == 0 {
		tl.TailMS = ms(end.Sub(start))
		return tl
	}

	first, last := events[0].start, events[0].end
	var changeStart, changeEnd, listEnd time.Time
	for _, ev := range events {
		first, last = earliest(first, ev.start), latest(last, ev.end)
		if isChange(ev.route) {
			changeStart, changeEnd = earliest(changeStart, ev.start), latest(changeEnd, ev.end)
		}
	}
	for _, ev := range events {
		if ev.route != emulator.RouteListMembers {
			continue
		}
		if changeStart.IsZero() || ev.start.Before(changeStart) {
			tl.ListCallsBefore++
			continue
		}
		tl.WaitListCalls++
		listEnd = latest(listEnd, ev.end)
	}

	tl.SequentialRounds = sequentialRounds(events)
	tl.FirstRequestMS = ms(first.Sub(start))
	tl.TailMS = ms(end.Sub(last))
	if !changeStart.IsZero() {
		tl.ChangesMS = ms(changeEnd.Sub(changeStart))
		if listEnd.After(changeEnd) {
			tl.WaitMS = ms(listEnd.Sub(changeEnd))
		}
	}
	return tl
}

// sequentialRounds picks requests by earliest end, each starting after the last one picked
// ended; that greedy choice finds the longest chain of requests that do not overlap.
func sequentialRounds(events []requestEvent) int {
	byEnd := slices.Clone(events)
	slices.SortFunc(byEnd, func(a, b requestEvent) int { return a.end.Compare(b.end) })
	rounds := 0
	var lastEnd time.Time
	for _, ev := range byEnd {
		if rounds == 0 || !ev.start.Before(lastEnd) {
			rounds++
			lastEnd = ev.end
		}
	}
	return rounds
}

// earliest and latest treat the zero time as unset.
func earliest(a, b time.Time) time.Time {
	if a.IsZero() || b.Before(a) {
		return b
	}
	return a
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func ms(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000
}
