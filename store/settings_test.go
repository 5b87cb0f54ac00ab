package store

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The parameters seg stores but does not act on, table by table: what the
// issues after issue 9 enforce (the scanning engines stay). A parameter
// leaves this list only by becoming a field of a typed settings struct
// that the MTA reads; one that joins it needs a reason in its spec.
var wantInert = map[*ParamTable][]string{
	HATParams: {
		"spam_check", "virus_check",
	},
	DestParams:      nil,
	BounceParams:    nil,
	ConnLimitParams: nil,
}

// settingsOf are the typed structs each table decodes into.
var settingsOf = map[*ParamTable][]*fieldMap{
	HATParams:       {flowFields},
	DestParams:      {destFields},
	BounceParams:    {bounceFields},
	ConnLimitParams: {connLimitFields},
}

func TestInertParameters(t *testing.T) {
	for table, want := range wantInert {
		if got := table.Inert(); !slices.Equal(got, want) {
			t.Errorf("%s: inert parameters\n got %q\nwant %q", table.Name, got, want)
		}
		for _, s := range table.Specs {
			if !s.Enforced() && (strings.TrimSpace(s.Inert) != s.Inert || strings.HasSuffix(s.Inert, ".")) {
				t.Errorf("%s %s: reason %q is printed after \"not enforced: \" and before a full stop", table.Name, s.Name, s.Inert)
			}
		}
	}
}

// Every parameter seg enforces is a field of a typed struct; what the
// struct's tags name are parameters of its table (mapFields checks that
// at load time).
func TestEnforcedParametersAreFields(t *testing.T) {
	for table, maps := range settingsOf {
		fields := map[string]bool{}
		for _, m := range maps {
			for _, n := range m.tags() {
				fields[n] = true
			}
		}
		for _, s := range table.Specs {
			if s.Enforced() && !fields[s.Name] {
				t.Errorf("%s %s: enforced, but no typed field holds it (add one, or mark the spec Inert with a reason)", table.Name, s.Name)
			}
		}
	}
}

// mtaSource parses every non-test Go file under ../mta.
func mtaSource(t *testing.T) map[string]*ast.File {
	t.Helper()
	files := map[string]*ast.File{}
	fset := token.NewFileSet()
	err := filepath.WalkDir("../mta", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		files[path] = f
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 20 {
		t.Fatalf("found only %d Go files under ../mta", len(files))
	}
	return files
}

// readVia names the method through which the MTA reads a field it never
// selects itself.
var readVia = map[string]string{"ReservedPercent": "Reserved"}

// A typed field counts only if the MTA reads it: each tagged field is
// selected (x.Field) somewhere in mta/'s non-test code.
func TestMTAReadsEveryTypedField(t *testing.T) {
	selected := map[string]bool{}
	for _, f := range mtaSource(t) {
		ast.Inspect(f, func(n ast.Node) bool {
			if s, ok := n.(*ast.SelectorExpr); ok {
				selected[s.Sel.Name] = true
			}
			return true
		})
	}
	for _, m := range []*fieldMap{flowFields, destFields, bounceFields, connLimitFields} {
		for _, f := range m.fields {
			name := m.typ.Field(f.index).Name
			if via, ok := readVia[name]; ok {
				name = via
			}
			if !selected[name] {
				t.Errorf("%s.%s (%s): the MTA never reads it; mark %s Inert or make the MTA act on it",
					m.typ.Name(), m.typ.Field(f.index).Name, f.spec.Name, f.spec.Name)
			}
		}
	}
}

// The MTA reads no parameter by its name: no Params accessor call, and no
// parameter name as a string literal (p["max_rcpts_per_msg"]).
func TestMTAReadsNoParameterByName(t *testing.T) {
	names := map[string]bool{}
	for _, table := range []*ParamTable{HATParams, DestParams, BounceParams} {
		for _, s := range table.Specs {
			names[s.Name] = true
			for _, a := range s.Aliases {
				names[a] = true
			}
		}
	}
	for path, f := range mtaSource(t) {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				sel, ok := n.Fun.(*ast.SelectorExpr)
				if !ok {
					break
				}
				switch sel.Sel.Name {
				case "DestParams", "BounceParams", "Effective": // methods that return Params
					t.Errorf("%s: %s(...) gives parameters by name; use the typed settings", path, sel.Sel.Name)
				case "Int", "On", "Str", "List": // accessors by key, as Params once had
					if len(n.Args) == 1 {
						if lit, ok := n.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							t.Errorf("%s: %s(%s) reads a parameter by name; use the typed settings", path, sel.Sel.Name, lit.Value)
						}
					}
				}
			case *ast.BasicLit:
				if n.Kind == token.STRING {
					if v, err := strconv.Unquote(n.Value); err == nil && names[v] {
						t.Errorf("%s: the string %q names a parameter; use the typed settings", path, v)
					}
				}
			}
			return true
		})
	}
}

