package mailapi

import (
	"reflect"
	"testing"
	"time"
)

func TestPeerStatsRoundTrip(t *testing.T) {
	in := PeerStats{
		Machine: "seg1.example.com", Taken: time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC),
		Start: time.Date(2026, 12, 7, 7, 0, 0, 0, time.UTC), SystemStatus: "Online",
		Counters: PeerCounters{MessagesReceived: PeerCount{Reset: 1, Uptime: 2, Lifetime: 3, Rate1: 60}},
		Gauges:   PeerGauges{DeliveryQueue: 4, Unattempted: 5},
		Hosts:    []PeerHost{{Name: "example.net", Down: true, Active: 2, ConnOut: 1, Delivered: 7, HardBounced: 1, SoftBounced: 3}},
	}
	b, err := in.Encode()
	if err != nil {
		t.Fatal(err)
	}
	out, err := DecodePeerStats(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", out, in)
	}
}

func TestDecodePeerStatsRefuses(t *testing.T) {
	for _, b := range []string{`{`, `{"taken":"2026-12-07T08:00:00Z"}`, `[]`} {
		if _, err := DecodePeerStats([]byte(b)); err == nil {
			t.Errorf("DecodePeerStats(%s): no error", b)
		}
	}
}
