package mailtest

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"seg/internal/segtest"
)

// BenchmarkSoak (issue 10; `make bench`, never `make test`): 200
// concurrent connections from 50 addresses against a throttled policy
// for SEG_SOAK (default 10m). Each address may have SEG_SOAK_LIMIT
// (default 2000) recipients an hour accepted; every RCPT past that gets
// the policy's 452. At the end every counter must be exact: per address,
// the recipients seg accepted are exactly the limit (or all that address
// offered, if fewer); the sink holds exactly the accepted recipients; the
// refusals the clients saw equal seg's "Rejected by rate limit" lines.
// A throttled client ends its session and comes back a second later, as
// a sending MTA defers. It reports throughput and seg's peak RSS.
//
// A benchmark runs once with b.N = 1 when that takes longer than
// -benchtime, so the soak runs once.
func BenchmarkSoak(b *testing.B) {
	dur := 10 * time.Minute
	if v := os.Getenv("SEG_SOAK"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatalf("SEG_SOAK=%q: %v", v, err)
		}
		dur = d
	}
	limit := 2000
	if v := os.Getenv("SEG_SOAK_LIMIT"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("SEG_SOAK_LIMIT=%q: a positive number", v)
		}
		limit = n
	}
	const addrs, conns, rcptsPerMsg = 50, 200, 5

	sink := segtest.NewSink(b, segtest.SinkOptions{})
	a := segtest.New(b,
		"smtproutes new example.test "+sink.Addr(),
		"listenerconfig edit IncomingMail rcptaccess new example.test ACCEPT",
		fmt.Sprintf("listenerconfig edit IncomingMail hostaccess new policy SOAK ACCEPT --max_rcpts_per_hour=%d --max_msgs_per_session=10 --max_concurrency=10 --max_rcpts_per_msg=25", limit),
		"listenerconfig edit IncomingMail hostaccess new sendergroup SOAKERS 127.0.1.0/24 SOAK --position 1",
	)
	a.Start()

	type tally struct{ accepted, refused, other atomic.Int64 }
	per := make([]tally, addrs)
	var msgs, sessions atomic.Int64
	stop := time.Now().Add(dur)
	refusal := "452 4.5.3 Too many recipients received this hour"

	b.ResetTimer()
	var wg sync.WaitGroup
	for i := 0; i < conns; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			ip := fmt.Sprintf("127.0.1.%d", 1+i%addrs)
			tl := &per[i%addrs]
			cli := segtest.Client{LocalIP: ip, Timeout: 60 * time.Second}
			for n := 0; time.Now().Before(stop); n++ {
				cl, err := cli.Dial(a.SMTPAddr())
				if err != nil {
					tl.other.Add(1)
					continue
				}
				sessions.Add(1)
				// max_msgs_per_session is 10: send 10, then QUIT.
				for m := 0; m < 10 && time.Now().Before(stop); m++ {
					if err := cl.Mail("soak@client.test", nil); err != nil {
						tl.other.Add(1)
						break
					}
					ok, throttled := 0, false
					for r := 0; r < rcptsPerMsg; r++ {
						err := cl.Rcpt(fmt.Sprintf("u%d.%d.%d.%d@example.test", i, n, m, r), nil)
						var se *smtp.SMTPError
						switch {
						case err == nil:
							ok++
							tl.accepted.Add(1)
						case errors.As(err, &se) && fmt.Sprintf("%d %d.%d.%d %s", se.Code, se.EnhancedCode[0], se.EnhancedCode[1], se.EnhancedCode[2], se.Message) == refusal:
							tl.refused.Add(1)
							throttled = true
						default:
							tl.other.Add(1)
						}
					}
					if ok == 0 {
						cl.Reset()
						if throttled {
							break
						}
						continue
					}
					w, err := cl.Data()
					if err == nil {
						fmt.Fprintf(w, "Subject: soak\r\n\r\nsoak from %s\r\n", ip)
						err = w.Close()
					}
					if err != nil {
						tl.other.Add(1)
						break
					}
					msgs.Add(1)
				}
				cl.Quit()
				if tl.refused.Load() > 0 {
					// Throttled, as a real sending MTA would be: it
					// defers and comes back later (a load generator's
					// pace, not a test waiting for something).
					time.Sleep(time.Second)
				}
			}
		}(i)
	}
	wg.Wait()
	b.StopTimer()

	var accepted, refused, other int64
	for i := range per {
		acc, ref := per[i].accepted.Load(), per[i].refused.Load()
		accepted, refused, other = accepted+acc, refused+ref, other+per[i].other.Load()
		if ref > 0 && acc != int64(limit) {
			b.Errorf("127.0.1.%d: %d recipients accepted and %d refused; the limit is %d", 1+i, acc, ref, limit)
		}
		if ref == 0 && acc > int64(limit) {
			b.Errorf("127.0.1.%d: %d recipients accepted, over the limit of %d", 1+i, acc, limit)
		}
	}
	if other > 0 {
		b.Errorf("%d unexpected replies or failed sessions", other)
	}
	// Every accepted recipient reaches the sink.
	delivered := func() int {
		n := 0
		for _, m := range sink.Messages() {
			n += len(m.Rcpts)
		}
		return n
	}
	if !segtest.Poll(5*time.Minute, func() bool { return delivered() >= int(accepted) }) {
		b.Errorf("the sink has %d recipients; seg accepted %d", delivered(), accepted)
	}
	if got := delivered(); got != int(accepted) {
		b.Errorf("the sink has %d recipients; seg accepted %d", got, accepted)
	}
	lines := a.CountLog("Rejected by rate limit: host=")
	if int64(lines) != refused {
		b.Errorf("mail_logs has %d rate-limit rejections; the clients saw %d", lines, refused)
	}
	rss := peakRSS(a.Pid())
	b.ReportMetric(float64(accepted+refused)/dur.Seconds(), "rcpts/s")
	b.ReportMetric(float64(msgs.Load())/dur.Seconds(), "msgs/s")
	b.ReportMetric(float64(rss), "peak-RSS-kB")
	b.Logf("soak %v: %d sessions, %d messages, %d recipients accepted (limit %d per address x %d addresses), %d refused with 452, peak RSS %d kB",
		dur, sessions.Load(), msgs.Load(), accepted, limit, addrs, refused, rss)
}

var vmHWM = regexp.MustCompile(`(?m)^VmHWM:\s+(\d+) kB`)

// peakRSS is a process's peak resident set size in kB (Linux), 0 if
// unknown.
func peakRSS(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	m := vmHWM.FindSubmatch(b)
	if m == nil {
		return 0
	}
	n, _ := strconv.ParseInt(strings.TrimSpace(string(m[1])), 10, 64)
	return n
}
