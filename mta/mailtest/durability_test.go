package mailtest

import (
	"fmt"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"seg/internal/segtest"
)

// injector sends numbered messages to seg over several concurrent
// sessions and remembers which got a 250. A session that fails (the
// appliance was killed) waits for the restart and sends the message
// again, as a real client retries after a 4xx or a dropped connection.
type injector struct {
	addr      string
	client    segtest.Client // how to connect (the zero value: from 127.0.0.1)
	restarted chan struct{}  // closed once the appliance runs again
	pause     time.Duration  // a client's back-off after a failed session

	mu       sync.Mutex
	accepted map[int]int64     // seq -> MID of its (last) 250
	dialed   map[int]time.Time // seq -> when the session of that 250 was dialled
	failures int               // sessions lost
}

func killMessage(seq int) []byte {
	return []byte(fmt.Sprintf("From: <sender@client.test>\r\nTo: <rcpt@example.test>\r\n"+
		"Subject: kill test %05d\r\nMessage-ID: <kill-%05d@client.test>\r\nX-Seq: %05d\r\n\r\n"+
		"Message %05d of the kill -9 test.\r\n%s\r\n", seq, seq, seq, seq, filler))
}

// filler makes each message about 1.5 kB, a small real-world mail.
var filler = func() string {
	line := "The quick brown fox jumps over the lazy dog 0123456789.\r\n"
	s := ""
	for len(s) < 1400 {
		s += line
	}
	return s
}()

func (in *injector) run(t *testing.T, work <-chan int, wg *sync.WaitGroup) {
	defer wg.Done()
	var cl *smtp.Client
	var dialed time.Time
	defer func() {
		if cl != nil {
			cl.Close()
		}
	}()
	for seq := range work {
		deadline := time.Now().Add(60 * time.Second)
		for {
			var err error
			if cl == nil {
				dialed = time.Now()
				cl, err = in.client.Dial(in.addr)
			}
			var mid int64
			if err == nil {
				mid, err = segtest.Transact(cl, "sender@client.test", []string{"rcpt@example.test"}, killMessage(seq))
			}
			if err == nil {
				in.mu.Lock()
				in.accepted[seq] = mid
				if in.dialed == nil {
					in.dialed = map[int]time.Time{}
				}
				in.dialed[seq] = dialed
				in.mu.Unlock()
				break
			}
			if cl != nil {
				cl.Close()
				cl = nil
			}
			in.mu.Lock()
			in.failures++
			if in.failures <= 3 {
				t.Logf("message %d: session failed (%v): waiting for the restart", seq, err)
			}
			in.mu.Unlock()
			if time.Now().After(deadline) {
				t.Errorf("message %d: not accepted within 60 s: %v", seq, err)
				break
			}
			<-in.restarted
			time.Sleep(in.pause)
		}
	}
}

// start sends messages 0..total-1 over clients concurrent sessions;
// the WaitGroup is done when every one was accepted (or given up on).
func (in *injector) start(t *testing.T, total, clients int) *sync.WaitGroup {
	work := make(chan int, total)
	for i := range total {
		work <- i
	}
	close(work)
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go in.run(t, work, &wg)
	}
	return &wg
}

func (in *injector) count() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return len(in.accepted)
}

// dialedAfter returns seq -> MID of the messages accepted in sessions
// dialled after t. A session dialled after a restart returned can only
// have talked to the new process, whereas a 250 the old process sent
// just before a kill may be recorded after it.
func (in *injector) dialedAfter(t time.Time) map[int]int64 {
	in.mu.Lock()
	defer in.mu.Unlock()
	out := map[int]int64{}
	for seq, d := range in.dialed {
		if d.After(t) {
			out[seq] = in.accepted[seq]
		}
	}
	return out
}

func (in *injector) snapshot() map[int]int64 {
	in.mu.Lock()
	defer in.mu.Unlock()
	out := make(map[int]int64, len(in.accepted))
	for k, v := range in.accepted {
		out[k] = v
	}
	return out
}

var xSeq = regexp.MustCompile(`(?m)^X-Seq: (\d+)\r$`)

// receivedID is the MID in the Received field seg adds.
var receivedID = regexp.MustCompile(`with E?SMTP id (\d+)\r\n`)

