package store

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// machineConfig is a standalone machine's valid configuration: its own
// hostname, listener port and SSH port.
func machineConfig(t *testing.T, host string, port int) *Config {
	t.Helper()
	c := Default(host, "$2a$10$admin")
	c.Listeners[0].Port = port
	c.SSH.Port = port + 1
	c.Metrics = MetricsConfig{Address: fmt.Sprintf("127.0.0.1:%d", port+2)}
	if err := c.Validate(); err != nil {
		t.Fatalf("test config for %s: %v", host, err)
	}
	return c
}

// twoMachines is a cluster "c" of seg1 (group Main) and seg2 (group
// Main), each with its own listener, plus an empty group Edge.
func twoMachines(t *testing.T) *ClusterTree {
	t.Helper()
	tr, err := NewClusterTree("c", machineConfig(t, "seg1.test", 2525), "seg1.test", "Main")
	if err != nil {
		t.Fatal(err)
	}
	if tr, err = tr.Join("seg2.test", "Main", machineConfig(t, "seg2.test", 3525)); err != nil {
		t.Fatal(err)
	}
	if tr, err = tr.AddGroup("Edge"); err != nil {
		t.Fatal(err)
	}
	return tr
}

func effective(t *testing.T, tr *ClusterTree, m string) *Config {
	t.Helper()
	c, err := tr.Effective(m)
	if err != nil {
		t.Fatalf("Effective(%s): %v", m, err)
	}
	return c
}

func view(t *testing.T, tr *ClusterTree, l Level, local string) *Config {
	t.Helper()
	c, err := tr.View(l, local)
	if err != nil {
		t.Fatalf("View(%v, %s): %v", l, local, err)
	}
	return c
}

var (
	atCluster = Level{Kind: LevelCluster}
	atMain    = Level{Kind: LevelGroup, Name: "Main"}
	atEdge    = Level{Kind: LevelGroup, Name: "Edge"}
	atSeg1    = Level{Kind: LevelMachine, Name: "seg1.test"}
	atSeg2    = Level{Kind: LevelMachine, Name: "seg2.test"}
)

func TestNewClusterTreeMovesMachineObjects(t *testing.T) {
	cfg := machineConfig(t, "seg1.test", 2525)
	cfg.Destinations = []Destination{{Domain: "example.com", Params: Params{"max_host_concurrency": "7"}}}
	cfg.SenderExceptions = []SenderException{{Match: "a@example.com", Action: "ACCEPT"}}
	orig := cfg.Clone()
	tr, err := NewClusterTree("c", cfg, "seg1.test", "Main")
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Equal(orig) {
		t.Error("NewClusterTree modified its argument")
	}
	if got := effective(t, tr, "seg1.test"); !got.Equal(orig) {
		t.Errorf("Effective differs from the standalone config:\n%v", Changes(orig, got))
	}
	want := []string{"hostname", "interfaces", "listener address incomingmail", "listener setup", "metrics", "ssh"}
	if got := tr.Machines["seg1.test"].Objects; !reflect.DeepEqual(got, want) {
		t.Errorf("machine objects %q, want %q", got, want)
	}
	c := tr.Cluster
	if c.System.Hostname != "" || len(c.Interfaces) != 0 || c.SSH.Port != 0 || c.Metrics.Address != "" {
		t.Errorf("cluster level keeps machine objects: %+v %v %+v %+v", c.System.Hostname, c.Interfaces, c.SSH, c.Metrics)
	}
	// The listener itself (its HAT, RAT...) is the cluster's; only its
	// address and port are the machine's.
	if len(c.Listeners) != 1 || !unaddressed(c.Listeners[0]) || !sameValue(c.Listeners[0], listenerBody(orig.Listeners[0])) {
		t.Errorf("cluster level listeners %+v, want IncomingMail without its address", c.Listeners)
	}
	if ml := tr.Machines["seg1.test"].Config.Listeners; len(ml) != 1 || !emptyListener(listenerBody(ml[0])) || ml[0].Port != 2525 {
		t.Errorf("machine level listeners %+v, want IncomingMail's address only", ml)
	}
	if len(c.Users) != 1 || len(c.Destinations) != 1 || len(c.SenderExceptions) != 1 {
		t.Errorf("cluster level lost objects: users %v destinations %v exceptions %v", c.Users, c.Destinations, c.SenderExceptions)
	}
	if got := tr.Members(); !reflect.DeepEqual(got, []ClusterMember{{"seg1.test", "Main"}}) {
		t.Errorf("Members %v", got)
	}
	// The cluster view shows this machine's listeners and SSH.
	if v := view(t, tr, atCluster, "seg1.test"); !v.Equal(orig) {
		t.Errorf("cluster view differs from the standalone config: %v", Changes(orig, v))
	}
}

