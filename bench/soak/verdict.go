package main

import (
	"fmt"
	"io"
	"sort"
	"time"
)

// Flatness thresholds: the last window's median against the warm-up
// window's. A median over 60 samples ignores a single GC cycle or a
// flap phase; each window spans several flap cycles (2 min).
//   - RSS: +20% and 16 MiB. Go's collector lets the heap grow to twice
//     the live heap (GOGC=100) and returns pages lazily, so RSS wobbles
//     by tens of percent between cycles; a leak of 1 KiB per message at
//     20 msgs/s over the 40 minutes between the windows is 47 MiB, well
//     past the bound at seg's RSS here.
//   - goroutines and open files: +10% and 10. Each open SMTP session
//     (in or out) holds a goroutine and a socket, and how many are open
//     at a sampling instant varies with the flapping sink; a leak of one
//     per commit (40 commits between the windows) or per 1,000 messages
//     (48) shows.
const (
	rssRatio, rssSlack = 1.20, 16 << 20
	cntRatio, cntSlack = 1.10, 10
)

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// windows are the warm-up window (minutes 10-20 of an hour; a sixth to a
// third of a shorter run) and the last 10 minutes (the last sixth).
func windows(total time.Duration) (w0, w1, l0 time.Duration) {
	if total >= 30*time.Minute {
		return 10 * time.Minute, 20 * time.Minute, total - 10*time.Minute
	}
	return total / 6, total / 3, total - total/6
}

type flatness struct {
	name             string
	warm, last       float64 // medians of the steady samples
	nWarm, nLast     int     // how many
	allWarm, allLast float64 // medians of every sample, for comparison
	limit            float64
	ok               bool
}

// steadyTDC: the TDC queue holds copies back while the machine's CPU is
// saturated (mta/tdc doc: background priority, up to 60 s), and its open
// connections (a goroutine and a socket each) wait with them; on a
// machine shared with other work that comes and goes with the other
// work. A sample with this many copies queued or more (2 s of inbound
// mail at the default rate) is taken during a hold; flatness compares
// the others, unless a window has fewer than 10 of them.
const steadyTDC = 20

func checkFlat(samples []sample, total time.Duration) []flatness {
	w0, w1, l0 := windows(total)
	pick := func(f func(sample) float64, from, to time.Duration, steady bool) []float64 {
		var v []float64
		for _, s := range samples {
			if s.phase == "load" && s.t >= from && s.t <= to && (!steady || s.tdcQueue < steadyTDC) {
				v = append(v, f(s))
			}
		}
		return v
	}
	pickSteady := func(f func(sample) float64, from, to time.Duration) []float64 {
		if v := pick(f, from, to, true); len(v) >= 10 || len(v) == len(pick(f, from, to, false)) {
			return v
		}
		return pick(f, from, to, false)
	}
	var out []flatness
	for _, m := range []struct {
		name         string
		f            func(sample) float64
		ratio, slack float64
	}{
		{"rss_bytes", func(s sample) float64 { return s.rss }, rssRatio, rssSlack},
		{"goroutines", func(s sample) float64 { return s.goroutines }, cntRatio, cntSlack},
		{"open_fds", func(s sample) float64 { return s.fds }, cntRatio, cntSlack},
	} {
		vw, vl := pickSteady(m.f, w0, w1), pickSteady(m.f, l0, total)
		warm, last := median(vw), median(vl)
		limit := warm*m.ratio + m.slack
		out = append(out, flatness{name: m.name, warm: warm, last: last, nWarm: len(vw), nLast: len(vl),
			allWarm: median(pick(m.f, w0, w1, false)), allLast: median(pick(m.f, l0, total, false)), limit: limit, ok: last <= limit})
	}
	return out
}

// loss is the account of every acknowledged message.
type loss struct {
	acked       int
	missing     map[string][]string // kind -> ids not accounted for
	dups        int                 // (id, rcpt) delivered more than once
	missingTDC  []string
	dupTDC      int
	bounceAtRly int // a reject-* recipient the main sink accepted: never
}

func checkLoss(acked []sent, main, flap, tdc, senders *sink) loss {
	lo := loss{acked: len(acked), missing: map[string][]string{}}
	for _, s := range acked {
		var n int
		switch s.kind {
		case kRelay, kInbound:
			n = main.count(s.id, s.rcpt)
		case kFlap:
			n = flap.count(s.id, s.rcpt)
		case kBounce:
			// The DSN goes to the envelope sender; it quotes the
			// original's headers, Message-ID included.
			n = senders.count(s.id, "sender@client.test")
			lo.bounceAtRly += main.count(s.id, s.rcpt)
		}
		if n == 0 {
			lo.missing[kindNames[s.kind]] = append(lo.missing[kindNames[s.kind]], s.id)
		} else if n > 1 {
			lo.dups += n - 1
		}
		if s.kind == kInbound {
			switch c := tdc.count(s.id, "journal@intake.test"); {
			case c == 0:
				lo.missingTDC = append(lo.missingTDC, s.id)
			case c > 1:
				lo.dupTDC += c - 1
			}
		}
	}
	return lo
}

func (lo loss) missingTotal() int {
	n := len(lo.missingTDC)
	for _, v := range lo.missing {
		n += len(v)
	}
	return n
}

func (lo loss) print(w io.Writer) {
	fmt.Fprintf(w, "acknowledged (250) messages: %d\n", lo.acked)
	for k := kind(0); k < nKinds; k++ {
		ids := lo.missing[kindNames[k]]
		fmt.Fprintf(w, "  %-8s not delivered: %d", kindNames[k], len(ids))
		if len(ids) > 0 {
			fmt.Fprintf(w, " (first: %s)", ids[0])
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "  TDC copies missing: %d", len(lo.missingTDC))
	if len(lo.missingTDC) > 0 {
		fmt.Fprintf(w, " (first: %s)", lo.missingTDC[0])
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  duplicate deliveries: %d (TDC copies: %d); reject-* recipients accepted by the sink: %d\n", lo.dups, lo.dupTDC, lo.bounceAtRly)
}
