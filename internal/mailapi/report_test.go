package mailapi

import (
	"reflect"
	"strings"
	"testing"
)

// Every counter of PeerCounters is a row of status, once: a field added
// to the type and forgotten in StatusSections would be published and
// never shown (nor summed).
func TestStatusSectionsCoverPeerCounters(t *testing.T) {
	var c PeerCounters
	seen := map[*PeerCount]bool{}
	for _, sec := range StatusSections() {
		for _, r := range sec.Rows {
			p := r.Get(&c)
			if seen[p] {
				t.Errorf("row %q reads a field another row reads", r.Label)
			}
			seen[p] = true
		}
	}
	if n := reflect.TypeOf(c).NumField(); len(seen) != n {
		t.Errorf("status rows cover %d of PeerCounters' %d fields", len(seen), n)
	}
}

func TestPeerCountersAdd(t *testing.T) {
	var a, b PeerCounters
	for _, sec := range StatusSections() {
		for i, r := range sec.Rows {
			*r.Get(&a) = PeerCount{Reset: 1, Uptime: 2, Lifetime: 3, Rate1: 4, Rate5: 5, Rate15: int64(i)}
			*r.Get(&b) = PeerCount{Reset: 10, Uptime: 20, Lifetime: 30, Rate1: 40, Rate5: 50, Rate15: 100}
		}
	}
	a.Add(b)
	for _, sec := range StatusSections() {
		for i, r := range sec.Rows {
			want := PeerCount{Reset: 11, Uptime: 22, Lifetime: 33, Rate1: 44, Rate5: 55, Rate15: int64(i) + 100}
			if got := *r.Get(&a); got != want {
				t.Errorf("%s: %+v, want %+v", r.Label, got, want)
			}
		}
	}
	g := PeerGauges{1, 2, 3, 4, 5, 6, 7, 8, 9}
	g.Add(PeerGauges{10, 20, 30, 40, 50, 60, 70, 80, 90})
	if want := (PeerGauges{11, 22, 33, 44, 55, 66, 77, 88, 99}); g != want {
		t.Errorf("gauges %+v, want %+v", g, want)
	}
}

func TestSumHostsAndTopHosts(t *testing.T) {
	a := []PeerHost{{Name: "x.example", Active: 1, ConnOut: 1, Delivered: 5}, {Name: "y.example", Down: true, SoftBounced: 2}}
	b := []PeerHost{{Name: "x.example", Active: 2, HardBounced: 1}, {Name: "z.example", Active: 9}}
	sum := SumHosts(a, b)
	want := []PeerHost{
		{Name: "x.example", Active: 3, ConnOut: 1, Delivered: 5, HardBounced: 1},
		{Name: "y.example", Down: true, SoftBounced: 2},
		{Name: "z.example", Active: 9},
	}
	if !reflect.DeepEqual(sum, want) {
		t.Fatalf("SumHosts = %+v, want %+v", sum, want)
	}
	body := TopHostsBody(sum, ByDeliveredRecipients)
	lines := strings.Split(body, "\n")
	if !strings.HasPrefix(lines[3], "1    x.example") || !strings.HasPrefix(lines[4], "2*   y.example") {
		t.Errorf("sorted by delivered, ties by name, down starred:\n%s", body)
	}
}
