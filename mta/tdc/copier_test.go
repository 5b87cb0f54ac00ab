package tdc

import (
	"reflect"
	"slices"
	"testing"

	"seg/mta/mailpolicy"
	"seg/mta/queue"
	"seg/store"
)

// TestWhichPartsAreJournaled: a message split by mail policy as mta/smtpd
// splits it (mailpolicy.Split), then each part offered to the Copier; want
// is, per part, the intake address of its copy ("" for none).
func TestWhichPartsAreJournaled(t *testing.T) {
	base := func() *store.Config {
		cfg := store.Default("seg.example.com", "")
		cfg.TDC = store.TDC{Enabled: true, IntakeAddress: "default@intake.example"}
		cfg.Incoming = []store.MailPolicy{
			{Name: "Sales", Recipients: []string{"@sales.example.com"}, TDC: store.TDCCustom, TDCAddress: "sales@intake.example"},
			{Name: "Eng", Recipients: []string{"@eng.example.com"}, TDC: store.TDCDefault},
			{Name: "Quiet", Recipients: []string{"@quiet.example.com"}, TDC: store.TDCOff},
			{Name: "DEFAULT", TDC: store.TDCDefault},
		}
		cfg.Outgoing = []store.MailPolicy{{Name: "DEFAULT", TDC: store.TDCDefault}}
		return cfg
	}
	m := []string{"s@sales.example.com", "e@eng.example.com", "q@quiet.example.com", "o@other.example"}
	type plan struct {
		policy string
		intake string
	}
	cases := []struct {
		name  string
		cfg   func(*store.Config)
		rcpts []string
		relay bool
		want  []plan
	}{
		{"custom, default, off", nil, m, false, []plan{
			{"Sales", "sales@intake.example"},
			{"Eng", "default@intake.example"},
			{"Quiet", ""},
			{"DEFAULT", "default@intake.example"},
		}},
		{"one policy matches all", nil, []string{"s1@sales.example.com", "s2@sales.example.com"}, false,
			[]plan{{"Sales", "sales@intake.example"}}},
		{"TDC globally disabled: no copies", func(c *store.Config) { c.TDC.Enabled = false }, m, false, []plan{
			{"Sales", ""},
			{"Eng", ""},
			{"Quiet", ""},
			{"DEFAULT", ""},
		}},
		{"no default intake address", func(c *store.Config) { c.TDC.IntakeAddress = "" },
			[]string{"s@sales.example.com", "e@eng.example.com"}, false, []plan{
				{"Sales", "sales@intake.example"},
				{"Eng", ""},
			}},
		// The outgoing DEFAULT here says "default": relayed mail is still
		// never journaled.
		{"relayed mail: outgoing table, never journaled", nil, m, true,
			[]plan{{"DEFAULT", ""}}},
		{"no DEFAULT in the table: the rest is not journaled", func(c *store.Config) { c.Incoming = c.Incoming[:3] }, m, false, []plan{
			{"Sales", "sales@intake.example"},
			{"Eng", "default@intake.example"},
			{"Quiet", ""},
			{"DEFAULT", ""},
		}},
		{"embedded default config: DEFAULT off", func(c *store.Config) {
			*c = *store.Default("seg.example.com", "")
			c.TDC = store.TDC{Enabled: true, IntakeAddress: "default@intake.example"}
		}, m, false, []plan{{"DEFAULT", ""}}},
	}
	next := int64(100)
	c := Copier{NewMID: func() int64 { next++; return next }}
	for _, tc := range cases {
		cfg := base()
		if tc.cfg != nil {
			tc.cfg(cfg)
		}
		msg := queue.Message{MID: 10, From: "a@x.example", MessageID: "<m@x.example>", Relayed: tc.relay}
		for i, a := range tc.rcpts {
			msg.Rcpts = append(msg.Rcpts, queue.Recipient{RID: i, Addr: a})
		}
		var got []plan
		for _, p := range mailpolicy.Split(mailpolicy.Policies(cfg, tc.relay), &msg) {
			pm := p.Message(&msg, msg.MID)
			d, made, queued, ok := c.Copy(cfg, pm, p.Rule, []byte("Subject: s\r\n\r\nbody\r\n"))
			intake := ""
			if ok {
				intake = d.Msg.Rcpts[0].Addr
				if want := LogQueued(d.Msg, pm, intake); !slices.Equal(queued, want) || queued[1] != LogEnqueued(pm.MID, pm.MessageID, intake) {
					t.Errorf("%s: %s: log lines %q, want %q", tc.name, p.Policy, queued, want)
				}
				if want := LogGenerated(d.Msg.MID, pm.MID); len(made) < 2 || made[1] != want {
					t.Errorf("%s: %s: made %q, want the generated line %q second", tc.name, p.Policy, made, want)
				}
			} else if d.Msg != nil || made != nil || queued != nil {
				t.Errorf("%s: %s: not journaled, yet a copy %+v and log lines %q %q", tc.name, p.Policy, d, made, queued)
			}
			got = append(got, plan{p.Policy, intake})
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: journaled\n%v\nwant\n%v", tc.name, got, tc.want)
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
		// inherit: the DEFAULT policy's setting, whatever it is now.
		{withDefault(on, store.TDCCustom, "def@i.example"), &store.MailPolicy{TDC: store.TDCInherit, TDCAddress: "c@i.example"}, "def@i.example"},
		{withDefault(on, store.TDCDefault, ""), &store.MailPolicy{TDC: store.TDCInherit}, "d@i.example"},
		{withDefault(on, store.TDCOff, ""), &store.MailPolicy{TDC: store.TDCInherit}, ""},
		{withDefault(off, store.TDCDefault, ""), &store.MailPolicy{TDC: store.TDCInherit}, ""},
		{on, &store.MailPolicy{TDC: store.TDCInherit}, ""}, // no DEFAULT policy
	}
	for i, c := range cases {
		if got := Intake(c.cfg, c.p); got != c.want {
			t.Errorf("case %d: Intake = %q, want %q", i, got, c.want)
		}
	}
}

// withDefault is cfg with an incoming DEFAULT policy of TDC mode and
// address.
func withDefault(cfg *store.Config, mode, addr string) *store.Config {
	c := *cfg
	c.Incoming = []store.MailPolicy{{Name: store.DefaultPolicyName, TDC: mode, TDCAddress: addr}}
	return &c
}
