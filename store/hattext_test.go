package store

import (
	"fmt"
	"math/rand"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestFormatHATDefault(t *testing.T) {
	h := Default("", "").Listeners[0].HAT
	got := FormatHAT(h)
	want := `$ACCEPTED
    ACCEPT
$THROTTLED
    ACCEPT {
        max_message_size = 1048576
        max_concurrency = 10
        max_msgs_per_session = 10
        max_rcpts_per_msg = 25
        max_rcpts_per_hour = 20
        use_sb = "on"
        dhap_limit = 0
        spam_check = "on"
        virus_check = "on"
        tls = "off"
    }
$TRUSTED
    ACCEPT {
        max_message_size = 104857600
        max_concurrency = 600
        max_msgs_per_session = 5000
        max_rcpts_per_msg = 5000
        max_rcpts_per_hour = -1
        use_sb = "off"
        dhap_limit = 0
        spam_check = "off"
        virus_check = "on"
        tls = "off"
    }
$BLOCKED
    REJECT
$RELAYED
    RELAY {
        max_message_size = 104857600
        max_concurrency = 600
        max_msgs_per_session = 5000
        max_rcpts_per_msg = 5000
        max_rcpts_per_hour = -1
        use_sb = "off"
        dhap_limit = 0
        spam_check = "off"
        virus_check = "on"
        tls = "off"
    }
RELAYLIST:
    $RELAYED (Hosts allowed to relay mail through this listener)
    127.0.0.1
ALLOWED_LIST:
    $TRUSTED (My trusted senders have no anti-spam scanning or rate limiting)
BLOCKED_LIST:
    $BLOCKED (Spammers are rejected)
SUSPECTLIST:
    $THROTTLED (Suspicious senders are throttled)
UNKNOWNLIST:
    $ACCEPTED (Reviewed but undecided, continue normal acceptance)
ALL
    $ACCEPTED
`
	if got != want {
		t.Errorf("FormatHAT(default) =\n%s\nwant\n%s", got, want)
	}
}

// roundTrip checks FormatHAT(ParseHAT(FormatHAT(h))) == FormatHAT(h) and
// that the parsed HAT equals h.
func roundTrip(t *testing.T, h HAT) {
	t.Helper()
	text := FormatHAT(h)
	back, err := ParseHAT("test", strings.NewReader(text), h.Defaults)
	if err != nil {
		t.Fatalf("ParseHAT of FormatHAT output: %v\n%s", err, text)
	}
	if again := FormatHAT(back); again != text {
		t.Fatalf("round trip changed the text:\n%s\nvs\n%s", again, text)
	}
	if !reflect.DeepEqual(normHAT(back), normHAT(h)) {
		t.Fatalf("round trip changed the HAT:\n%+v\nvs\n%+v", back, h)
	}
}

// normHAT maps empty Params and member lists to nil for comparison.
func normHAT(h HAT) HAT {
	n := HAT{Defaults: h.Defaults}
	for _, p := range h.Policies {
		if len(p.Params) == 0 {
			p.Params = nil
		}
		n.Policies = append(n.Policies, p)
	}
	for _, g := range h.SenderGroups {
		if len(g.Members) == 0 {
			g.Members = nil
		}
		n.SenderGroups = append(n.SenderGroups, g)
	}
	return n
}

func TestHATRoundTripDefaults(t *testing.T) {
	roundTrip(t, Default("", "").Listeners[0].HAT)
	roundTrip(t, NewPublicHAT())
	h := NewPrivateHAT([]string{"10.0.0.0/8", "192.0.2.7"})
	roundTrip(t, h)
}

func TestHATRoundTripRandom(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 50; i++ {
		roundTrip(t, randomHAT(rng, 40, 60))
	}
}

var sampleMembers = []string{"10.1.1.1", "10.1.1.", "10.1.1-5.", "10.2.3.4-50", "192.0.2.0/24",
	"2001:db8::/32", "2001:db8::1", "2001:db8::1-2001:db8::ff", "mx.example.com", ".example.org",
	"dnslist[bl.example.net]", "sbrs[-10.0:-3.0]", "sbrs[none]", "SBO:42", "172.16.0.0/12"}

func randomValue(rng *rand.Rand, s ParamSpec) string {
	switch s.Kind {
	case KindOnOff:
		return []string{"on", "off"}[rng.Intn(2)]
	case KindEnum:
		return s.Enum[rng.Intn(len(s.Enum))]
	case KindString:
		return []string{"", "hello world", "Go away $RemoteIP", "a (b) c"}[rng.Intn(4)]
	case KindList:
		return []string{"", "a@example.com", "a@example.com,b@example.org"}[rng.Intn(3)]
	}
	lo, hi := s.Min, s.Max
	if hi == 0 {
		hi = lo + 100000
	}
	return strconv.FormatInt(lo+rng.Int63n(hi-lo+1), 10)
}

func randomHAT(rng *rand.Rand, npol, ngroup int) HAT {
	h := HAT{Defaults: DefaultHATParams()}
	for i := 0; i < npol; i++ {
		p := FlowPolicy{Name: fmt.Sprintf("$P%d", i), Behavior: Behaviors[rng.Intn(len(Behaviors))]}
		if rng.Intn(3) > 0 {
			p.Params = Params{}
			for _, s := range HATParams.Specs {
				if rng.Intn(4) == 0 {
					p.Params[s.Name] = randomValue(rng, s)
				}
			}
		}
		h.Policies = append(h.Policies, p)
	}
	for i := 0; i < ngroup; i++ {
		g := SenderGroup{Name: fmt.Sprintf("G-%d_x", i), Policy: h.Policies[rng.Intn(npol)].Name}
		if rng.Intn(2) == 0 {
			g.Comment = "comment " + strconv.Itoa(i)
		}
		perm := rng.Perm(len(sampleMembers))
		for _, j := range perm[:rng.Intn(6)] {
			g.Members = append(g.Members, sampleMembers[j])
		}
		for k := rng.Intn(4); k > 0; k-- {
			g.Members = append(g.Members, fmt.Sprintf("10.%d.%d.%d", i, k, rng.Intn(256)))
		}
		h.SenderGroups = append(h.SenderGroups, g)
	}
	h.SenderGroups = append(h.SenderGroups, SenderGroup{Name: "ALL", Members: []string{"ALL"}, Policy: h.Policies[0].Name})
	// Members must be canonical and unique for an exact round trip.
	for gi := range h.SenderGroups {
		seen := map[string]bool{}
		var ms []string
		for _, m := range h.SenderGroups[gi].Members {
			if pm, err := ParseMember(m); err == nil && !seen[pm.String()] {
				seen[pm.String()] = true
				if pm.Kind == MemberAll && h.SenderGroups[gi].Name != "ALL" {
					continue
				}
				ms = append(ms, pm.String())
			}
		}
		h.SenderGroups[gi].Members = ms
	}
	return h
}

func TestParseHATAsyncOSFile(t *testing.T) {
	// The 9.7 PRINT layout (8-space indents), comments, members in the
	// AsyncOS forms, and ad-hoc rows.
	text := `# File exported from an appliance
$ACCEPTED
    ACCEPT
$THROTTLED
    ACCEPT {
        spam_check = "on"
        max_msgs_per_session = 10
        max_message_size = 1048576
        tls = off
    }
$BLOCKED
    REJECT

WHITELIST:
        $TRUSTED (My trusted senders)
        10.1.1.
        10.2.2.1-50, mx.Example.com
BLACKLIST:
        $blocked (Spammers are rejected)
        sbrs[-10.0:-3.0]
spamdomain.com
    REJECT (reject the domain "spamdomain.com")
251.192.1.
	TCPREFUSE (refuse a network)
169.254.10.10
    RELAY {
        max_rcpts_per_msg = 5
    }
.partner.example
    $ACCEPTED
$TRUSTED
    ACCEPT {
        max_concurrency = 600
    }
ALL
        $ACCEPTED
`
	h, err := ParseHAT("f.txt", strings.NewReader(text), nil)
	if err != nil {
		t.Fatal(err)
	}
	got := FormatHAT(h)
	want := `$ACCEPTED
    ACCEPT
$THROTTLED
    ACCEPT {
        max_message_size = 1048576
        max_msgs_per_session = 10
        spam_check = "on"
        tls = "off"
    }
$BLOCKED
    REJECT
$ADHOC_22
    REJECT
$ADHOC_24
    TCPREFUSE
$ADHOC_26
    RELAY {
        max_rcpts_per_msg = 5
    }
$TRUSTED
    ACCEPT {
        max_concurrency = 600
    }
WHITELIST:
    $TRUSTED (My trusted senders)
    10.1.1.0/24
    10.2.2.1-50
    mx.example.com
BLACKLIST:
    $BLOCKED (Spammers are rejected)
    sbrs[-10.0:-3.0]
ADHOC_21:
    $ADHOC_22 (reject the domain "spamdomain.com")
    spamdomain.com
ADHOC_23:
    $ADHOC_24 (refuse a network)
    251.192.1.0/24
ADHOC_25:
    $ADHOC_26
    169.254.10.10
ADHOC_29:
    $ACCEPTED
    .partner.example
ALL
    $ACCEPTED
`
	if got != want {
		t.Errorf("import of an AsyncOS file:\n%s\nwant\n%s", got, want)
	}
	if !reflect.DeepEqual(h.Defaults, DefaultHATParams()) {
		t.Error("nil defaults did not give the public-listener defaults")
	}
	roundTrip(t, h)
}

func TestParseHATGeneratedNameCollision(t *testing.T) {
	text := `$ADHOC_4
    ACCEPT
ADHOC_3:
    $ADHOC_4
10.1.1.1
    REJECT
ALL
    REJECT
`
	h, err := ParseHAT("f", strings.NewReader(text), nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range h.Policies {
		names = append(names, p.Name)
	}
	for _, g := range h.SenderGroups {
		names = append(names, g.Name+"->"+g.Policy)
	}
	want := "$ADHOC_4 $ADHOC_6 $ADHOC_8 ADHOC_3->$ADHOC_4 ADHOC_5->$ADHOC_6 ALL->$ADHOC_8"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("names = %s\nwant %s", got, want)
	}
	// A generated name that is taken gets a suffix.
	text = `$ADHOC_4
    ACCEPT
10.1.1.1
    REJECT
ADHOC_3:
    $ADHOC_4
ALL
    $ADHOC_4
`
	h, err = ParseHAT("f", strings.NewReader(text), nil)
	if err != nil {
		t.Fatal(err)
	}
	names = nil
	for _, p := range h.Policies {
		names = append(names, p.Name)
	}
	for _, g := range h.SenderGroups {
		names = append(names, g.Name+"->"+g.Policy)
	}
	want = "$ADHOC_4 $ADHOC_4_2 ADHOC_3_2->$ADHOC_4_2 ADHOC_3->$ADHOC_4 ALL->$ADHOC_4"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("names = %s\nwant %s", got, want)
	}
}