func TestDecodeSettings(t *testing.T) {
	// Absent keys take the spec default: a missing key never turns a
	// limit off.
	if f := DecodeFlowSettings(Params{}); f.MaxRcptsPerMsg != 50 || f.MaxMessageSize != 10485760 || f.BannerCode != 220 || !f.UseSB {
		t.Errorf("empty params: %+v", f)
	}
	f := DecodeFlowSettings(Params{"max_rcpts_per_msg": "7", "use_override_hostname": "on", "override_hostname": "mx.test", "max_message_size": "not a size"})
	if f.MaxRcptsPerMsg != 7 || !f.UseOverrideHostname || f.OverrideHostname != "mx.test" || f.MaxMessageSize != 10485760 {
		t.Errorf("decoded %+v", f)
	}

	c := Default("seg.test", "")
	c.Bounce = append(c.Bounce, BounceProfile{Name: "Slow", Params: Params{"initial_retry": "600", "max_retry_timeout": "7200"}})
	c.Destinations = []Destination{{Domain: "Example.COM", Params: Params{"use_tls": "required", "bounce_profile": "Slow", "max_host_concurrency": "3"}}}
	check := func(what string, c *Config) {
		t.Helper()
		d := c.DestControls("example.com")
		if d.UseTLS != "required" || d.MaxHostConcurrency != 3 || d.MaxMessagesPerConnection != 50 || d.IPSortPref != "PREFER_V4" {
			t.Errorf("%s: example.com controls %+v", what, d)
		}
		if d := c.DestControls("other.test"); d.UseTLS != "off" || d.MaxHostConcurrency != 500 || d.BounceProfile != "Default" {
			t.Errorf("%s: DEFAULT controls %+v", what, d)
		}
		b := c.BounceSettings(d.BounceProfile)
		if b.Profile != "Slow" || b.InitialRetry != 10*time.Minute || b.MaxRetryTimeout != 2*time.Hour || b.MaxRetries != 100 || !b.SendBounces {
			t.Errorf("%s: Slow profile %+v", what, b)
		}
		if b := c.BounceSettings("gone"); b.Profile != "Default" || b.InitialRetry != time.Minute || b.MaxQueueLifetime != 72*time.Hour {
			t.Errorf("%s: unknown profile %+v", what, b)
		}
	}
	check("tree", c)

	// A snapshot answers from the view decoded when the store made it.
	s := NewMemory(c)
	snap, _ := s.Current()
	if snap.Config.decoded == nil {
		t.Fatal("the store's snapshot has no decoded settings")
	}
	check("snapshot", snap.Config)
	if snap.Config.Clone().decoded != nil {
		t.Error("a clone, which may be edited, kept the snapshot's decoded settings")
	}
	next := snap.Config.Clone()
	next.Destinations[0].Params["max_host_concurrency"] = "9"
	if _, err := s.Commit(CommitRequest{Base: 1, Config: next, User: "admin", Role: RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	snap2, _ := s.Current()
	if got := snap2.Config.DestControls("example.com").MaxHostConcurrency; got != 9 {
		t.Errorf("after commit: max_host_concurrency %d, want 9", got)
	}
	if got := snap.Config.DestControls("example.com").MaxHostConcurrency; got != 3 {
		t.Errorf("the old snapshot changed: %d", got)
	}
}

func TestDefaultsFromSpecs(t *testing.T) {
	for _, table := range []*ParamTable{HATParams, DestParams, BounceParams, ConnLimitParams} {
		for _, s := range table.Specs {
			if v, err := s.Canon(s.Default); err != nil || v != s.Default {
				t.Errorf("%s %s: default %q is not canonical (%q, %v)", table.Name, s.Name, s.Default, v, err)
			}
		}
	}
	if got := DestParams.Optional(); !slices.Equal(got, []string{"recipient_minutes", "recipient_limit", "source_ip"}) {
		t.Errorf("optional destconfig parameters %q", got)
	}
	if d := DefaultDestParams(); d.Has("recipient_limit") || d["bounce_profile"] != "Default" || len(d) != len(DestParams.Specs)-3 {
		t.Errorf("DefaultDestParams %v", d)
	}
	if p := DefaultPrivateHATParams(); p["max_concurrency"] != "600" || p["spam_check"] != "off" || p["max_message_size"] != "10485760" {
		t.Errorf("private defaults %v", p)
	}
	if !reflect.DeepEqual(ConnLimits{IdleTimeout: 300, MaxConnectionTime: 900, DataTimeout: 600, MinDataRate: 1, DataRateInterval: 60, PressureIdle: 30, ReservedPercent: 10}, DefaultConnLimits()) {
		t.Errorf("connection limit defaults %+v", DefaultConnLimits())
	}
}