// TestKill9 kills seg with SIGKILL while 2,000 messages are being
// injected by 8 concurrent clients and delivered to a sink, restarts it,
// and checks that every message that got a 250 reaches the sink: none is
// lost. Duplicates are allowed and reported: a message the receiver took
// just before the kill, before seg recorded it (the same MID twice), and
// a message whose 250 the kill swallowed, which the client sent again
// (two MIDs). A delivery cut short by the kill is retried at the time
// recorded before it began (STYLE 2), initial_retry (5 s) later, not at
// once after the restart.
func TestKill9(t *testing.T) {
	const total, clients = 2000, 8
	const retry = 5 * time.Second
	sink := segtest.NewSink(t, segtest.SinkOptions{})
	a := segtest.New(t,
		"smtproutes new example.test "+sink.Addr(),
		fmt.Sprintf("bounceconfig edit Default --initial_retry=%d", int(retry.Seconds())),
	)
	a.Start()

	in := &injector{addr: a.SMTPAddr(), restarted: make(chan struct{}), accepted: map[int]int64{}}
	wg := in.start(t, total, clients)

	// Midway: half accepted, and a delivery held in its DATA.
	if !segtest.Poll(60*time.Second, func() bool { return in.count() >= total/2 && sink.Count() > 0 }) {
		t.Fatalf("no progress: %d accepted, %d delivered", in.count(), sink.Count())
	}
	// From now the receiver holds every DATA until the kill: those
	// deliveries are caught between the receiver taking the message and
	// seg hearing so, and must be delivered again.
	release := sink.HoldData()
	if !segtest.Poll(30*time.Second, func() bool { return sink.InData() > 0 }) {
		t.Fatalf("no delivery reached DATA: %d accepted, %d delivered", in.count(), sink.Count())
	}
	a.Kill()
	held := sink.InData()
	release()
	before := in.snapshot()
	deliveredAtKill := sink.Count()
	var maxMID int64
	for _, mid := range before {
		maxMID = max(maxMID, mid)
	}
	t.Logf("killed with %d accepted, %d delivered, %d held in DATA", len(before), deliveredAtKill, held)

	a.Start()
	restarted := time.Now()
	close(in.restarted)
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	after := in.snapshot()
	for seq, mid := range in.dialedAfter(restarted) {
		if mid <= maxMID {
			t.Errorf("message %d got MID %d after the restart, not above %d: MIDs must increase across crashes", seq, mid, maxMID)
		}
	}

	// Every accepted message reaches the sink.
	_, lost := waitDelivered(sink, after, 60*time.Second)
	if len(lost) > 0 {
		t.Fatalf("lost %d accepted messages, e.g. seq %v", len(lost), lost[:min(len(lost), 10)])
	}
	if len(after) != total {
		t.Errorf("%d of %d messages accepted", len(after), total)
	}

	// Duplicates, and when the interrupted deliveries were retried. The
	// held ones reached the sink when they were released, at the kill, so
	// nothing is lost well before seg delivers them again at their
	// recorded retry time: wait for those second copies (or the deadline,
	// and the check below fails).
	var byMID map[int64][]segtest.Message
	again := func() int {
		byMID = map[int64][]segtest.Message{}
		n := 0
		for _, m := range sink.Messages() {
			id := receivedID.FindSubmatch(m.Data)
			if id == nil {
				t.Fatalf("a message without seg's Received field: %.200q", m.Data)
			}
			mid, _ := strconv.ParseInt(string(id[1]), 10, 64)
			byMID[mid] = append(byMID[mid], m)
			if len(byMID[mid]) > 1 {
				n++
			}
		}
		return n
	}
	segtest.Poll(retry+30*time.Second, func() bool { return again() >= held })
	again()
	seen := map[int]int{}
	for _, m := range sink.Messages() {
		if s := xSeq.FindSubmatch(m.Data); s != nil {
			n, _ := strconv.Atoi(string(s[1]))
			seen[n]++
		}
	}
	redelivered, resent := 0, 0
	var minGap time.Duration
	for mid, copies := range byMID {
		if len(copies) < 2 {
			continue
		}
		redelivered += len(copies) - 1
		gap := copies[1].At.Sub(copies[0].At)
		if minGap == 0 || gap < minGap {
			minGap = gap
		}
		if gap < retry/2 { // at once would be the restart time, well under 2.5 s
			t.Errorf("MID %d, taken by the receiver before the kill, was delivered again %v later, before its recorded retry time (initial_retry %v)",
				mid, gap.Round(time.Millisecond), retry)
		}
	}
	for _, n := range seen {
		resent += n - 1
	}
	resent -= redelivered
	t.Logf("%d messages accepted (%d before the kill), %d sessions failed, %d deliveries: lost 0, duplicated %d "+
		"(%d delivered again after the restart, the first %v after the interrupted delivery; %d sent again by a client)",
		len(after), len(before), in.failures, sink.Count(), redelivered+resent, redelivered, minGap.Round(time.Millisecond), resent)
	if redelivered < held {
		t.Errorf("%d deliveries were held in their DATA at the kill, %d delivered again: seg recorded a delivery the receiver never confirmed", held, redelivered)
	}

	// The queue drains: nothing stays active.
	if !segtest.Poll(30*time.Second, func() bool {
		return regexp.MustCompile(`(?m)^ +Active Recipients +0$`).MatchString(a.MustCli("status"))
	}) {
		t.Errorf("the queue did not drain:\n%s", a.MustCli("status"))
	}
	a.Stop()
}

// waitDelivered waits until the sink holds every message of accepted (by
// its X-Seq) or timeout passes; it returns how many copies of each seq
// the sink holds and the seqs it lacks.
func waitDelivered(sink *segtest.Sink, accepted map[int]int64, timeout time.Duration) (seen map[int]int, lost []int) {
	segtest.Poll(timeout, func() bool {
		seen = map[int]int{}
		for _, m := range sink.Messages() {
			if s := xSeq.FindSubmatch(m.Data); s != nil {
				n, _ := strconv.Atoi(string(s[1]))
				seen[n]++
			}
		}
		lost = lost[:0]
		for seq := range accepted {
			if seen[seq] == 0 {
				lost = append(lost, seq)
			}
		}
		return len(lost) == 0
	})
	return seen, lost
}
