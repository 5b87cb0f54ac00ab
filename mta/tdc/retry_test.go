package tdc

import (
	"testing"
	"time"

	"seg/mta/delivery"
	"seg/mta/queue"
	"seg/store"
)

func TestRetryPermanent(t *testing.T) {
	smtp := func(code int, permanent bool) *delivery.Failure {
		return &delivery.Failure{Kind: delivery.FailSMTP, Code: code, Permanent: permanent}
	}
	cases := []struct {
		name string
		f    *delivery.Failure
		want bool
	}{
		{"550", smtp(550, true), true},
		{"554", smtp(554, true), true},
		{"500", smtp(500, true), true},
		{"551", smtp(551, true), true},
		{"503 retried", smtp(503, true), false},
		{"552 retried", smtp(552, true), false},
		{"421", smtp(421, false), false},
		{"450", smtp(450, false), false},
		{"452", smtp(452, false), false},
		{"reply out of sequence", &delivery.Failure{Kind: delivery.FailSMTP, Code: 250, Status: "4.5.0"}, false},
		{"TLS", &delivery.Failure{Kind: delivery.FailTLS}, true},
		{"TLS marked temporary", &delivery.Failure{Kind: delivery.FailTLS, Permanent: false}, true},
		{"connection refused", &delivery.Failure{Kind: delivery.FailConn, Status: "4.4.2"}, false},
		{"connection marked permanent", &delivery.Failure{Kind: delivery.FailConn, Permanent: true}, false},
		{"DNS temporary", &delivery.Failure{Kind: delivery.FailDNS}, false},
		{"DNS no such domain", &delivery.Failure{Kind: delivery.FailDNS, Status: "5.1.2", Permanent: true}, false},
		{"expired", &delivery.Failure{Kind: delivery.FailExpired}, true},
		{"administrator", &delivery.Failure{Kind: delivery.FailAdmin}, true},
	}
	for _, c := range cases {
		if got := (Retry{}).Permanent(c.f); got != c.want {
			t.Errorf("%s: Permanent = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestRetryTimes(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	m := &queue.Message{MID: 5, Kind: queue.KindTDC, Received: t0}
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	cases := []struct {
		name     string
		r        Retry
		attempts int
		now      time.Time
		next     time.Time
		ok       bool
		expired  bool
	}{
		{"first failure", Retry{}, 1, at(5), at(35), true, false},
		{"first failure late: retry at once", Retry{}, 1, at(100), at(100), true, false},
		{"first failure just inside", Retry{}, 1, at(119), at(119), true, false},
		{"first failure at 120 s", Retry{}, 1, at(120), time.Time{}, false, true},
		{"retry used", Retry{}, 2, at(40), time.Time{}, false, true},
		{"retries beyond", Retry{}, 3, at(1), time.Time{}, false, true},
		{"custom wait", Retry{Wait: 10 * time.Second}, 1, at(5), at(15), true, false},
		{"custom lifetime", Retry{Lifetime: 10 * time.Second}, 1, at(10), time.Time{}, false, true},
	}
	for _, c := range cases {
		next, ok := c.r.NextRetry(m, c.attempts, c.now)
		if ok != c.ok || !next.Equal(c.next) {
			t.Errorf("%s: NextRetry = %v, %v; want %v, %v", c.name, next, ok, c.next, c.ok)
		}
		if got := c.r.Expired(m, c.attempts, c.now); got != c.expired {
			t.Errorf("%s: Expired = %v, want %v", c.name, got, c.expired)
		}
	}
	// Before any attempt: due until 120 s queued.
	for _, c := range []struct {
		now  time.Time
		want bool
	}{{at(0), false}, {at(119), false}, {at(120), true}, {at(500), true}} {
		if got := (Retry{}).Expired(m, 0, c.now); got != c.want {
			t.Errorf("unattempted at %v: Expired = %v, want %v", c.now.Sub(t0), got, c.want)
		}
	}
}

// TestRetrySequence plays the scheduler's part: attempt when due unless
// expired; after a failure, final if Permanent, else wait for NextRetry.
// It counts the attempts a copy gets.
func TestRetrySequence(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	smtp := func(code int) *delivery.Failure {
		return &delivery.Failure{Kind: delivery.FailSMTP, Code: code, Permanent: code/100 == 5}
	}
	cases := []struct {
		name  string
		f     *delivery.Failure
		takes time.Duration // how long each failing attempt lasts
		want  int
	}{
		{"550 no retry", smtp(550), time.Second, 1},
		{"503 one retry", smtp(503), time.Second, 2},
		{"552 one retry", smtp(552), time.Second, 2},
		{"451 one retry", smtp(451), time.Second, 2},
		{"TLS no retry", &delivery.Failure{Kind: delivery.FailTLS}, time.Second, 1},
		{"refused one retry", &delivery.Failure{Kind: delivery.FailConn}, time.Second, 2},
		{"DNS one retry", &delivery.Failure{Kind: delivery.FailDNS, Permanent: true}, time.Second, 2},
		{"slow timeouts: retry at once", &delivery.Failure{Kind: delivery.FailConn}, 100 * time.Second, 2},
		{"first attempt outlives 120 s", &delivery.Failure{Kind: delivery.FailConn}, 125 * time.Second, 1},
	}
	for _, c := range cases {
		var r delivery.RetryPolicy = Retry{}
		m := &queue.Message{MID: 5, Kind: queue.KindTDC, Received: t0}
		now, attempts := t0, 0
		for {
			if r.Expired(m, attempts, now) {
				break
			}
			attempts++
			now = now.Add(c.takes)
			if r.Permanent(c.f) {
				break
			}
			next, ok := r.NextRetry(m, attempts, now)
			if !ok {
				break
			}
			if next.Before(now) {
				t.Fatalf("%s: retry at %v, before the failure at %v", c.name, next, now)
			}
			now = next
			if attempts > 10 {
				t.Fatalf("%s: still retrying after %d attempts", c.name, attempts)
			}
		}
		if attempts != c.want {
			t.Errorf("%s: %d attempts, want %d", c.name, attempts, c.want)
		}
		if now.Sub(t0) > Lifetime+c.takes {
			t.Errorf("%s: still queued after %v", c.name, now.Sub(t0))
		}
	}
}

func TestRetryNeverBounces(t *testing.T) {
	if b := (Retry{}).Bounces(); b.Send {
		t.Errorf("Bounces() = %+v: a journal copy must never send a DSN", b)
	}
	if n := (Retry{}).Name(); n != "TDC" {
		t.Errorf("Name() = %q", n)
	}
}

func TestRetryFor(t *testing.T) {
	cfg := store.Default("seg.example.com", "")
	pick := RetryFor(nil)
	if _, ok := pick(cfg, &queue.Message{Kind: queue.KindTDC}, Host).(Retry); !ok {
		t.Error("a TDC copy did not get the TDC retry table")
	}
	p, ok := pick(cfg, &queue.Message{Kind: queue.KindNormal}, "example.com").(*delivery.ProfilePolicy)
	if !ok || p.Name() != "Default" {
		t.Errorf("ordinary mail got %#v, want the Default bounce profile", p)
	}
	called := false
	pick = RetryFor(func(*store.Config, *queue.Message, string) delivery.RetryPolicy {
		called = true
		return Retry{Wait: time.Minute}
	})
	if pick(cfg, &queue.Message{Kind: queue.KindBounce}, "example.com") != (Retry{Wait: time.Minute}) || !called {
		t.Error("RetryFor did not hand ordinary mail to next")
	}
}
