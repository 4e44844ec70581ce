package emulator

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"time"
)

const htmlFaultPage = "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>" +
	"<body><h1>502 Bad Gateway</h1><p>The upstream server did not answer.</p></body></html>\n"

// setFaultsLocked replaces the faults and restarts their counts and random sequence.
func (s *Server) setFaultsLocked(f Faults) {
	s.faults = f.clone()
	s.faultRNG = rand.New(rand.NewPCG(uint64(f.Seed), 0x6b616b616f))
	s.ruleHits = make([]int, len(f.Rules))
	s.ruleFail = make([]int, len(f.Rules))
}

// pickFault decides, under the lock so counts stay exact under concurrency, whether this
// request fails and how.
func (s *Server) pickFault(rt route) chosenFault {
	s.mu.Lock()
	defer s.mu.Unlock()

	imageID := rt.imageKey()
	for i, rule := range s.faults.Rules {
		if rule.Route == "" && !slices.Contains(imageRoutes, rt.name) ||
			rule.Route != "" && rule.Route != rt.name ||
			rule.ImageID != "" && rule.ImageID != imageID {
			continue
		}
		s.ruleHits[i]++
		n := s.ruleHits[i]
		if rule.Times > 0 && s.ruleFail[i] >= rule.Times {
			continue
		}
		if n <= rule.After || rule.Every > 0 && n%rule.Every != 0 {
			continue
		}
		s.ruleFail[i]++
		s.counters.Faults[rule.Action]++
		retry := rule.RetryAfter
		if retry <= 0 {
			retry = s.faults.RetryAfter
		}
		return chosenFault{action: rule.Action, retryAfter: retry}
	}

	routes := s.faults.Routes
	if len(routes) == 0 {
		routes = imageRoutes
	}
	total := s.faults.Rate503 + s.faults.Rate429 + s.faults.RateDrop
	if total <= 0 || !slices.Contains(routes, rt.name) {
		return chosenFault{}
	}
	var action string
	switch x := s.faultRNG.Float64(); {
	case x < s.faults.Rate503:
		action = Fault503
	case x < s.faults.Rate503+s.faults.Rate429:
		action = Fault429
	case x < total:
		action = FaultDrop
	default:
		return chosenFault{}
	}
	s.counters.Faults[action]++
	return chosenFault{action: action, retryAfter: s.faults.RetryAfter}
}

// writeFault answers for a fault that replaces the whole answer.
func writeFault(w http.ResponseWriter, f chosenFault) {
	switch f.action {
	case Fault503:
		writeError(w, http.StatusServiceUnavailable, "The service is temporarily overloaded; try again later.")
	case Fault429:
		w.Header().Set("Retry-After", strconv.FormatInt(retryAfterSeconds(f.retryAfter), 10))
		writeError(w, http.StatusTooManyRequests, "Too many requests; slow down.")
	case Fault500:
		writeError(w, http.StatusInternalServerError, "An internal error occurred.")
	case Fault502:
		writeError(w, http.StatusBadGateway, "The upstream service did not answer.")
	case FaultHTML:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte(htmlFaultPage))
	}
}

func retryAfterSeconds(d time.Duration) int64 {
	return max(1, int64(math.Ceil(d.Seconds())))
}

// mangle spoils an answer the handler already produced; the change itself took effect.
func mangle(rec *recorder, action string) {
	body := rec.body.Bytes()
	switch action {
	case FaultEmpty:
		rec.body.Reset()
	case FaultTruncate:
		rec.body.Truncate(len(body) / 2)
	case FaultContentType:
		rec.header.Set("Content-Type", "text/plain; charset=utf-8")
	case FaultMistype:
		var v any
		if json.Unmarshal(body, &v) != nil {
			return
		}
		out, err := json.Marshal(mistype(v))
		if err != nil {
			return
		}
		rec.body.Reset()
		rec.body.Write(out)
	}
}

// mistype turns every string into a number, the way a server with a broken serializer would.
func mistype(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			t[k] = mistype(e)
		}
		return t
	case []any:
		for i, e := range t {
			t[i] = mistype(e)
		}
		return t
	case string:
		return len(t)
	}
	return v
}

type chosenFault struct {
	action     string
	retryAfter time.Duration
}
