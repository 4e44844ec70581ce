package client

import (
	"context"
	"sync"
)

// AdaptiveLimiter bounds concurrent writes. Its limit starts at the maximum, halves (never below
// one) when a call was throttled, and grows by one after each run of limit-many successes, back to
// the maximum. Waiters are served in arrival order.
type AdaptiveLimiter struct {
	mu        sync.Mutex
	ceiling   int
	limit     int
	inUse     int
	successes int
	// inFlightAtCut counts the releases still due from calls started before the last cut; their
	// throttling was caused by the old limit, so it must not halve the new one again.
	inFlightAtCut int
	waiters       []chan struct{}
}

// NewAdaptiveLimiter returns a limiter allowing maxLimit concurrent holders; below one means one.
func NewAdaptiveLimiter(maxLimit int) *AdaptiveLimiter {
	maxLimit = max(maxLimit, 1)
	return &AdaptiveLimiter{ceiling: maxLimit, limit: maxLimit}
}

// Acquire waits for a slot, or returns ctx.Err() when ctx ends first. Every nil return must be
// paired with one Release.
func (l *AdaptiveLimiter) Acquire(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	l.mu.Lock()
	if len(l.waiters) == 0 && l.inUse < l.limit {
		l.inUse++
		l.mu.Unlock()
		return nil
	}
	granted := make(chan struct{})
	l.waiters = append(l.waiters, granted)
	l.mu.Unlock()
	select {
	case <-granted:
		return nil
	case <-ctx.Done():
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, w := range l.waiters {
		if w == granted {
			l.waiters = append(l.waiters[:i], l.waiters[i+1:]...)
			return ctx.Err()
		}
	}
	// The slot was granted while ctx ended: hand it on without counting an outcome.
	l.inUse--
	l.grantLocked()
	return ctx.Err()
}

// Release returns a slot. throttled says the call holding it was answered 429.
func (l *AdaptiveLimiter) Release(throttled bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.inUse > 0 {
		l.inUse--
	}
	startedBeforeCut := l.inFlightAtCut > 0
	if startedBeforeCut {
		l.inFlightAtCut--
	}
	switch {
	case throttled && !startedBeforeCut:
		l.limit = max(1, l.limit/2)
		l.successes = 0
		l.inFlightAtCut = l.inUse
	case throttled:
		l.successes = 0
	default:
		l.successes++
		if l.limit < l.ceiling && l.successes >= l.limit {
			l.limit++
			l.successes = 0
		}
	}
	l.grantLocked()
}

// Limit returns the current limit.
func (l *AdaptiveLimiter) Limit() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.limit
}

func (l *AdaptiveLimiter) grantLocked() {
	for len(l.waiters) > 0 && l.inUse < l.limit {
		next := l.waiters[0]
		l.waiters = l.waiters[1:]
		l.inUse++
		close(next)
	}
}