func TestParseHATErrors(t *testing.T) {
	text := `$GOOD
    ACCEPT {
        max_concurrency = 5000
        bogus = 1
        tls = "maybe"
        max_rcpts_per_msg = 10
        max_rcpts_per_msg = 11
        no equals here
    }
$NOBEHAVIOR
$BADBEHAVIOR
    SOMETIMES
$GOOD
    REJECT
bad name!:
    $GOOD
G1:
    $MISSING (who?)
    10.1.1.300
    10.0.0.0/40
    bad_host!
G1:
    $GOOD
G2:
    10.1.1.1
G3:
    $GOOD trailing
    $GOOD
    10.9.9.9
    10.9.9.9
    all
ALL
    $GOOD
    10.1.1.1
G4:
    $GOOD
`
	_, err := parseHAT("hat.txt", strings.NewReader(text), nil, 100)
	le, ok := err.(*LineErrors)
	if !ok {
		t.Fatalf("err = %v (%T), want *LineErrors", err, err)
	}
	want := []string{
		`hat.txt:3: max_concurrency: value must be between 1 and 1000`,
		`hat.txt:4: unknown HAT parameter "bogus"`,
		`hat.txt:5: tls: "maybe" must be one of off, preferred, required`,
		`hat.txt:7: max_rcpts_per_msg set twice (first on line 6)`,
		`hat.txt:8: expected key = value or }, got "no equals here"`,
		`hat.txt:10: policy $NOBEHAVIOR has no behavior line (ACCEPT, REJECT, TCPREFUSE, RELAY or CONTINUE)`,
		`hat.txt:12: Unknown behavior "SOMETIMES": choose ACCEPT, REJECT, TCPREFUSE, RELAY, CONTINUE`,
		`hat.txt:13: policy $GOOD is defined twice (first on line 1)`,
		`hat.txt:15: Invalid sender group name "bad name!": use letters, digits, _, - or .`,
		`hat.txt:18: unknown policy $MISSING (defined policies: $GOOD, $BADBEHAVIOR)`,
		`hat.txt:19: Invalid IP or IP range "10.1.1.300"`,
		`hat.txt:20: A CIDR address is an IP followed by / and a number from 0 to 32: "10.0.0.0/40"`,
		`hat.txt:21: Invalid hostname format "bad_host!"`,
		`hat.txt:22: sender group G1 is defined twice (first on line 17)`,
		`hat.txt:24: sender group G2 has no policy line ($POLICY (comment))`,
		`hat.txt:26: sender group G3 lists 10.9.9.9 twice`,
		`hat.txt:27: expected a (comment) after the policy, got "trailing"`,
		`hat.txt:28: sender group G3 already has a policy (line 27)`,
		`hat.txt:31: ALL may only be used in the last row of the table`,
		`hat.txt:34: the ALL row takes only a policy line, not members ("10.1.1.1")`,
		`hat.txt:35: sender group G4 follows ALL: ALL must be the last row`,
	}
	if got := strings.Join(le.Problems, "\n"); got != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant\n%s", got, strings.Join(want, "\n"))
	}
}

