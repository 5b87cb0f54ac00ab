package tdc

import (
	"reflect"
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
			[]Part{{"Sales", []int{0, 1}}}},
		{"all default", policies, msgTo("a@x.example", "a@other.example", "b@other.example"),
			[]Part{{"DEFAULT", []int{0, 1}}}},
		{"two policies, table order", policies, msgTo("a@x.example", "z@other.example", "a@sales.example.com", "y@other.example"),
			[]Part{{"Sales", []int{1}}, {"DEFAULT", []int{0, 2}}}},
		{"sender decides", policies, msgTo("boss@partner.example", "ceo@other.example", "x@eng.example.com", "a@sales.example.com", "q@other.example"),
			[]Part{{"Sales", []int{2}}, {"Execs", []int{0, 1}}, {"DEFAULT", []int{3}}}},
		{"sender does not match", policies, msgTo("a@x.example", "ceo@other.example"),
			[]Part{{"DEFAULT", []int{0}}}},
		{"DEFAULT first in the table still ranks as written",
			[]store.MailPolicy{{Name: "DEFAULT"}, {Name: "Sales", Recipients: []string{"@sales.example.com"}}},
			msgTo("a@x.example", "a@sales.example.com", "b@other.example"),
			[]Part{{"DEFAULT", []int{1}}, {"Sales", []int{0}}}},
		{"no DEFAULT in the table", []store.MailPolicy{{Name: "Sales", Recipients: []string{"@sales.example.com"}}},
			msgTo("a@x.example", "b@other.example", "a@sales.example.com"),
			[]Part{{"Sales", []int{1}}, {"DEFAULT", []int{0}}}},
		{"sparse RIDs kept", policies, &queue.Message{MID: 1, Rcpts: []queue.Recipient{{RID: 4, Addr: "a@sales.example.com"}, {RID: 7, Addr: "b@o.example"}}},
			[]Part{{"Sales", []int{4}}, {"DEFAULT", []int{7}}}},
	}
	for _, c := range cases {
		if got := Split(c.policies, c.m); !reflect.DeepEqual(got, c.want) {
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

func TestPlan(t *testing.T) {
	base := func() *store.Config {
		cfg := store.Default("seg.example.com", "")
		cfg.TDC = store.TDC{Enabled: true, IntakeAddress: "default@intake.example"}
		cfg.Incoming = []store.MailPolicy{
			{Name: "Sales", Recipients: []string{"@sales.example.com"}, TDC: store.TDCCustom, TDCAddress: "sales@intake.example"},
			{Name: "Eng", Recipients: []string{"@eng.example.com"}, TDC: store.TDCDefault},
			{Name: "Quiet", Recipients: []string{"@quiet.example.com"}, TDC: store.TDCOff},
			{Name: "DEFAULT", TDC: store.TDCDefault},
		}
		cfg.Outgoing = []store.MailPolicy{{Name: "DEFAULT"}}
		return cfg
	}
	m := msgTo("a@x.example", "s@sales.example.com", "e@eng.example.com", "q@quiet.example.com", "o@other.example")
	cases := []struct {
		name  string
		cfg   func(*store.Config)
		m     *queue.Message
		relay bool
		want  []PartPlan
	}{
		{"custom, default, off", nil, m, false, []PartPlan{
			{Part{"Sales", []int{0}}, "sales@intake.example"},
			{Part{"Eng", []int{1}}, "default@intake.example"},
			{Part{"Quiet", []int{2}}, ""},
			{Part{"DEFAULT", []int{3}}, "default@intake.example"},
		}},
		{"one policy matches all", nil, msgTo("a@x.example", "s1@sales.example.com", "s2@sales.example.com"), false,
			[]PartPlan{{Part{"Sales", []int{0, 1}}, "sales@intake.example"}}},
		{"TDC globally disabled: no copies", func(c *store.Config) { c.TDC.Enabled = false }, m, false, []PartPlan{
			{Part{"Sales", []int{0}}, ""},
			{Part{"Eng", []int{1}}, ""},
			{Part{"Quiet", []int{2}}, ""},
			{Part{"DEFAULT", []int{3}}, ""},
		}},
		{"no default intake address", func(c *store.Config) { c.TDC.IntakeAddress = "" },
			msgTo("a@x.example", "s@sales.example.com", "e@eng.example.com"), false, []PartPlan{
				{Part{"Sales", []int{0}}, "sales@intake.example"},
				{Part{"Eng", []int{1}}, ""},
			}},
		{"relayed mail: outgoing table, never journaled", nil, m, true,
			[]PartPlan{{Part{"DEFAULT", []int{0, 1, 2, 3}}, ""}}},
		{"embedded default config: DEFAULT off", func(c *store.Config) {
			*c = *store.Default("seg.example.com", "")
			c.TDC = store.TDC{Enabled: true, IntakeAddress: "default@intake.example"}
		}, m, false, []PartPlan{{Part{"DEFAULT", []int{0, 1, 2, 3}}, ""}}},
	}
	for _, c := range cases {
		cfg := base()
		if c.cfg != nil {
			c.cfg(cfg)
		}
		if got := Plan(cfg, c.m, c.relay); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: Plan =\n%v\nwant\n%v", c.name, got, c.want)
		}
	}
}

func TestIntake(t *testing.T) {
	on := &store.Config{TDC: store.TDC{Enabled: true, IntakeAddress: "d@i.example"}}
	off := &store.Config{TDC: store.TDC{Enabled: false, IntakeAddress: "d@i.example"}}
	cases := []struct {
		cfg  *store.Config
		p    *store.MailPolicy
		want string
	}{
		{on, &store.MailPolicy{TDC: store.TDCDefault}, "d@i.example"},
		{on, &store.MailPolicy{TDC: store.TDCCustom, TDCAddress: "c@i.example"}, "c@i.example"},
		{on, &store.MailPolicy{TDC: store.TDCOff, TDCAddress: "c@i.example"}, ""},
		{on, &store.MailPolicy{}, ""},
		{on, nil, ""},
		{off, &store.MailPolicy{TDC: store.TDCCustom, TDCAddress: "c@i.example"}, ""},
		{off, &store.MailPolicy{TDC: store.TDCDefault}, ""},
	}
	for i, c := range cases {
		if got := Intake(c.cfg, c.p); got != c.want {
			t.Errorf("case %d: Intake = %q, want %q", i, got, c.want)
		}
	}
}
