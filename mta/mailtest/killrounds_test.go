package mailtest

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"seg/internal/segtest"
)

// TestKill9Rounds kills seg with SIGKILL 20 times, each at a random
// moment, while 8 clients inject 1,600 messages and an administrator
// commits a change (racing each kill), restarting it each time. At the
// end every message that got a 250 has reached the sink (duplicates are
// counted and reported: deliveries the receiver took just before a kill,
// and messages whose 250 a kill swallowed), MIDs only grew across the
// crashes, and every commit that said "committed" is in the
// configuration the appliance runs.
func TestKill9Rounds(t *testing.T) {
	const rounds, total, clients = 20, 1600, 8
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 2))
	sink := segtest.NewSink(t, segtest.SinkOptions{})
	// Deliveries a kill cut short are retried initial_retry after they
	// began (TestKill9 checks that timing); keep the wait short.
	a := segtest.New(t, "smtproutes new example.test "+sink.Addr(), "bounceconfig edit Default --initial_retry=1")
	a.Start()

	up := make(chan struct{})
	close(up) // clients retry at once, after their pause
	in := &injector{addr: a.SMTPAddr(), restarted: up, pause: 50 * time.Millisecond, accepted: map[int]int64{}}
	wg := in.start(t, total, clients)

	var committed []string
	// For each round: the highest MID any earlier process handed out
	// (every 250 recorded once its process was killed), and when the
	// restart returned; sessions dialled after that talk to the new
	// process only.
	maxMIDs := make([]int64, rounds)
	restarts := make([]time.Time, rounds)
	var maxMID int64
	for round := range rounds {
		prev := in.snapshot()
		// The moment: after 10 to 100 more messages were accepted.
		target := min(len(prev)+10+rng.IntN(90), total)
		name := fmt.Sprintf("kill%02d", round)
		res := make(chan segtest.Result, 1)
		go func() {
			res <- a.CliInput("", "addresslistconfig new "+name+" --addresses round"+strconv.Itoa(round)+"@client.test ; commit "+name)
		}()
		if !segtest.Poll(60*time.Second, func() bool { return in.count() >= target }) {
			t.Fatalf("round %d: %d accepted, waiting for %d", round, in.count(), target)
		}
		a.Kill()
		for _, mid := range in.snapshot() {
			maxMID = max(maxMID, mid)
		}
		maxMIDs[round] = maxMID
		// The commit ran over the socket before the kill, or was cut by
		// it, or ran offline after it: whichever said "committed" must
		// hold.
		r := <-res
		if r.Code == 0 && strings.Contains(r.Stdout, "ommitted") {
			committed = append(committed, name)
		}
		a.Start()
		restarts[round] = time.Now()
	}
	wg.Wait()
	for round := range rounds {
		// Any later process: every MID it hands out is above kill
		// round's maximum.
		for seq, mid := range in.dialedAfter(restarts[round]) {
			if mid <= maxMIDs[round] {
				t.Errorf("round %d: message %d got MID %d after the restart, not above %d of the processes before: MIDs must grow across crashes", round, seq, mid, maxMIDs[round])
			}
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	after := in.snapshot()
	if len(after) != total {
		t.Fatalf("%d of %d messages accepted", len(after), total)
	}
	seen, lost := waitDelivered(sink, after, 90*time.Second)
	if len(lost) > 0 {
		t.Fatalf("lost %d accepted messages after %d kills, e.g. seq %v", len(lost), rounds, lost[:min(len(lost), 10)])
	}
	dups := 0
	for _, n := range seen {
		dups += n - 1
	}
	t.Logf("%d kills: %d messages accepted, all delivered; %d duplicate deliveries; %d sessions lost to the kills; %d of %d commits said committed",
		rounds, len(after), dups, in.failures, len(committed), rounds)

	lists := a.MustCli("addresslistconfig print")
	for _, name := range committed {
		if !strings.Contains(lists, name) {
			t.Errorf("commit %s said committed, but the address list is gone after the kills:\n%s", name, lists)
		}
	}
}