func TestParseHATStructureErrors(t *testing.T) {
	tests := []struct{ text, want string }{
		{"G:\n    $P\n", "f:2: unknown policy $P (defined policies: none)\nf:2: the table has no ALL row: it must end with ALL and its policy"},
		{"", "f:1: the table has no ALL row: it must end with ALL and its policy"},
		{"    $P\nALL\n    REJECT\n", `f:1: indented line outside a policy or sender group: "$P"`},
		{"$P\n    ACCEPT {\n        tls = \"off\"\nALL\n    $P\n", "f:3: missing } to close the parameter block"},
		{"$P\n    ACCEPT {\n        tls = \"off\n    }\nALL\n    $P\n", "f:3: unterminated string \"off"},
		{"$P\n    ACCEPT (x)\nALL\n    $P\n", `f:2: unexpected "(x)" after the behavior of policy $P`},
		{"$P\n    ACCEPT\n    REJECT\nALL\n    $P\n", `f:3: unexpected line after policy $P: "REJECT"`},
		{"$bad name\n    ACCEPT\nALL\n    REJECT\n", `f:1: Invalid policy name "$bad name": a policy name is $ followed by letters, digits, _ or -`},
	}
	for _, tt := range tests {
		_, err := ParseHAT("f", strings.NewReader(tt.text), nil)
		if err == nil || err.Error() != tt.want {
			t.Errorf("ParseHAT(%q) error =\n%v\nwant\n%s", tt.text, err, tt.want)
		}
	}
}