func TestNewClusterTreeErrors(t *testing.T) {
	cfg := machineConfig(t, "seg1.test", 2525)
	for _, tc := range []struct {
		name, machine, group string
		cfg                  *Config
		want                 string
	}{
		{"", "m", "Main", cfg, "needs a name"},
		{"c", "", "Main", cfg, "machine"},
		{"c", "m", "", cfg, "group needs a name"},
		{"c", "m", "Main", nil, "no configuration"},
	} {
		if _, err := NewClusterTree(tc.name, tc.cfg, tc.machine, tc.group); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewClusterTree(%q, %q, %q): %v, want %q", tc.name, tc.machine, tc.group, err, tc.want)
		}
	}
}

func TestJoinKeepsMachineObjectsTakesTheRest(t *testing.T) {
	tr := twoMachines(t)
	local := machineConfig(t, "seg2.test", 3525)
	seg2 := effective(t, tr, "seg2.test")
	if seg2.System.Hostname != "seg2.test" || seg2.Listeners[0].Port != 3525 || seg2.SSH.Port != 3526 || seg2.Metrics.Address != "127.0.0.1:3527" {
		t.Errorf("seg2 lost its machine objects: %s %+v %+v", seg2.System.Hostname, seg2.Listeners, seg2.SSH)
	}
	seg1 := effective(t, tr, "seg1.test")
	if seg1.Listeners[0].Port != 2525 || len(seg1.Listeners) != 1 {
		t.Errorf("seg1's listeners changed by the join: %+v", seg1.Listeners)
	}

	// A joining machine's other settings give way to the cluster's.
	local.Destinations = []Destination{{Domain: "mine.example"}}
	local.Users = append(local.Users, User{Name: "bob", Role: RoleOperator})
	tr2, err := tr.Join("seg3.test", "Edge", local)
	if err != nil {
		t.Fatal(err)
	}
	seg3 := effective(t, tr2, "seg3.test")
	if len(seg3.Listeners) != 1 || seg3.Listeners[0].Port != 3525 {
		t.Errorf("seg3 listeners %+v, want the cluster's IncomingMail on its own port 3525", seg3.Listeners)
	}
	if seg3.Destination("mine.example") != nil || seg3.User("bob") != nil {
		t.Errorf("the joining machine's own settings survived: %v %v", seg3.Destinations, seg3.Users)
	}
	if seg3.System.Hostname != "seg2.test" || seg3.Listeners[0].Port != 3525 {
		t.Errorf("seg3's machine objects: %s %+v", seg3.System.Hostname, seg3.Listeners)
	}
	if _, ok := tr.Machines["seg3.test"]; ok {
		t.Error("Join modified its receiver")
	}

	for _, tc := range []struct{ machine, group, want string }{
		{"seg1.test", "Main", "already a machine seg1.test"},
		{"seg9.test", "Nope", "no group Nope"},
		{"", "Main", "needs a name"},
	} {
		if _, err := tr.Join(tc.machine, tc.group, local); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Join(%q, %q): %v, want %q", tc.machine, tc.group, err, tc.want)
		}
	}
}

func TestClusterMembership(t *testing.T) {
	tr := twoMachines(t)
	tr, err := tr.SetGroup("seg2.test", "Edge")
	if err != nil {
		t.Fatal(err)
	}
	if got := tr.Members(); !reflect.DeepEqual(got, []ClusterMember{{"seg1.test", "Main"}, {"seg2.test", "Edge"}}) {
		t.Errorf("Members after SetGroup: %v", got)
	}
	if _, err := tr.RemoveGroup("Edge"); err == nil || !strings.Contains(err.Error(), "still has machines (seg2.test)") {
		t.Errorf("RemoveGroup of a group in use: %v", err)
	}
	tr2, err := tr.RemoveMachine("seg2.test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr2.Effective("seg2.test"); err == nil {
		t.Error("a removed machine still has an effective configuration")
	}
	if tr2, err = tr2.RemoveGroup("Edge"); err != nil {
		t.Fatal(err)
	}
	if _, ok := tr2.Groups["Edge"]; ok {
		t.Error("RemoveGroup left the group")
	}
	if len(tr.Members()) != 2 {
		t.Error("RemoveMachine modified its receiver")
	}
	for _, tc := range []struct {
		op   string
		f    func() (*ClusterTree, error)
		want string
	}{
		{"AddGroup existing", func() (*ClusterTree, error) { return tr.AddGroup("Main") }, "already a group Main"},
		{"AddGroup bad name", func() (*ClusterTree, error) { return tr.AddGroup("a b") }, "Invalid group name"},
		{"AddGroup empty", func() (*ClusterTree, error) { return tr.AddGroup("") }, "needs a name"},
		{"RemoveGroup missing", func() (*ClusterTree, error) { return tr.RemoveGroup("Nope") }, "no group Nope"},
		{"SetGroup machine", func() (*ClusterTree, error) { return tr.SetGroup("seg9.test", "Main") }, "no machine seg9.test"},
		{"SetGroup group", func() (*ClusterTree, error) { return tr.SetGroup("seg1.test", "Nope") }, "no group Nope"},
		{"SetGroup same", func() (*ClusterTree, error) { return tr.SetGroup("seg1.test", "Main") }, "already in group Main"},
		{"RemoveMachine", func() (*ClusterTree, error) { return tr.RemoveMachine("seg9.test") }, "no machine seg9.test"},
	} {
		if _, err := tc.f(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.op, err, tc.want)
		}
	}
}

