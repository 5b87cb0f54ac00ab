package main

import (
	"testing"
	"time"
)

// series makes an hour of samples every 10 s with f giving
// (rss, goroutines, fds, tdcQueue) at each time.
func series(total time.Duration, f func(t time.Duration) (float64, float64, float64, float64)) []sample {
	var out []sample
	for t := time.Duration(0); t <= total; t += 10 * time.Second {
		rss, g, fd, tdc := f(t)
		out = append(out, sample{t: t, phase: "load", rss: rss, goroutines: g, fds: fd, tdcQueue: tdc})
	}
	return out
}

func verdicts(fl []flatness) map[string]bool {
	m := map[string]bool{}
	for _, f := range fl {
		m[f.name] = f.ok
	}
	return m
}

func TestFlatness(t *testing.T) {
	const mib = 1 << 20
	flat := series(time.Hour, func(t time.Duration) (float64, float64, float64, float64) {
		wobble := float64(t/(10*time.Second)%2) * 4 // alternating samples, as seg's goroutines do
		return 60*mib + wobble*mib, 35 + wobble, 32 + wobble, 0
	})
	for name, ok := range verdicts(checkFlat(flat, time.Hour)) {
		if !ok {
			t.Errorf("flat series: %s judged growing", name)
		}
	}

	// One goroutine and one socket leaked a minute, and 1 MiB a minute:
	// 40 more of each and 40 MiB between the windows.
	leak := series(time.Hour, func(t time.Duration) (float64, float64, float64, float64) {
		m := t.Minutes()
		return 60*mib + m*mib, 35 + m, 32 + m, 0
	})
	for name, ok := range verdicts(checkFlat(leak, time.Hour)) {
		if ok {
			t.Errorf("leaking series: %s judged flat", name)
		}
	}

	// Held TDC copies (their connections open) for most of the last
	// window: those samples are left out, the verdict is flat.
	held := series(time.Hour, func(t time.Duration) (float64, float64, float64, float64) {
		if t > 52*time.Minute {
			return 60 * mib, 90, 88, 300
		}
		return 60 * mib, 35, 32, 0
	})
	fl := checkFlat(held, time.Hour)
	if v := verdicts(fl); !v["goroutines"] || !v["open_fds"] {
		t.Errorf("held TDC copies judged a leak: %+v", fl)
	}
	if fl[1].allLast != 90 || fl[1].last != 35 {
		t.Errorf("goroutines: last %v (all samples %v), want 35 (90)", fl[1].last, fl[1].allLast)
	}
}

func TestWindows(t *testing.T) {
	w0, w1, l0 := windows(time.Hour)
	if w0 != 10*time.Minute || w1 != 20*time.Minute || l0 != 50*time.Minute {
		t.Errorf("an hour: %v %v %v", w0, w1, l0)
	}
	w0, w1, l0 = windows(3 * time.Minute)
	if w0 != 30*time.Second || w1 != time.Minute || l0 != 150*time.Second {
		t.Errorf("3 minutes: %v %v %v", w0, w1, l0)
	}
}

func TestCheckLoss(t *testing.T) {
	main, _ := newSink("main", nil)
	flap, _ := newSink("flap", nil)
	tdc, _ := newSink("tdc", nil)
	senders, _ := newSink("senders", nil)
	defer func() { main.close(); flap.close(); tdc.close(); senders.close() }()
	put := func(s *sink, id, rcpt string, times int) {
		s.got[id+" "+rcpt] += times
	}
	acked := []sent{
		{"soak-1@soak.test", kRelay, "a@relay.test"},
		{"soak-2@soak.test", kInbound, "b@in.test"},
		{"soak-3@soak.test", kBounce, "reject-3@relay.test"},
		{"soak-4@soak.test", kFlap, "c@flap.test"},
		{"soak-5@soak.test", kFlap, "d@flap.test"},
		{"soak-6@soak.test", kInbound, "e@in.test"},
	}
	put(main, "soak-1@soak.test", "a@relay.test", 2) // a duplicate
	put(main, "soak-2@soak.test", "b@in.test", 1)
	put(tdc, "soak-2@soak.test", "journal@intake.test", 1)
	put(senders, "soak-3@soak.test", "sender@client.test", 1)
	put(flap, "soak-4@soak.test", "c@flap.test", 1)
	// soak-5 never arrived; soak-6 arrived without its TDC copy.
	put(main, "soak-6@soak.test", "e@in.test", 1)
	lo := checkLoss(acked, main, flap, tdc, senders)
	if lo.dups != 1 || len(lo.missing["flap"]) != 1 || lo.missing["flap"][0] != "soak-5@soak.test" ||
		len(lo.missingTDC) != 1 || lo.missingTDC[0] != "soak-6@soak.test" || lo.missingTotal() != 2 ||
		len(lo.missing["relay"])+len(lo.missing["inbound"])+len(lo.missing["bounce"]) != 0 {
		t.Errorf("loss = %+v", lo)
	}
}
