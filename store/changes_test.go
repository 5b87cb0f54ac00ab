package store

import (
	"reflect"
	"testing"
)

func TestChangesNone(t *testing.T) {
	if cs := Changes(testConfig(), testConfig()); len(cs) != 0 {
		t.Fatalf("Changes of equal trees = %v", cs)
	}
}

func TestChangesObjects(t *testing.T) {
	a := testConfig()
	a.Destinations = []Destination{{Domain: "old.example"}}
	a.Bounce = append(a.Bounce, BounceProfile{Name: "p1", Params: Params{"max_retries": "3"}})
	b := a.Clone()
	b.Users = append(b.Users, User{Name: "ops", Role: RoleOperator})
	b.SSH.Port = 2200
	b.System.Hostname = "new.example.com"
	b.System.Routes = []SMTPRoute{{Domain: "example.org", Hosts: []string{"relay"}}}
	b.Listeners[0].HAT.SenderGroups[0].Members = append(b.Listeners[0].HAT.SenderGroups[0].Members, "10.0.0.1")
	b.Listeners = append(b.Listeners, NewListener("Out", ListenerPrivate, "127.0.0.1", 2526))
	b.DestDefault["use_tls"] = "on"
	b.Destinations = []Destination{{Domain: "new.example"}}
	b.Bounce[1].Params["max_retries"] = "4"
	b.Incoming = append([]MailPolicy{{Name: "Sales", Recipients: []string{"@a.com"}}}, b.Incoming...)
	b.TDC.IntakeAddress = "i@tdc.example.com"
	b.Metrics.Address = "127.0.0.1:9100"
	b.DestSetup.AlertOnTLSFail = true
	b.System.AlertRecipients = []string{"ops@example.com"}
	b.System.DNS = DNSConfig{Servers: []string{"127.0.0.1:53"}}
	b.ListenerSetup.MaxConcurrency = 500
	b.Interfaces = []IPInterface{{Name: "Data", Address: "127.0.0.7"}}
	b.SenderExceptions = []SenderException{{Match: "a@example.com", Action: "ACCEPT"}}

	want := []Change{
		{"hostname", ChangeModified},
		{"interfaces", ChangeModified},
		{"dns", ChangeModified},
		{"route example.org", ChangeAdded},
		{"alerts", ChangeModified},
		{"listener IncomingMail", ChangeModified},
		{"listener Out", ChangeAdded},
		{"destconfig DEFAULT", ChangeModified},
		{"destconfig old.example", ChangeRemoved},
		{"destconfig new.example", ChangeAdded},
		{"destconfig setup", ChangeModified},
		{"bounce profile p1", ChangeModified},
		{"incoming policies", ChangeModified},
		{"tdc", ChangeModified},
		{"user ops", ChangeAdded},
		{"ssh", ChangeModified},
		{"metrics", ChangeModified},
		{"sender exceptions", ChangeModified},
		{"listener setup", ChangeModified},
	}
	if got := Changes(a, b); !reflect.DeepEqual(got, want) {
		t.Fatalf("Changes:\n got %v\nwant %v", got, want)
	}
}

func TestChangesCaseOfNames(t *testing.T) {
	a := testConfig()
	a.Destinations = []Destination{{Domain: "example.com"}}
	b := a.Clone()
	b.Destinations[0].Domain = "EXAMPLE.com"
	want := []Change{{"destconfig EXAMPLE.com", ChangeModified}}
	if got := Changes(a, b); !reflect.DeepEqual(got, want) {
		t.Fatalf("Changes = %v, want %v", got, want)
	}
}

func TestMergeDifferentObjects(t *testing.T) {
	base := testConfig()
	base.Destinations = []Destination{{Domain: "a.example"}, {Domain: "b.example"}, {Domain: "c.example"}}
	theirs := base.Clone()
	theirs.Destinations = append(theirs.Destinations, Destination{Domain: "t.example"})
	theirs.Destinations[0].Params = Params{"use_tls": "on"}
	theirs.System.Hostname = "theirs.example.com"
	mine := base.Clone()
	mine.Destinations = []Destination{{Domain: "m2.example"}, {Domain: "a.example"}, {Domain: "c.example", Params: Params{"dane": "mandatory"}}, {Domain: "m1.example"}}
	mine.SSH.Port = 2200
	mine.ListenerSetup.MaxConcurrency = 40

	got, conflicts := Merge(base, mine, theirs)
	if len(conflicts) != 0 {
		t.Fatalf("conflicts = %v", conflicts)
	}
	var domains []string
	for _, d := range got.Destinations {
		domains = append(domains, d.Domain)
	}
	// theirs' order, b removed by mine, c changed in place, mine's new
	// entries appended in mine's order.
	if want := []string{"a.example", "c.example", "t.example", "m2.example", "m1.example"}; !reflect.DeepEqual(domains, want) {
		t.Fatalf("destinations = %v, want %v", domains, want)
	}
	if got.Destination("a.example").Params["use_tls"] != "on" || got.Destination("c.example").Params["dane"] != "mandatory" {
		t.Fatal("merged entries lost a change")
	}
	if got.System.Hostname != "theirs.example.com" || got.SSH.Port != 2200 || got.ListenerSetup.MaxConcurrency != 40 {
		t.Fatalf("singletons: hostname %q ssh %d listener setup %+v", got.System.Hostname, got.SSH.Port, got.ListenerSetup)
	}
	got.Destinations[0].Params["use_tls"] = "off"
	if theirs.Destinations[0].Params["use_tls"] != "on" {
		t.Fatal("the merge result shares memory with theirs")
	}
}