func TestEffectiveIsFreshAndDecoded(t *testing.T) {
	tr := twoMachines(t)
	a := effective(t, tr, "seg1.test")
	if a.decoded == nil {
		t.Error("Effective's result has no decoded parameters")
	}
	a.Listeners[0].HAT.Defaults["max_msg_size"] = "1"
	a.Users[0].Name = "changed"
	if b := effective(t, tr, "seg1.test"); b.Listeners[0].HAT.Defaults["max_msg_size"] == "1" || b.Users[0].Name == "changed" {
		t.Error("Effective's result shares memory with the tree")
	}
	if _, err := tr.View(atEdge, "seg9.test"); err == nil {
		t.Error("View for a machine not in the cluster")
	}
	if _, err := tr.View(Level{Kind: LevelGroup, Name: "Nope"}, "seg1.test"); err == nil {
		t.Error("View of a missing group")
	}
}

func TestClusterTreeEncodeRoundTrip(t *testing.T) {
	tr := twoMachines(t)
	// Objects listed out of order encode sorted.
	ml := tr.Machines["seg2.test"]
	ml.Objects[0], ml.Objects[1] = ml.Objects[1], ml.Objects[0]
	b, err := EncodeClusterTree(tr)
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeClusterTree(b)
	if err != nil {
		t.Fatal(err)
	}
	b2, err := EncodeClusterTree(back)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != string(b2) {
		t.Errorf("encoding is not stable:\n%s\n%s", b, b2)
	}
	if !strings.Contains(string(b), `"objects":["hostname","interfaces",`) {
		t.Errorf("Objects not sorted in the encoding: %s", b)
	}
	for _, m := range []string{"seg1.test", "seg2.test"} {
		if a, z := effective(t, tr, m), effective(t, back, m); !a.Equal(z) {
			t.Errorf("%s: effective differs after the round trip: %v", m, Changes(a, z))
		}
	}
	if !reflect.DeepEqual(back.Members(), tr.Members()) {
		t.Errorf("members %v, want %v", back.Members(), tr.Members())
	}
}

