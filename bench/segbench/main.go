// Command segbench holds the measurements of `make bench` that
// smtp-source cannot make (bench/table.sh runs them):
//
//	segbench latency -addr A -sessions N -msgs M -size B
//	    acceptance latency: per message, from the end of DATA (the final
//	    dot sent) to the 250; prints JSON {"p50_ms":..,"p99_ms":..}
//	segbench idle -addr A -n N -pid P -from 127.0.1.1
//	    opens N SMTP connections that read the greeting and stay idle,
//	    from source addresses counting up from -from (max_concurrency is
//	    per IP); prints seg's RSS before and with them, per connection
//	segbench fill -dir DATA/queue -msgs M -rcpts R -domains D
//	    writes M messages of R recipients each over D domains straight
//	    into a stopped seg's queue (mta/queue), for the restart and
//	    tophosts figures of a queue of M*R recipients
//	segbench commitlat -seg BIN -data D -addr A -from IP -n N
//	    N commits, each adding a RAT entry for a new domain; per commit,
//	    the time until `seg cli ... commit` returned and until an SMTP
//	    probe from IP first had its RCPT to that domain accepted (the
//	    commit's effect on the listener); prints p50/p99 of both
//	segbench stall -addr A
//	    a receiver that accepts connections and never greets: the
//	    destination of the filled queue, so delivery neither finishes
//	    nor churns while tophosts is timed
//
// Loopback only: every address is checked to be 127.0.0.0/8.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"

	"seg/mta/queue"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: segbench latency|idle|fill|stall [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "latency":
		err = latency(os.Args[2:])
	case "idle":
		err = idle(os.Args[2:])
	case "fill":
		err = fill(os.Args[2:])
	case "stall":
		err = stall(os.Args[2:])
	case "commitlat":
		err = commitlat(os.Args[2:])
	default:
		err = fmt.Errorf("unknown measurement %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "segbench:", err)
		os.Exit(1)
	}
}

func loopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%s: loopback addresses only", addr)
	}
	return nil
}

func printJSON(v any) {
	b, _ := json.Marshal(v)
	fmt.Println(string(b))
}