func TestMergeConflicts(t *testing.T) {
	base := testConfig()
	base.Destinations = []Destination{{Domain: "a.example"}}
	theirs, mine := base.Clone(), base.Clone()
	theirs.Listeners[0].Port = 2600
	mine.Listeners[0].HAT.SenderGroups[0].Members = []string{"10.0.0.1"}
	theirs.Destinations = nil                                   // removed by theirs
	mine.Destinations[0].Params = Params{"use_tls": "required"} // modified by mine
	theirs.SSH.Port, mine.SSH.Port = 2200, 2200                 // same change: no conflict
	mine.Metrics.Address = "127.0.0.1:9100"

	theirs.Listeners[0].Hostname = "theirs.example"

	got, conflicts := Merge(base, mine, theirs)
	if want := []string{"listener IncomingMail", "destconfig a.example"}; !reflect.DeepEqual(conflicts, want) {
		t.Fatalf("conflicts = %v, want %v", conflicts, want)
	}
	if got.Metrics.Address != "127.0.0.1:9100" || got.SSH.Port != 2200 || got.Listeners[0].Port != 2600 {
		t.Fatal("non-conflicting changes not merged")
	}

	// A listener's address and port are an object of their own: one
	// session's port and another's HAT merge.
	theirs.Listeners[0].Hostname = ""
	got, conflicts = Merge(base, mine, theirs)
	if want := []string{"destconfig a.example"}; !reflect.DeepEqual(conflicts, want) {
		t.Fatalf("conflicts = %v, want %v", conflicts, want)
	}
	if l := got.Listeners[0]; l.Port != 2600 || !reflect.DeepEqual(l.HAT.SenderGroups[0].Members, []string{"10.0.0.1"}) {
		t.Fatalf("port and HAT not both merged: port %d, members %v", l.Port, l.HAT.SenderGroups[0].Members)
	}
}

func TestMergeAddedByBoth(t *testing.T) {
	base := testConfig()
	theirs, mine := base.Clone(), base.Clone()
	theirs.Users = append(theirs.Users, User{Name: "ops", Role: RoleOperator})
	mine.Users = append(mine.Users, User{Name: "ops", Role: RoleGuest})
	if _, conflicts := Merge(base, mine, theirs); !reflect.DeepEqual(conflicts, []string{"user ops"}) {
		t.Fatalf("conflicts = %v", conflicts)
	}
	mine.Users[1].Role = RoleOperator
	got, conflicts := Merge(base, mine, theirs)
	if len(conflicts) != 0 || len(got.Users) != 2 {
		t.Fatalf("identical additions: conflicts %v, %d users", conflicts, len(got.Users))
	}
}

// Every part of a tree belongs to some object: a field no object covers
// would be invisible to showchanges and access checks, and lost by a
// merge or a cluster commit. Each field of Config and System in turn is
// filled in; Changes must see it and Merge must carry it over.
func TestEveryFieldIsAnObject(t *testing.T) {
	check := func(name string, set func(c *Config)) {
		empty, b := &Config{}, &Config{}
		set(b)
		if len(Changes(empty, b)) == 0 {
			t.Errorf("%s: Changes sees no change", name)
		}
		if merged, both := Merge(empty, b, empty); len(both) > 0 || !merged.Equal(b) {
			t.Errorf("%s: Merge does not carry it over (conflicts %v)", name, both)
		}
	}
	ct := reflect.TypeFor[Config]()
	for i := range ct.NumField() {
		if f := ct.Field(i); f.IsExported() && f.Name != "System" {
			check(f.Name, func(c *Config) { fill(reflect.ValueOf(c).Elem().Field(i)) })
		}
	}
	st := reflect.TypeFor[System]()
	for i := range st.NumField() {
		check("System."+st.Field(i).Name, func(c *Config) { fill(reflect.ValueOf(&c.System).Elem().Field(i)) })
	}
}

// fill sets every exported part of v to a non-zero value.
func fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString("x")
	case reflect.Int, reflect.Int64, reflect.Int32:
		v.SetInt(1)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i))
			}
		}
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 1, 1)
		fill(s.Index(0))
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(k)
		fill(e)
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fill(p.Elem())
		v.Set(p)
	}
}

// A listener's address is its own object, but a listener added or
// removed is one change.
func TestChangesListenerAddress(t *testing.T) {
	a := testConfig()
	b := a.Clone()
	b.Listeners[0].Port++
	if got, want := Changes(a, b), []Change{{"listener address IncomingMail", ChangeModified}}; !reflect.DeepEqual(got, want) {
		t.Errorf("port: %v, want %v", got, want)
	}
	b = a.Clone()
	l := b.Listeners[0]
	l.Name = "Other"
	b.Listeners = append(b.Listeners, l)
	if got, want := Changes(a, b), []Change{{"listener Other", ChangeAdded}}; !reflect.DeepEqual(got, want) {
		t.Errorf("added: %v, want %v", got, want)
	}
	if got, want := Changes(b, a), []Change{{"listener Other", ChangeRemoved}}; !reflect.DeepEqual(got, want) {
		t.Errorf("removed: %v, want %v", got, want)
	}
}
