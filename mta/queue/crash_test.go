package queue

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The crash test re-executes the test binary as a child that enqueues in
// a loop and prints each acknowledged MID; the parent SIGKILLs it and
// checks that everything acknowledged survived.
const crashEnv = "SEG_QUEUE_CRASH_CHILD"

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashEnv); dir != "" {
		crashChild(dir)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// crashChild prints "Q mid" once mid is durably queued and "D mid" once
// mid's delivery is durably recorded (Update + Sync), until it is killed.
func crashChild(dir string) {
	q, err := Open(dir, Options{SegmentSize: 1 << 20})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	var out sync.Mutex
	powerCut := os.Getenv(powerCutEnv) != ""
	say := func(format string, a ...any) {
		out.Lock()
		defer out.Unlock()
		line := fmt.Sprintf(format, a...)
		if powerCut {
			// The head segment's synced size, read after the
			// acknowledgement: everything acknowledged so far lies
			// below it (powercut_test.go). Update records written
			// without a sync lie beyond it: the cut may take them.
			q.mu.Lock()
			head := q.segs[len(q.segs)-1]
			line = fmt.Sprintf("S %d %d\n", head.num, head.synced) + line
			q.mu.Unlock()
		}
		// One write per claim: a kill never leaves a line half-claimed.
		os.Stdout.WriteString(line)
	}
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			for {
				m := testMsg(q.NextMID(), 2)
				if err := q.Enqueue(m, testBody(m.MID, 1000+int(m.MID%5000))); err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(4)
				}
				say("Q %d\n", m.MID)
				if m.MID%3 == 0 {
					q.Update(m.MID, []Update{{RID: 0, State: Delivered}, {RID: 1, State: HardBounced}})
					if err := q.Sync(); err != nil {
						os.Exit(5)
					}
					say("D %d\n", m.MID)
				}
			}
		})
	}
	wg.Wait()
}

func TestCrashWithRealProcess(t *testing.T) {
	dir := t.TempDir()
	var maxMID int64
	queued := map[int64]bool{}
	delivered := map[int64]bool{}
	for round := range 3 { // crash, reopen and crash again on top
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashEnv+"="+dir)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan string)
		go func() {
			defer close(lines)
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				lines <- sc.Text()
			}
		}()
		timer := time.NewTimer(time.Second)
		n := 0
	read:
		for {
			select {
			case line, ok := <-lines:
				if !ok {
					break read
				}
				f := strings.Fields(line)
				mid, err := strconv.ParseInt(f[1], 10, 64)
				if len(f) != 2 || err != nil {
					t.Fatalf("child printed %q", line)
				}
				if f[0] == "Q" {
					queued[mid] = true
					n++
					if mid <= maxMID {
						t.Fatalf("round %d: MID %d reused (previous rounds reached %d)", round, mid, maxMID)
					}
				} else {
					delivered[mid] = true
				}
			case <-timer.C:
				cmd.Process.Kill()
			}
		}
		cmd.Wait()
		if n < 100 {
			t.Fatalf("round %d: child acknowledged only %d messages in a second (stderr: %s)", round, n, stderr.String())
		}
		t.Logf("round %d: %d messages acknowledged before SIGKILL", round, n)

		q := mustOpen(t, dir, Options{SegmentSize: 1 << 20})
		rec := map[int64]*Message{}
		for _, m := range q.Recovered() {
			rec[m.MID] = m
		}
		for mid := range queued {
			m, ok := rec[mid]
			switch {
			case delivered[mid] && ok:
				t.Fatalf("MID %d: delivery was durably recorded but it was recovered", mid)
			case !delivered[mid] && !ok && mid%3 != 0:
				t.Fatalf("MID %d acknowledged but not recovered", mid)
			case ok:
				if len(m.Rcpts) != 2 || m.From != testMsg(mid, 0).From {
					t.Fatalf("MID %d recovered wrong: %+v", mid, m)
				}
				checkBody(t, q, mid, testBody(mid, 1000+int(mid%5000)))
			}
		}
		for mid := range queued {
			maxMID = max(maxMID, mid)
		}
		if next := q.NextMID(); next <= maxMID {
			t.Fatalf("NextMID %d after the crash, but %d was handed out", next, maxMID)
		}
		// Finish what was recovered, as delivery would, so the next round
		// starts from a clean queue plus whatever it adds.
		for mid := range rec {
			q.Update(mid, []Update{{RID: 0, State: Delivered}, {RID: 1, State: Delivered}})
			delivered[mid] = true
		}
		if err := q.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
