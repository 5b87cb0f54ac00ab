package mailapi

import "testing"

func TestValid(t *testing.T) {
	for o, want := range map[HostOrder]bool{0: false, ByActiveRecipients: true, BySoftBounced: true, 6: false, -1: false} {
		if o.Valid() != want {
			t.Errorf("HostOrder(%d).Valid() = %v", o, !want)
		}
	}
	sels := []struct {
		s    Selector
		want bool
	}{
		{Selector{}, false},
		{Selector{Domain: "a.example"}, true},
		{Selector{Sender: "<>"}, true},
		{Selector{All: true}, true},
		{Selector{Domain: "a.example", Sender: "b@a.example"}, false},
		{Selector{Sender: "b@a.example", All: true}, false},
	}
	for _, c := range sels {
		if c.s.Valid() != c.want {
			t.Errorf("%+v.Valid() = %v", c.s, !c.want)
		}
	}
	qs := []struct {
		q    EventQuery
		want bool
	}{
		{EventQuery{}, false},
		{EventQuery{MID: 1}, true},
		{EventQuery{MID: -1}, false},
		{EventQuery{From: "a"}, true},
		{EventQuery{To: "a"}, true},
		{EventQuery{Subject: "a"}, true},
		{EventQuery{MID: 2, Subject: "a"}, false},
		{EventQuery{From: "a", To: "b"}, false},
	}
	for _, c := range qs {
		if c.q.Valid() != c.want {
			t.Errorf("%+v.Valid() = %v", c.q, !c.want)
		}
	}
}