func TestDecodeClusterTreeRejects(t *testing.T) {
	good, err := EncodeClusterTree(twoMachines(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, from, to, want string
	}{
		{"not JSON", `{"name"`, `[`, "cluster tree: decoding"},
		{"missing group", `"seg2.test":"Main"`, `"seg2.test":"Gone"`, "machine seg2.test is in group Gone, which does not exist"},
		{"no group", `,"seg2.test":"Main"`, ``, "machine seg2.test is in no group"},
		{"no cluster", `"cluster":{`, `"clusterx":{`, "no cluster level"},
		{"no name", `"name":"c"`, `"name":""`, "no cluster name"},
		{"user in a group", `"Edge":{"objects":null`, `"Edge":{"objects":["user admin"]`, "group Edge defines user admin, but users are cluster-level"},
		{"listener address in a group", `"Edge":{"objects":null`, `"Edge":{"objects":["listener address x"]`, "group Edge defines listener address x, but listener addresses are machine-level"},
		{"listener address at the cluster", `"type":"public","address":"","port":0`, `"type":"public","address":"","port":2526`, "the cluster level defines listener address IncomingMail, but listener addresses are machine-level"},
		{"adminaccess at a machine", `"objects":["hostname",`, `"objects":["adminaccess","hostname",`, "defines adminaccess, but adminaccessconfig is cluster-level"},
		{"unknown object", `"objects":["hostname",`, `"objects":["frobnicator","hostname",`, `unknown object "frobnicator"`},
		{"listed twice", `"objects":["hostname",`, `"objects":["hostname","hostname",`, "lists hostname twice"},
		{"machine object at the cluster", `"cluster":{"system":{"hostname":""`, `"cluster":{"system":{"hostname":"x.test"`, "the cluster level defines hostname, but the hostname is machine-level"},
		{"group of no member", `"machine_group":{`, `"machine_group":{"ghost":"Main",`, "machine ghost has a group but is not a member"},
	} {
		s := string(good)
		if !strings.Contains(s, tc.from) {
			t.Fatalf("%s: the encoding has no %s: %s", tc.name, tc.from, s)
		}
		_, err := DecodeClusterTree([]byte(strings.Replace(s, tc.from, tc.to, 1)))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

// A tree handed out is read by many goroutines at once (the MTA's
// Effective, sessions' Views, commits): its methods only read it.
func TestClusterTreeConcurrentReaders(t *testing.T) {
	tr := twoMachines(t)
	before := string(mustEncode(t, tr))
	done := make(chan error, 8)
	for i := range 8 {
		go func() {
			var err error
			switch i % 4 {
			case 0:
				_, err = tr.Effective("seg2.test")
			case 1:
				_, err = tr.View(atMain, "seg1.test")
			case 2:
				var c *Config
				if c, err = tr.View(atCluster, "seg1.test"); err == nil {
					c = c.Clone()
					setDest("x.example", "3")(c)
					_, _, err = tr.Commit(tr, CommitRequest{Config: c, User: "admin", Role: RoleAdmin}, "seg1.test")
				}
			case 3:
				_, err = tr.Set("dns", atCluster, atEdge, false, "seg1.test")
			}
			done <- err
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
	if string(mustEncode(t, tr)) != before {
		t.Error("a reader modified the tree")
	}
}

// A tree written when a listener was one machine-level object (its
// address inside) still decodes, and each machine still runs its
// listener on its own address.
func TestDecodeClusterTreeBeforeListenerAddresses(t *testing.T) {
	tr := twoMachines(t)
	for _, m := range []string{"seg1.test", "seg2.test"} {
		eff := effective(t, tr, m)
		ml := tr.Machines[m]
		ml.Objects = slices.DeleteFunc(ml.Objects, func(k string) bool { return k == "listener address incomingmail" })
		ml.Objects = append(ml.Objects, "listener incomingmail")
		ml.Config.Listeners = eff.Listeners
	}
	tr.Cluster.Listeners = nil
	got, err := DecodeClusterTree(mustEncode(t, tr))
	if err != nil {
		t.Fatal(err)
	}
	for m, port := range map[string]int{"seg1.test": 2525, "seg2.test": 3525} {
		if ls := effective(t, got, m).Listeners; len(ls) != 1 || ls[0].Port != port || len(ls[0].HAT.SenderGroups) == 0 {
			t.Errorf("%s runs %+v, want IncomingMail on %d with its HAT", m, ls, port)
		}
	}
}

// A joining machine gives its addresses for the listeners of the
// cluster and of its group that it has by name, and for no other.
func TestJoinGivesAddressesByName(t *testing.T) {
	tr := twoMachines(t)
	next, _, err := commitAt(t, tr, atEdge, "seg1.test", func(c *Config) {
		l := c.Listeners[0]
		l.Name, l.Type, l.Port, l.RAT = "EdgeOut", "private", 2600, nil
		c.Listeners = append(c.Listeners, l)
	})
	if err != nil {
		t.Fatal(err)
	}
	local := machineConfig(t, "seg3.test", 4525)
	for _, name := range []string{"edgeout", "Mine"} {
		l := local.Listeners[0]
		l.Name, l.Type, l.Port, l.RAT = name, "private", l.Port+len(local.Listeners)*10, nil
		local.Listeners = append(local.Listeners, l)
	}
	joined, err := next.Join("seg3.test", "Edge", local)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range effective(t, joined, "seg3.test").Listeners {
		got = append(got, fmt.Sprintf("%s:%d", l.Name, l.Port))
	}
	if want := []string{"IncomingMail:4525", "EdgeOut:4535"}; !reflect.DeepEqual(got, want) {
		t.Errorf("seg3 runs %v, want %v", got, want)
	}
	if err := joined.validate(); err != nil {
		t.Errorf("the joined tree is not valid: %v", err)
	}
}