func TestParseHATKeepsDefaults(t *testing.T) {
	d := DefaultHATParams().Overlay(Params{"max_concurrency": "77"})
	// Policies are definitions, not rows: they may follow ALL.
	h, err := ParseHAT("f", strings.NewReader("ALL\n    $x (last)\n$X\n    ACCEPT\n"), d)
	if err != nil {
		t.Fatal(err)
	}
	if h.Defaults["max_concurrency"] != "77" || h.SenderGroups[0].Policy != "$X" || h.SenderGroups[0].Comment != "last" {
		t.Errorf("got %+v", h)
	}
	d["max_concurrency"] = "1"
	if h.Defaults["max_concurrency"] != "77" {
		t.Error("ParseHAT did not copy the defaults")
	}
}

func FuzzParseHAT(f *testing.F) {
	f.Add(FormatHAT(Default("", "").Listeners[0].HAT))
	f.Add(FormatHAT(NewPrivateHAT([]string{"10.0.0.0/8"})))
	f.Add("10.1.1.1\n    REJECT (x)\nALL\n    ACCEPT {\n        tls = on\n    }\n")
	f.Add("# c\nG:\n        $P\n        .example.com, 10.1-2.\n$P\n    RELAY\n    {\n    }\nALL:\n    $P\n")
	f.Fuzz(func(t *testing.T, text string) {
		h, err := ParseHAT("fuzz", strings.NewReader(text), nil)
		if err != nil {
			return
		}
		out := FormatHAT(h)
		h2, err := ParseHAT("fuzz", strings.NewReader(out), nil)
		if err != nil {
			t.Fatalf("accepted %q but not its export %q: %v", text, out, err)
		}
		if again := FormatHAT(h2); again != out {
			t.Fatalf("export of %q does not round-trip:\n%s\nvs\n%s", text, out, again)
		}
	})
}