// latency sends msgs messages over sessions sessions and times each
// message's final dot to its 250.
func latency(args []string) error {
	fs := flag.NewFlagSet("latency", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:2525", "relay to load")
	sessions := fs.Int("sessions", 20, "concurrent sessions")
	msgs := fs.Int("msgs", 2000, "messages in all")
	size := fs.Int("size", 4096, "message size in bytes")
	rcpt := fs.String("to", "rcpt@example.test", "recipient")
	fs.Parse(args)
	if err := loopback(*addr); err != nil {
		return err
	}
	body := message(*size)
	work := make(chan int, *msgs)
	for i := range *msgs {
		work <- i
	}
	close(work)
	var mu sync.Mutex
	var lat []time.Duration
	errs := 0
	var wg sync.WaitGroup
	start := time.Now()
	for range *sessions {
		wg.Go(func() {
			var c *smtp.Client
			for range work {
				if c == nil {
					var err error
					if c, err = smtp.Dial(*addr); err != nil {
						mu.Lock()
						errs++
						mu.Unlock()
						continue
					}
					if err := c.Hello("client.test"); err != nil {
						c.Close()
						c = nil
						continue
					}
				}
				d, err := send(c, *rcpt, body)
				mu.Lock()
				if err != nil {
					errs++
					c.Close()
					c = nil
				} else {
					lat = append(lat, d)
				}
				mu.Unlock()
			}
			if c != nil {
				c.Quit()
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if len(lat) == 0 {
		return fmt.Errorf("no message accepted (%d errors)", errs)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	q := func(p float64) float64 {
		i := int(p * float64(len(lat)-1))
		return float64(lat[i].Microseconds()) / 1000
	}
	printJSON(map[string]any{"accepted": len(lat), "errors": errs, "p50_ms": q(0.50), "p99_ms": q(0.99),
		"max_ms": q(1), "accept_per_s": float64(len(lat)) / elapsed.Seconds()})
	return nil
}

// send runs one transaction and returns the time from the end of the
// data to the 250.
func send(c *smtp.Client, rcpt string, body []byte) (time.Duration, error) {
	if err := c.Mail("sender@client.test", nil); err != nil {
		return 0, err
	}
	if err := c.Rcpt(rcpt, nil); err != nil {
		return 0, err
	}
	w, err := c.Data()
	if err != nil {
		return 0, err
	}
	if _, err := w.Write(body); err != nil {
		return 0, err
	}
	t0 := time.Now()
	if err := w.Close(); err != nil { // the final dot, then the reply
		return 0, err
	}
	return time.Since(t0), nil
}

func message(size int) []byte {
	var b strings.Builder
	b.WriteString("From: <sender@client.test>\r\nTo: <rcpt@example.test>\r\nSubject: segbench\r\n\r\n")
	line := "The quick brown fox jumps over the lazy dog 0123456789 abcdefghij.\r\n"
	for b.Len() < size {
		b.WriteString(line)
	}
	return []byte(b.String()[:size-2] + "\r\n")
}

// idle opens n connections that read the greeting and stay open, and
// reports seg's resident memory before and with them.
func idle(args []string) error {
	fs := flag.NewFlagSet("idle", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:2525", "listener")
	n := fs.Int("n", 10000, "connections")
	pid := fs.Int("pid", 0, "seg's process id (its RSS is read from /proc)")
	from := fs.String("from", "127.0.1.1", "first source address")
	perIP := fs.Int("per-ip", 500, "connections per source address")
	fs.Parse(args)
	if err := loopback(*addr); err != nil {
		return err
	}
	base := net.ParseIP(*from).To4()
	if base == nil || !base.IsLoopback() {
		return fmt.Errorf("-from %s: a loopback IPv4 address", *from)
	}
	before, err := rss(*pid)
	if err != nil {
		return err
	}
	conns := make([]net.Conn, 0, *n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	start := time.Now()
	for i := range *n {
		src := net.IPv4(base[0], base[1], base[2]+byte(i / *perIP / 250), base[3]+byte(i / *perIP % 250))
		d := net.Dialer{Timeout: 10 * time.Second, LocalAddr: &net.TCPAddr{IP: src}}
		c, err := d.Dial("tcp", *addr)
		if err != nil {
			return fmt.Errorf("connection %d from %s: %v", i, src, err)
		}
		conns = append(conns, c)
		c.SetReadDeadline(time.Now().Add(30 * time.Second))
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil || !strings.HasPrefix(line, "220") {
			return fmt.Errorf("connection %d from %s: greeting %q, %v", i, src, line, err)
		}
	}
	opened := time.Since(start)
	// Let seg settle (buffers, goroutine stacks), then read its RSS.
	deadline := time.Now().Add(3 * time.Second)
	with, _ := rss(*pid)
	for time.Now().Before(deadline) {
		time.Sleep(250 * time.Millisecond)
		r, err := rss(*pid)
		if err != nil {
			return err
		}
		with = max(with, r)
	}
	// Every connection is still open: none was dropped.
	alive := 0
	for _, c := range conns {
		c.SetReadDeadline(time.Now().Add(time.Millisecond))
		var b [1]byte
		if _, err := c.Read(b[:]); err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				alive++
			}
		}
	}
	printJSON(map[string]any{"connections": *n, "alive": alive, "open_s": opened.Seconds(),
		"rss_before_mb": mb(before), "rss_with_mb": mb(with), "kb_per_conn": float64(with-before) / 1024 / float64(*n)})
	return nil
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }

// rss returns pid's resident set size in bytes.
func rss(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			return kb * 1024, err
		}
	}
	return 0, fmt.Errorf("no VmRSS for %d", pid)
}

// fill writes msgs messages of rcpts recipients each into a queue.
func fill(args []string) error {
	fs := flag.NewFlagSet("fill", flag.ExitOnError)
	dir := fs.String("dir", "", "the queue directory (DATA/queue) of a stopped seg")
	msgs := fs.Int("msgs", 10000, "messages")
	rcpts := fs.Int("rcpts", 100, "recipients per message")
	domains := fs.Int("domains", 1000, "recipient domains (dN.test)")
	size := fs.Int("size", 2048, "message size")
	fs.Parse(args)
	if *dir == "" {
		return fmt.Errorf("-dir is required")
	}
	q, err := queue.Open(*dir, queue.Options{})
	if err != nil {
		return err
	}
	body := message(*size)
	start := time.Now()
	var wg sync.WaitGroup
	work := make(chan int, 64)
	var mu sync.Mutex
	var ferr error
	for range 16 {
		wg.Go(func() {
			for i := range work {
				m := &queue.Message{MID: q.NextMID(), From: "sender@client.test", Received: time.Now(),
					Size: int64(len(body)), RemoteIP: "127.0.0.1", Listener: "IncomingMail", Subject: "segbench fill", Policy: "DEFAULT"}
				for r := range *rcpts {
					d := (i*(*rcpts) + r) % *domains
					m.Rcpts = append(m.Rcpts, queue.Recipient{RID: r, Addr: fmt.Sprintf("u%d@d%d.test", i, d)})
				}
				if err := q.Enqueue(m, body); err != nil {
					mu.Lock()
					ferr = err
					mu.Unlock()
				}
			}
		})
	}
	for i := range *msgs {
		work <- i
	}
	close(work)
	wg.Wait()
	if err := q.Close(); err != nil && ferr == nil {
		ferr = err
	}
	if ferr != nil {
		return ferr
	}
	printJSON(map[string]any{"messages": *msgs, "recipients": *msgs * *rcpts, "domains": *domains, "fill_s": time.Since(start).Seconds()})
	return nil
}

// stall accepts connections and never answers.
func stall(args []string) error {
	fs := flag.NewFlagSet("stall", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:2599", "address")
	fs.Parse(args)
	if err := loopback(*addr); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	for {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		go io.Copy(io.Discard, c) // never greeted, never closed by us
	}
}

// commitlat times commits and their effect on the listener.
func commitlat(args []string) error {
	fs := flag.NewFlagSet("commitlat", flag.ExitOnError)
	bin := fs.String("seg", "bin/seg", "the seg binary")
	data := fs.String("data", "", "seg's data directory")
	addr := fs.String("addr", "127.0.0.1:2525", "listener")
	from := fs.String("from", "127.0.0.5", "probe source address (not a RELAY host: the RAT applies)")
	n := fs.Int("n", 20, "commits")
	fs.Parse(args)
	if err := loopback(*addr); err != nil {
		return err
	}
	var commits, effects []time.Duration
	for i := range *n {
		domain := fmt.Sprintf("c%d-%d.test", time.Now().UnixNano()%1e6, i)
		start := time.Now()
		done := make(chan error, 1)
		go func() {
			out, err := exec.Command(*bin, "cli", "--data", *data,
				"listenerconfig edit IncomingMail rcptaccess new "+domain+" ACCEPT ; commit bench").CombinedOutput()
			if err != nil {
				err = fmt.Errorf("%v: %s", err, out)
			}
			done <- err
		}()
		var commitT, effectT time.Duration
		for effectT == 0 || commitT == 0 {
			select {
			case err := <-done:
				if err != nil {
					return err
				}
				commitT = time.Since(start)
			default:
			}
			if effectT == 0 {
				ok, err := probe(*addr, *from, "u@"+domain)
				if err != nil {
					return err
				}
				if ok {
					effectT = time.Since(start)
				}
			} else {
				time.Sleep(time.Millisecond)
			}
			if time.Since(start) > time.Minute {
				return fmt.Errorf("commit %d: no effect within a minute", i)
			}
		}
		commits = append(commits, commitT)
		effects = append(effects, effectT)
	}
	pct := func(d []time.Duration, p float64) float64 {
		s := append([]time.Duration(nil), d...)
		sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
		return float64(s[int(p*float64(len(s)-1))].Microseconds()) / 1000
	}
	printJSON(map[string]any{"commits": *n, "commit_p50_ms": pct(commits, .5), "commit_p99_ms": pct(commits, .99),
		"effect_p50_ms": pct(effects, .5), "effect_p99_ms": pct(effects, .99)})
	return nil
}

// probe reports whether rcpt is accepted now for a client at from.
func probe(addr, from, rcpt string) (bool, error) {
	d := net.Dialer{Timeout: 10 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		return false, err
	}
	c := smtp.NewClient(nc)
	defer c.Close()
	if err := c.Hello("probe.test"); err != nil {
		return false, err
	}
	if err := c.Mail("probe@client.test", nil); err != nil {
		return false, err
	}
	err = c.Rcpt(rcpt, nil)
	c.Quit()
	return err == nil, nil
}
