package delivery

import (
	"fmt"
	"slices"
	"testing"
)

// TestFlushAfterResults: an attempt's result lines, Message finished
// included, are flushed as soon as the scheduler has them (issue 13: a
// crash must not lose the log of what the queue has recorded).
func TestFlushAfterResults(t *testing.T) {
	srv := newSMTPServer(t, nil)
	h := newHarness(t, edits(viaRoute("example.test", srv)))
	h.start()
	mid := h.send("alice@src.test", "bob@example.test")
	finished := fmt.Sprintf("Info: Message finished MID %d done", mid)
	h.wait("the Message finished line flushed", func() bool {
		i := slices.Index(h.log.Lines(), finished)
		return i >= 0 && h.log.Flushed() > i
	})
	lines := h.log.Lines()[:h.log.Flushed()]
	for _, want := range []string{
		fmt.Sprintf("Info: Message done DCID 1 MID %d to RID [0]", mid),
		finished,
	} {
		if !slices.Contains(lines, want) {
			t.Errorf("%q not flushed; flushed lines:\n%q", want, lines)
		}
	}
}
