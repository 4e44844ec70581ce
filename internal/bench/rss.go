package bench

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// providerComm is what the kernel keeps of the provider's name: 15 characters of
// terraform-provider-kakaocloud_v0.0.1.
const providerComm = "terraform-provi"

// rssWatch samples the peak resident memory (VmHWM) of the provider processes a Terraform
// process starts. Only children of that process count, so the providers other tests on the
// machine run at the same time never enter the figure.
type rssWatch struct {
	parent  int
	every   time.Duration
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
	mu      sync.Mutex
	peakKiB int64
}

func watchProviderRSS(parentPID int, every time.Duration) *rssWatch {
	w := &rssWatch{parent: parentPID, every: every, stop: make(chan struct{}), done: make(chan struct{})}
	go w.run()
	return w
}

func (w *rssWatch) run() {
	defer close(w.done)
	tick := time.NewTicker(w.every)
	defer tick.Stop()
	for {
		w.sample()
		select {
		case <-w.stop:
			return
		case <-tick.C:
		}
	}
}

func (w *rssWatch) sample() {
	for _, pid := range childPIDs(w.parent) {
		name, hwm, ok := readStatus(pid)
		if !ok || !strings.HasPrefix(name, providerComm) {
			continue
		}
		w.mu.Lock()
		w.peakKiB = max(w.peakKiB, hwm)
		w.mu.Unlock()
	}
}

// finish stops sampling and returns the peak in KiB; 0 means no provider process was seen.
func (w *rssWatch) finish() int64 {
	w.once.Do(func() { close(w.stop) })
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.peakKiB
}

// childPIDs reads the children files of every thread of pid; go-plugin may start the provider
// from any of Terraform's threads.
func childPIDs(pid int) []int {
	files, _ := filepath.Glob(filepath.Join("/proc", strconv.Itoa(pid), "task", "*", "children"))
	var pids []int
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, field := range strings.Fields(string(data)) {
			if child, err := strconv.Atoi(field); err == nil {
				pids = append(pids, child)
			}
		}
	}
	return pids
}

// readStatus returns the Name and VmHWM (KiB) lines of /proc/<pid>/status.
func readStatus(pid int) (name string, hwmKiB int64, ok bool) {
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return "", 0, false
	}
	return parseStatus(data)
}

func parseStatus(data []byte) (name string, hwmKiB int64, ok bool) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		key, value, found := strings.Cut(sc.Text(), ":")
		if !found {
			continue
		}
		value = strings.TrimSpace(value)
		switch key {
		case "Name":
			name = value
		case "VmHWM":
			n, err := strconv.ParseInt(strings.TrimSuffix(value, " kB"), 10, 64)
			if err != nil {
				return "", 0, false
			}
			hwmKiB = n
		}
	}
	return name, hwmKiB, name != ""
}
