package store

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func TestConnLimitsDefaults(t *testing.T) {
	want := ConnLimits{IdleTimeout: 300, MaxConnectionTime: 900, DataTimeout: 600, MinDataRate: 1, DataRateInterval: 60, PressureIdle: 30, ReservedPercent: 10}
	if got := DefaultConnLimits(); got != want {
		t.Fatalf("defaults %+v", got)
	}
	if l := NewListener("L", ListenerPublic, "127.0.0.1", 25); l.ConnLimits != want {
		t.Errorf("new listener: %+v", l.ConnLimits)
	}
}

// A configuration saved before the limits existed loads with their
// defaults; a 0 that was saved stays 0.
func TestConnLimitsJSON(t *testing.T) {
	c := testConfig()
	b, _ := json.Marshal(c)
	var raw map[string]any
	json.Unmarshal(b, &raw)
	l0 := raw["listeners"].([]any)[0].(map[string]any)
	for _, s := range ConnLimitParams.Specs {
		if _, ok := l0[s.Name]; !ok {
			t.Errorf("%s is not saved", s.Name)
		}
		delete(l0, s.Name)
	}
	old, _ := json.Marshal(raw)
	var back Config
	if err := json.Unmarshal(old, &back); err != nil {
		t.Fatal(err)
	}
	if back.Listeners[0].ConnLimits != DefaultConnLimits() {
		t.Errorf("old configuration: %+v", back.Listeners[0].ConnLimits)
	}

	c.Listeners[0].MinDataRate, c.Listeners[0].PressureIdle, c.Listeners[0].ReservedPercent = 0, 0, 0
	if !c.Clone().Equal(c) || c.Clone().Listeners[0].ConnLimits != c.Listeners[0].ConnLimits {
		t.Errorf("zeros do not survive a round trip: %+v", c.Clone().Listeners[0].ConnLimits)
	}
}

func TestConnLimitsValidate(t *testing.T) {
	c := testConfig()
	l := &c.Listeners[0]
	l.IdleTimeout, l.ReservedPercent, l.MinDataRate = 0, 51, -1
	got := problemsOf(t, c)
	for _, want := range []string{
		`listener "IncomingMail": idle_timeout 0 must be from 1 to 3600`,
		`listener "IncomingMail": reserved_percent 51 must be from 0 to 50`,
		`listener "IncomingMail": min_data_rate -1 must be from 0 to 1048576`,
	} {
		if !slices.Contains(got, want) {
			t.Errorf("missing %q in %q", want, got)
		}
	}
}

func TestConnLimitParse(t *testing.T) {
	idle, _ := ConnLimitParams.Lookup("idle_timeout")
	for in, want := range map[string]int{"300": 300, "5m": 300, "1h": 3600, "1s": 1} {
		if got, err := idle.Parse(in); err != nil || got != want {
			t.Errorf("idle_timeout %q: %d %v", in, got, err)
		}
	}
	for _, in := range []string{"0", "2h", "x", "-1", ""} {
		if _, err := idle.Parse(in); err == nil || !strings.Contains(err.Error(), "enter a number of seconds from 1 to 3600") {
			t.Errorf("idle_timeout %q: %v", in, err)
		}
	}
	if pct, _ := ConnLimitParams.Lookup("reserved_percent"); pct == nil {
		t.Fatal("no reserved_percent")
	} else if _, err := pct.Parse("10%"); err == nil {
		t.Error("reserved_percent 10% accepted")
	}
}

func TestReserved(t *testing.T) {
	for _, tc := range []struct{ pct, max, want int }{
		{10, 300, 30}, {10, 600, 60}, {10, 5, 1}, {10, 2, 1}, {10, 1, 0}, {50, 3, 1}, {0, 300, 0}, {50, 2, 1},
	} {
		if got := (ConnLimits{ReservedPercent: tc.pct}).Reserved(tc.max); got != tc.want {
			t.Errorf("%d%% of %d: %d, want %d", tc.pct, tc.max, got, tc.want)
		}
	}
}

func TestConnLimitsOrDefaults(t *testing.T) {
	got := (ConnLimits{IdleTimeout: 5, MinDataRate: 0, ReservedPercent: 99}).OrDefaults()
	want := DefaultConnLimits()
	want.IdleTimeout, want.MinDataRate, want.PressureIdle = 5, 0, 0 // 0 is in range for the last two
	if got != want {
		t.Errorf("%+v", got)
	}
}
