package mta

import (
	"reflect"
	"testing"
	"time"

	"seg/mta/counters"
)

// TestLifetimeStampRoundTrip: the stamp journaled with each queue commit
// restores every lifetime total, and restoring never lowers one (the
// larger of counters.json and the stamp wins); a stamp of a format with
// fewer counters restores those it has.
func TestLifetimeStampRoundTrip(t *testing.T) {
	now := func() time.Time { return time.Unix(1e9, 0) }
	c := counters.New(now, nil)
	c.Add(counters.MessagesReceived, 538)
	c.Add(counters.RecipientsReceived, 1<<40)
	c.Delivered("example.test", 7)
	stamp := lifetimeStamper{c}.Stamp()

	fromJSON := make([]int64, counters.NumCounters)
	fromJSON[counters.MessagesReceived] = 54
	fromJSON[counters.RejectedRecipients] = 9
	d := counters.New(now, fromJSON)
	lifetimeStamper{d}.Recovered(stamp)
	want := c.Lifetime()
	want[counters.RejectedRecipients] = 9 // only counters.json had it
	if got := d.Lifetime(); !reflect.DeepEqual(got, want) {
		t.Fatalf("restored %v, want %v", got, want)
	}

	e := counters.New(now, nil)
	lifetimeStamper{e}.Recovered(stamp[:3]) // the first counter and a cut varint
	if got := e.Lifetime()[counters.MessagesReceived]; got != 538 {
		t.Fatalf("a short stamp restored Messages Received %d, want 538", got)
	}
	lifetimeStamper{e}.Recovered(nil)
	if got := e.Lifetime()[counters.MessagesReceived]; got != 538 {
		t.Fatalf("an empty stamp lowered Messages Received to %d", got)
	}
}

// BenchmarkLifetimeStamp is what each group commit pays for the
// lifetime counters: one snapshot and its encoding.
func BenchmarkLifetimeStamp(b *testing.B) {
	c := counters.New(time.Now, nil)
	for k := range counters.NumCounters {
		c.Add(k, 123456789)
	}
	s := lifetimeStamper{c}
	b.ReportAllocs()
	for b.Loop() {
		_ = s.Stamp()
	}
}
