package mailtest

import (
	"fmt"
	"regexp"
	"sync"
	"testing"
	"time"

	"seg/internal/segtest"
)

// TestLifetimeCountersSurviveKill9: status' Lifetime column never goes
// down at a crash. N messages are sent over 4 sessions and delivered,
// seg is killed with SIGKILL at once (well inside the 10 s between two
// saves of counters.json), and after the restart status shows at least
// N messages and recipients received, and, once the queue is empty,
// between the distinct messages the receiver took and all it took:
// a delivery whose result the kill cut off before the queue recorded it
// is made again (a duplicate at the receiver); its first count survives
// only if another commit journaled it in between, so it counts once or
// twice, never zero times and never more than the receiver saw.
func TestLifetimeCountersSurviveKill9(t *testing.T) {
	const sessions, each = 4, 60
	const total = sessions * each
	sink := segtest.NewSink(t, segtest.SinkOptions{})
	// Deliveries cut short by the kill are retried 5 s later.
	a := segtest.New(t, "smtproutes new example.test "+sink.Addr(), "bounceconfig edit Default --initial_retry=5")
	a.Start()

	var wg sync.WaitGroup
	for s := range sessions {
		wg.Go(func() {
			msg := []byte(fmt.Sprintf("From: <s@client.test>\r\nTo: <r@example.test>\r\nSubject: lifetime %d\r\n\r\n%s\r\n", s, filler))
			segtest.Client{}.SendN(t, a.SMTPAddr(), each, "s@client.test", []string{"r@example.test"}, msg)
		})
	}
	wg.Wait()
	sink.WaitCount(t, total, 60*time.Second)
	a.Kill()

	a.Start()
	segtest.Wait(t, 60*time.Second, "the queue to drain", func() bool {
		return regexp.MustCompile(`(?m)^ +Active Recipients +0$`).MatchString(a.MustCli("status"))
	})
	st := a.MustCli("status")
	lifetime := func(label string) int { return statusRow(t, st, label)[2] }
	if got := lifetime("Messages Received"); got < total {
		t.Errorf("after kill -9: Lifetime Messages Received %d, below the %d messages acknowledged\n%s", got, total, st)
	}
	if got := lifetime("Recipients Received"); got < total {
		t.Errorf("after kill -9: Lifetime Recipients Received %d, below the %d recipients acknowledged", got, total)
	}
	got, all := lifetime("Delivered Recipients"), sink.Count()
	distinct := map[string]bool{}
	for _, m := range sink.Messages() {
		id := receivedID.FindSubmatch(m.Data)
		if id == nil {
			t.Fatalf("a message without seg's Received field: %.200q", m.Data)
		}
		distinct[string(id[1])] = true
	}
	if got < len(distinct) || got > all {
		t.Errorf("after kill -9: Lifetime Delivered Recipients %d; the receiver took %d messages, %d distinct", got, all, len(distinct))
	}
	t.Logf("received %d, delivered %d; the receiver took %d, %d distinct", lifetime("Messages Received"), got, all, len(distinct))
}
