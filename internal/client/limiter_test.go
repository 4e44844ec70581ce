package client

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestAdaptiveLimiterLimit(t *testing.T) {
	// Each step is one sequential Acquire then Release(throttled), so nothing is in flight.
	tests := []struct {
		name       string
		max        int
		throttled  []bool
		wantLimits []int
	}{
		{name: "max below one is one", max: 0, throttled: []bool{false}, wantLimits: []int{1}},
		{name: "successes at the max change nothing", max: 4, throttled: []bool{false, false}, wantLimits: []int{4, 4}},
		{name: "each 429 halves down to one", max: 16, throttled: []bool{true, true, true, true, true, true},
			wantLimits: []int{8, 4, 2, 1, 1, 1}},
		{name: "odd limits round down", max: 7, throttled: []bool{true, true}, wantLimits: []int{3, 1}},
		{name: "grows by one per run of limit-many successes", max: 8,
			throttled:  []bool{true, true, false, false, false, false, false, false, false, false, false, false},
			wantLimits: []int{4, 2, 2, 3, 3, 3, 4, 4, 4, 4, 5, 5}},
		{name: "a 429 restarts the run", max: 8, throttled: []bool{true, true, false, true, false, false},
			wantLimits: []int{4, 2, 2, 1, 2, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := NewAdaptiveLimiter(tt.max)
			for i, throttled := range tt.throttled {
				if err := l.Acquire(t.Context()); err != nil {
					t.Fatal(err)
				}
				l.Release(throttled)
				if got := l.Limit(); got != tt.wantLimits[i] {
					t.Fatalf("step %d: Limit = %d, want %d", i, got, tt.wantLimits[i])
				}
			}
		})
	}
}

func TestAdaptiveLimiterRecoversToMax(t *testing.T) {
	l := NewAdaptiveLimiter(16)
	for range 10 {
		_ = l.Acquire(t.Context())
		l.Release(true)
	}
	for range 200 {
		_ = l.Acquire(t.Context())
		l.Release(false)
	}
	if got := l.Limit(); got != 16 {
		t.Errorf("Limit after many successes = %d, want 16", got)
	}
}

func TestAdaptiveLimiterOneCutPerBurst(t *testing.T) {
	// Eight calls in flight all throttled by the same overload cut the limit once, not eight times.
	l := NewAdaptiveLimiter(8)
	for range 8 {
		if err := l.Acquire(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	for range 8 {
		l.Release(true)
	}
	if got := l.Limit(); got != 4 {
		t.Errorf("Limit = %d, want 4", got)
	}
	_ = l.Acquire(t.Context())
	l.Release(true)
	if got := l.Limit(); got != 2 {
		t.Errorf("a 429 after the burst: Limit = %d, want 2", got)
	}
}

func TestAdaptiveLimiterBoundsConcurrency(t *testing.T) {
	tests := []struct {
		name          string
		max           int
		throttleEvery int // 0: never
	}{
		{name: "steady", max: 4},
		{name: "throttled", max: 8, throttleEvery: 3},
		{name: "single slot", max: 1, throttleEvery: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := NewAdaptiveLimiter(tt.max)
			var inFlight, peak, calls atomic.Int32
			var wg sync.WaitGroup
			for range 64 {
				wg.Go(func() {
					if err := l.Acquire(t.Context()); err != nil {
						t.Error(err)
						return
					}
					now := inFlight.Add(1)
					for {
						old := peak.Load()
						if now <= old || peak.CompareAndSwap(old, now) {
							break
						}
					}
					time.Sleep(time.Millisecond)
					inFlight.Add(-1)
					n := calls.Add(1)
					l.Release(tt.throttleEvery > 0 && n%int32(tt.throttleEvery) == 0)
				})
			}
			wg.Wait()
			if p := peak.Load(); p > int32(tt.max) || p < 1 {
				t.Errorf("peak concurrency = %d, want 1..%d", p, tt.max)
			}
			if l.inUse != 0 || len(l.waiters) != 0 {
				t.Errorf("after all releases: inUse %d, waiters %d", l.inUse, len(l.waiters))
			}
		})
	}
}

func TestAdaptiveLimiterAcquireEndsWithContext(t *testing.T) {
	l := NewAdaptiveLimiter(1)
	if err := l.Acquire(t.Context()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	if err := l.Acquire(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Acquire = %v, want context.DeadlineExceeded", err)
	}
	canceled, cancelNow := context.WithCancel(t.Context())
	cancelNow()
	if err := l.Acquire(canceled); !errors.Is(err, context.Canceled) {
		t.Fatalf("Acquire with an ended context = %v", err)
	}
	l.Release(false)
	// The abandoned waiters must not hold the slot.
	done := make(chan error, 1)
	go func() { done <- l.Acquire(t.Context()) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the slot was lost to a waiter that gave up")
	}
}

func TestAdaptiveLimiterCancelRaceKeepsSlots(t *testing.T) {
	// Waiters that give up while slots are being handed to them must not leak those slots.
	l := NewAdaptiveLimiter(2)
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(t.Context(), time.Duration(i%5)*100*time.Microsecond)
			defer cancel()
			if l.Acquire(ctx) == nil {
				l.Release(i%7 == 0)
			}
		})
	}
	wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.inUse != 0 || len(l.waiters) != 0 {
		t.Errorf("inUse %d, waiters %d; want 0 and 0", l.inUse, len(l.waiters))
	}
}
