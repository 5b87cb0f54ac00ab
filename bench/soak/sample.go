package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// sample is one reading, every 10 s.
type sample struct {
	t          time.Duration // since the load started
	phase      string        // "load" or "drain"
	rss        float64       // bytes, process_resident_memory_bytes
	goroutines float64       // go_goroutines
	fds        float64       // process_open_fds
	queue      float64       // sum of seg_queue_active_recipients over domains
	cpu        float64       // seconds, process_cpu_seconds_total
	tdcQueue   float64       // seg_queue_active_recipients{domain="the.tdc.queue"}
	connsOut   float64       // sum of seg_connections_out
	load1      float64       // the machine's 1-minute load average (/proc/loadavg)
	acked      int           // messages acknowledged so far
	flapUp     bool
	commits    int
}

var httpClient = &http.Client{Timeout: 5 * time.Second}

// scrape reads seg's Prometheus endpoint. The exposition text format is
// "NAME{LABELS} VALUE" per line; only the four series are needed.
func scrape(addr string) (m metricsRead, err error) {
	resp, err := httpClient.Get("http://" + addr + "/metrics")
	if err != nil {
		return m, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return m, fmt.Errorf("metrics: %s", resp.Status)
	}
	seen := 0
	sc := bufio.NewScanner(io.LimitReader(resp.Body, 16<<20))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		sp := strings.LastIndexByte(line, ' ')
		if sp < 0 {
			continue
		}
		name := line[:sp]
		if i := strings.IndexByte(name, '{'); i >= 0 {
			name = name[:i]
		}
		v, perr := strconv.ParseFloat(line[sp+1:], 64)
		if perr != nil {
			continue
		}
		switch name {
		case "process_resident_memory_bytes":
			m.rss, seen = v, seen|1
		case "go_goroutines":
			m.goroutines, seen = v, seen|2
		case "process_open_fds":
			m.fds, seen = v, seen|4
		case "process_cpu_seconds_total":
			m.cpu = v
		case "seg_queue_active_recipients":
			m.queue += v
			if strings.Contains(line, `domain="the.tdc.queue"`) {
				m.tdcQueue = v
			}
		case "seg_connections_out":
			m.connsOut += v
		}
	}
	if err := sc.Err(); err != nil {
		return m, err
	}
	if seen != 7 {
		return m, fmt.Errorf("metrics: the process and Go collectors are missing (seen %b)", seen)
	}
	return m, nil
}

// metricsRead is what one scrape gives.
type metricsRead struct{ rss, goroutines, fds, queue, cpu, tdcQueue, connsOut float64 }

const csvHeader = "seconds,phase,rss_mib,goroutines,open_fds,queue_recipients,acked_total,flap_up,commits,cpu_seconds,tdc_queue,conns_out,load1"

func (s sample) csv() string {
	up := 0
	if s.flapUp {
		up = 1
	}
	return fmt.Sprintf("%d,%s,%.1f,%d,%d,%d,%d,%d,%d,%.2f,%d,%d,%.2f", int(s.t.Seconds()), s.phase, s.rss/(1<<20),
		int(s.goroutines), int(s.fds), int(s.queue), s.acked, up, s.commits, s.cpu, int(s.tdcQueue), int(s.connsOut), s.load1)
}

// loadavg1 is the machine's 1-minute load average, 0 if unreadable: the
// context for the TDC queue's holds (mta/tdc doc: copies wait while
// the CPU is saturated).
func loadavg1() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}
