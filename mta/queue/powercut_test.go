package queue

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A power cut loses what SIGKILL keeps: the page cache. The child
// (crashChild with powerCutEnv set) reports, with each acknowledgement,
// the head segment and its size after the fdatasync that acknowledgement
// waited for. After the kill the parent throws away or damages every
// byte beyond the last size reported, as a disk losing its unsynced
// pages would (cutTail), then reopens the queue: every acknowledged
// message must be there exactly once, every durably recorded delivery
// must stick, and the next round must build on the damaged journal.
const powerCutEnv = "SEG_QUEUE_POWERCUT"

// cutModes are the ways unsynced bytes can end up on a disk after a
// power cut.
var cutModes = []string{
	"kept",     // the page cache reached the disk after all (kill -9)
	"lost",     // nothing after the synced size
	"prefix",   // written back in order, cut anywhere
	"holes",    // 4 KiB pages written back out of order: others zeroed
	"scramble", // a torn sector: random bytes over part of the tail
}

func TestPowerCut(t *testing.T) {
	rounds := 20
	if testing.Short() {
		rounds = 6
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	dir := t.TempDir()
	var maxMID int64
	queued := map[int64]bool{}
	delivered := map[int64]bool{}
	for round := range rounds {
		killAfter := time.Duration(50+rng.IntN(450)) * time.Millisecond
		claims, headNum, headSize := runPowerCutChild(t, dir, killAfter)
		if len(claims) < 20 {
			t.Fatalf("round %d: only %d acknowledgements before the cut", round, len(claims))
		}
		mode := cutModes[rng.IntN(len(cutModes))]
		cutTail(t, dir, headNum, headSize, mode, rng)
		n := 0
		for _, c := range claims {
			if c.queued {
				if c.mid <= maxMID {
					t.Fatalf("round %d: MID %d reused (previous rounds reached %d)", round, c.mid, maxMID)
				}
				queued[c.mid] = true
				n++
			} else {
				delivered[c.mid] = true
			}
		}
		segs, _ := listSegments(dir)
		t.Logf("round %d: cut after %v (%s): %d acknowledged, head segment %d at %d bytes, %d segments", round, killAfter, mode, n, headNum, headSize, len(segs))

		q := mustOpen(t, dir, Options{SegmentSize: 1 << 20})
		rec := map[int64]*Message{}
		for _, m := range q.Recovered() {
			if rec[m.MID] != nil {
				t.Fatalf("round %d: MID %d recovered twice", round, m.MID)
			}
			rec[m.MID] = m
		}
		for mid := range queued {
			m, ok := rec[mid]
			switch {
			case delivered[mid] && ok:
				t.Fatalf("round %d (%s): MID %d: its delivery was durably recorded, yet it was recovered", round, mode, mid)
			case !delivered[mid] && !ok && mid%3 != 0:
				t.Fatalf("round %d (%s): MID %d acknowledged but lost", round, mode, mid)
			case ok:
				if len(m.Rcpts) != 2 || m.From != testMsg(mid, 0).From {
					t.Fatalf("round %d: MID %d recovered wrong: %+v", round, mid, m)
				}
				checkBody(t, q, mid, testBody(mid, 1000+int(mid%5000)))
			}
		}
		for mid := range queued {
			maxMID = max(maxMID, mid)
		}
		if next := q.NextMID(); next <= maxMID {
			t.Fatalf("round %d: NextMID %d after the cut, but %d was handed out", round, next, maxMID)
		}
		// Deliver what was recovered, durably, so that the next round
		// starts from an empty queue plus what it adds.
		for mid := range rec {
			q.Update(mid, []Update{{RID: 0, State: Delivered}, {RID: 1, State: Delivered}})
			delivered[mid] = true
		}
		if err := q.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// claim is one acknowledgement the child printed.
type claim struct {
	queued bool // Q: durably queued; else D: delivery durably recorded
	mid    int64
}

// runPowerCutChild runs crashChild on dir, kills it d after its first
// acknowledgement and returns
// its claims with the last synced position it reported.
func runPowerCutChild(t *testing.T, dir string, d time.Duration) (claims []claim, headNum int, headSize int64) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashEnv+"="+dir, powerCutEnv+"=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The clock starts at the first acknowledgement: the child's
	// recovery of the previous rounds' journal takes a varying time.
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if timer == nil {
			timer = time.AfterFunc(d, func() { cmd.Process.Kill() })
		}
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 3 && f[0] == "S":
			n, err1 := strconv.Atoi(f[1])
			size, err2 := strconv.ParseInt(f[2], 10, 64)
			if err1 != nil || err2 != nil {
				t.Fatalf("child printed %q", sc.Text())
			}
			if n > headNum || n == headNum && size > headSize {
				headNum, headSize = n, size
			}
		case len(f) == 2 && (f[0] == "Q" || f[0] == "D"):
			mid, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				t.Fatalf("child printed %q", sc.Text())
			}
			claims = append(claims, claim{queued: f[0] == "Q", mid: mid})
		default:
			t.Fatalf("child printed %q", sc.Text())
		}
	}
	cmd.Wait()
	if stderr.Len() > 0 {
		t.Fatalf("child: %s", stderr.String())
	}
	return claims, headNum, headSize
}

// cutTail applies a power cut to dir's journal: segment headNum keeps its
// first headSize bytes, later segments none; what lies beyond becomes
// what mode says.
func cutTail(t *testing.T, dir string, headNum int, headSize int64, mode string, rng *rand.Rand) {
	t.Helper()
	nums, err := listSegments(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, num := range nums {
		var synced int64
		switch {
		case num < headNum:
			continue // sealed before the last acknowledgement: synced
		case num == headNum:
			synced = headSize
		}
		path := filepath.Join(dir, segName(num))
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if int64(len(b)) < synced {
			t.Fatalf("%s holds %d bytes, less than the %d reported synced", path, len(b), synced)
		}
		tail := b[synced:]
		switch mode {
		case "kept":
		case "lost":
			tail = nil
		case "prefix":
			tail = tail[:rng.IntN(len(tail)+1)]
		case "holes":
			for off := 0; off < len(tail); off += 4096 {
				if rng.IntN(2) == 0 {
					clear(tail[off:min(off+4096, len(tail))])
				}
			}
		case "scramble":
			if len(tail) > 0 {
				from := rng.IntN(len(tail))
				to := min(len(tail), from+1+rng.IntN(512))
				for i := from; i < to; i++ {
					tail[i] = byte(rng.Uint32())
				}
			}
		default:
			panic(fmt.Sprint("unknown cut mode ", mode))
		}
		if err := os.WriteFile(path, append(b[:synced:synced], tail...), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}
