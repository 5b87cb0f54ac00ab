package mailpolicy

import (
	"reflect"
	"slices"
	"testing"

	"seg/mta/queue"
	"seg/store"
)

func msgTo(from string, rcpts ...string) *queue.Message {
	m := &queue.Message{MID: 10, ICID: 3, From: from, RemoteIP: "192.0.2.1", Subject: "s"}
	for i, a := range rcpts {
		m.Rcpts = append(m.Rcpts, queue.Recipient{RID: i, Addr: a})
	}
	return m
}

func TestSplit(t *testing.T) {
	policies := []store.MailPolicy{
		{Name: "Sales", Recipients: []string{"@sales.example.com"}},
		{Name: "Execs", Senders: []string{"@partner.example"}, Recipients: []string{"ceo@", "@.example.com"}},
		{Name: "DEFAULT"},
	}
	cases := []struct {
		name     string
		policies []store.MailPolicy
		m        *queue.Message
		want     []Part
	}{
		{"one policy matches all", policies, msgTo("a@x.example", "a@sales.example.com", "B@Sales.Example.com"),
			[]Part{{Policy: "Sales", RIDs: []int{0, 1}}}},
		{"all default", policies, msgTo("a@x.example", "a@other.example", "b@other.example"),
			[]Part{{Policy: "DEFAULT", RIDs: []int{0, 1}}}},
		{"two policies, table order", policies, msgTo("a@x.example", "z@other.example", "a@sales.example.com", "y@other.example"),
			[]Part{{Policy: "Sales", RIDs: []int{1}}, {Policy: "DEFAULT", RIDs: []int{0, 2}}}},
		{"sender decides", policies, msgTo("boss@partner.example", "ceo@other.example", "x@eng.example.com", "a@sales.example.com", "q@other.example"),
			[]Part{{Policy: "Sales", RIDs: []int{2}}, {Policy: "Execs", RIDs: []int{0, 1}}, {Policy: "DEFAULT", RIDs: []int{3}}}},
		{"sender does not match", policies, msgTo("a@x.example", "ceo@other.example"),
			[]Part{{Policy: "DEFAULT", RIDs: []int{0}}}},
		{"DEFAULT first in the table still ranks as written",
			[]store.MailPolicy{{Name: "DEFAULT"}, {Name: "Sales", Recipients: []string{"@sales.example.com"}}},
			msgTo("a@x.example", "a@sales.example.com", "b@other.example"),
			[]Part{{Policy: "DEFAULT", RIDs: []int{1}}, {Policy: "Sales", RIDs: []int{0}}}},
		{"no DEFAULT in the table", []store.MailPolicy{{Name: "Sales", Recipients: []string{"@sales.example.com"}}},
			msgTo("a@x.example", "b@other.example", "a@sales.example.com"),
			[]Part{{Policy: "Sales", RIDs: []int{1}}, {Policy: "DEFAULT", RIDs: []int{0}}}},
		{"sparse RIDs kept", policies, &queue.Message{MID: 1, Rcpts: []queue.Recipient{{RID: 4, Addr: "a@sales.example.com"}, {RID: 7, Addr: "b@o.example"}}},
			[]Part{{Policy: "Sales", RIDs: []int{4}}, {Policy: "DEFAULT", RIDs: []int{7}}}},
	}
	for _, c := range cases {
		got := Split(c.policies, c.m)
		// Rule is the policy named, in the table given; nil only for
		// recipients that matched nothing, when the table has no DEFAULT.
		for i, p := range got {
			want := (*store.MailPolicy)(nil)
			if j := slices.IndexFunc(c.policies, func(q store.MailPolicy) bool { return q.Name == p.Policy }); j >= 0 {
				want = &c.policies[j]
			}
			if p.Rule != want {
				t.Errorf("%s: part %d (%s): Rule %p, want %p", c.name, i, p.Policy, p.Rule, want)
			}
			got[i].Rule = nil
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: Split = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestPartMessage(t *testing.T) {
	m := msgTo("a@x.example", "r0@o.example", "r1@o.example", "r2@o.example")
	keep := Part{Policy: "Sales", RIDs: []int{0, 2}}.Message(m, m.MID)
	if keep.MID != 10 || keep.Policy != "Sales" || len(keep.Rcpts) != 2 ||
		keep.Rcpts[0] != (queue.Recipient{RID: 0, Addr: "r0@o.example"}) ||
		keep.Rcpts[1] != (queue.Recipient{RID: 2, Addr: "r2@o.example"}) {
		t.Errorf("part keeping the MID = %+v", keep)
	}
	split := Part{Policy: "DEFAULT", RIDs: []int{2, 1}}.Message(m, 11)
	if split.MID != 11 || split.Policy != "DEFAULT" || split.ICID != 3 || split.From != "a@x.example" ||
		!reflect.DeepEqual(split.Rcpts, []queue.Recipient{{RID: 0, Addr: "r2@o.example"}, {RID: 1, Addr: "r1@o.example"}}) {
		t.Errorf("split-off part = %+v", split)
	}
	if len(m.Rcpts) != 3 || m.MID != 10 || m.Policy != "" || m.Rcpts[2].RID != 2 {
		t.Errorf("Message changed the original: %+v", m)
	}
	split.Rcpts[0].Addr = "changed"
	if m.Rcpts[2].Addr != "r2@o.example" {
		t.Error("the part shares recipients with the original")
	}
}

func TestPolicies(t *testing.T) {
	cfg := &store.Config{Incoming: []store.MailPolicy{{Name: "In"}}, Outgoing: []store.MailPolicy{{Name: "Out"}}}
	if p := Policies(cfg, false); len(p) != 1 || &p[0] != &cfg.Incoming[0] {
		t.Errorf("received mail: %v, want the incoming table", p)
	}
	if p := Policies(cfg, true); len(p) != 1 || &p[0] != &cfg.Outgoing[0] {
		t.Errorf("relayed mail: %v, want the outgoing table", p)
	}
}
