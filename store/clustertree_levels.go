package store

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// The helpers of the cluster tree: which level an object may live at,
// and a level's objects as the edit sets that Merge's applyObjects
// writes (one object walker serves merging and inheritance).

// machineNatured reports whether objects of the kind name this
// machine's own things (addresses, host keys, ports) and so are always
// defined at a machine level.
func machineNatured(rank int) bool {
	switch rank {
	case rankHostname, rankInterfaces, rankListenerAddress, rankListenerSetup, rankSSH, rankMetrics:
		return true
	}
	return false
}

// clusterNatured reports whether objects of the kind are cluster-wide
// (SPEC 14: users and roles), defined at the cluster level only.
func clusterNatured(rank int) bool { return rank == rankUser || rank == rankAdminAccess }

// natureReason says why an object of the kind has a fixed level, for
// Commit's placed messages and Set's refusals.
func natureReason(rank int) string {
	switch rank {
	case rankHostname:
		return "the hostname is machine-level"
	case rankInterfaces:
		return "interfaces are machine-level"
	case rankListenerAddress:
		return "listener addresses are machine-level"
	case rankListenerSetup:
		return "the listener setup is machine-level"
	case rankSSH:
		return "sshconfig is machine-level"
	case rankMetrics:
		return "metricsconfig is machine-level"
	case rankUser:
		return "users are cluster-level"
	case rankAdminAccess:
		return "adminaccessconfig is cluster-level"
	}
	return ""
}

// keyRank is the kind of the object a key names (objectKey form), for
// keys a level lists without a value (removed there).
func keyRank(key string) (int, bool) {
	for _, o := range objects(&Config{}) {
		if o.rank != rankLogSub && o.key == key {
			return o.rank, true // a single object
		}
	}
	named := []struct {
		kind string
		rank int
	}{
		// "listener address" before "listener": a listener's name is
		// one word, so "listener address x" is x's address.
		{"route", rankRoute}, {"listener address", rankListenerAddress}, {"listener", rankListener},
		{"destconfig", rankDest},
		{"bounce profile", rankBounce}, {"user", rankUser}, {"address list", rankAddressList},
		{"certificate", rankCert}, {"client CA", rankClientCA}, {"domainkeys key", rankDKIMKey},
		{"domainkeys profile", rankDKIMProfile}, {"dmarc profile", rankDMARCProfile},
		{"log subscription", rankLogSub},
	}
	for _, n := range named {
		if rest, ok := strings.CutPrefix(key, n.kind+" "); ok && rest != "" {
			// "domainkeys key" before "domainkeys profile" cannot
			// mislead: the kinds differ in their last word.
			return n.rank, true
		}
	}
	return 0, false
}

// partObjects lists the objects of a level's partial tree: a nil Logs
// holds no subscriptions there (not the defaults).
//
// A listener's entry there may hold one part only (a machine's address
// for a listener the cluster defines): the part it lacks is no object.
func partObjects(c *Config) []object {
	return slices.DeleteFunc(objects(c), func(x object) bool {
		switch x.rank {
		case rankLogSub:
			return c.Logs == nil
		case rankListener:
			return emptyListener(x.value.(Listener))
		case rankListenerAddress:
			return x.value == listenerAddress{}
		}
		return false
	})
}

// levelEdits is what a group or machine level defines, as edits over
// the level above: its listed objects with their values, and the
// listed ones it has no value for as removals. keep, when set, selects
// the kinds.
func levelEdits(cl *ClusterLevel, keep func(rank int) bool) map[string]edit {
	have := map[string]object{}
	for _, o := range partObjects(cl.Config) {
		have[o.key] = o
	}
	out := make(map[string]edit, len(cl.Objects))
	for _, k := range cl.Objects {
		e := edit{obj: have[k]}
		if _, ok := have[k]; !ok {
			rank, _ := keyRank(k) // DecodeClusterTree checked every key
			e = edit{obj: object{key: k, name: k, rank: rank}, removed: true}
		}
		if keep == nil || keep(e.obj.rank) {
			out[k] = e
		}
	}
	return out
}

// overlay writes a level's definitions onto dst (a tree dst owns).
func overlay(dst *Config, cl *ClusterLevel, keep func(rank int) bool) {
	if ed := levelEdits(cl, keep); len(ed) > 0 {
		applyObjects(dst, cl.Config.Clone(), ed, false, true)
	}
}

// define writes onto the partial tree cl the objects of ed as src has
// them, listing them there.
func define(cl *ClusterLevel, src *Config, ed map[string]edit, srcPart bool) {
	applyObjects(cl.Config, src, ed, true, srcPart)
	for k := range ed {
		if !slices.Contains(cl.Objects, k) {
			cl.Objects = append(cl.Objects, k)
		}
	}
	sort.Strings(cl.Objects)
}

// undefine drops the objects of keys from cl: the level inherits them
// again.
func undefine(cl *ClusterLevel, keys map[string]edit) {
	rm := make(map[string]edit, len(keys))
	for k, e := range keys {
		rm[k] = edit{obj: e.obj, removed: true}
	}
	applyObjects(cl.Config, &Config{}, rm, true, true)
	cl.Objects = slices.DeleteFunc(cl.Objects, func(k string) bool { _, ok := keys[k]; return ok })
}

// splitMachine returns the machine-natured objects of cfg as a machine
// level (their values copied) and cfg's copy without them (its
// listeners unaddressed). keep, when set, selects the objects by key.
func splitMachine(cfg *Config, keep func(key string) bool) (*ClusterLevel, *Config) {
	rest := cfg.Clone()
	mine := map[string]edit{}
	for _, o := range objects(rest) {
		if machineNatured(o.rank) && (keep == nil || keep(o.key)) {
			mine[o.key] = edit{obj: o}
		}
	}
	ml := &ClusterLevel{Config: &Config{}}
	define(ml, cfg.Clone(), mine, false)
	for k, e := range mine {
		mine[k] = edit{obj: e.obj, removed: true}
	}
	applyObjects(rest, &Config{}, mine, false, true)
	return ml, rest
}

// level returns the group or machine level l names (nil for the
// cluster level), or an error naming what is missing.
func (t *ClusterTree) level(l Level) (*ClusterLevel, error) {
	switch l.Kind {
	case LevelDefault, LevelCluster:
		return nil, nil
	case LevelGroup:
		if g := t.Groups[l.Name]; g != nil {
			return g, nil
		}
		return nil, fmt.Errorf("There is no group %s in cluster %s.", l.Name, t.Name)
	case LevelMachine:
		if m := t.Machines[l.Name]; m != nil {
			return m, nil
		}
		return nil, fmt.Errorf("There is no machine %s in cluster %s.", l.Name, t.Name)
	}
	return nil, fmt.Errorf("cluster tree: unknown level kind %d", l.Kind)
}

// clusterLevel normalises LevelDefault, which is the cluster level on a
// cluster.
func clusterLevel(l Level) Level {
	if l.Kind == LevelDefault {
		return Level{Kind: LevelCluster}
	}
	return l
}

// levelName is a level as the placed messages name it.
func levelName(l Level) string {
	switch l.Kind {
	case LevelGroup:
		return "group " + l.Name
	case LevelMachine:
		return "machine " + l.Name
	}
	return "cluster"
}

// clone is a deep copy of t.
func (t *ClusterTree) clone() *ClusterTree { return deepCopy(t, "cluster tree") }

// effective is Effective without the decoded parameters. With run it
// is what the machine runs: a listener the machine has no address for
// is left out (see unaddressedRule); without, a session's view, which
// shows such a listener unaddressed so that it can be given one.
func (t *ClusterTree) effective(machine string, run bool) (*Config, error) {
	ml := t.Machines[machine]
	if ml == nil {
		return nil, fmt.Errorf("There is no machine %s in cluster %s.", machine, t.Name)
	}
	out := t.Cluster.Clone()
	if g := t.Groups[t.MachineGroup[machine]]; g != nil {
		overlay(out, g, nil)
	}
	overlay(out, ml, nil)
	if run {
		out.Listeners = runnable(out.Listeners)
	}
	return out, nil
}

// unaddressedRule: a listener defined at the cluster (or a group) level
// that a machine has given no address (it joined without a listener of
// that name, or the listener was created from a session on another
// machine) is not run on that machine until it is given one there:
// listenerconfig from a session on that machine (any clustermode; the
// address goes to the machine level) or clusterset of its "listener
// address NAME" from another machine. Inheriting another machine's
// address instead would make this machine bind an IP address that is
// not its own (the listener fails to start) or, on a shared host, the
// other machine's port. It is the nearest to AsyncOS, where a cluster
// listener names an IP interface and each machine defines its own
// interfaces: seg's listeners name the address itself, so the address
// has to come from each machine. Validation judges what each machine
// runs, so an unaddressed listener is never an error. A listener
// renamed at the cluster level is a new listener in this respect: the
// other machines give it an address again.

// runnable is ls without the unaddressed listeners; nil when none is left.
func runnable(ls []Listener) []Listener {
	var out []Listener
	for _, l := range ls {
		if !unaddressed(l) {
			out = append(out, l)
		}
	}
	return out
}

// validate checks every member's effective configuration; with several
// members each problem names its machine.
func (t *ClusterTree) validate() error {
	var p []string
	names := t.machineNames()
	for _, m := range names {
		eff, err := t.effective(m, true)
		if err != nil {
			return err
		}
		err = eff.Validate()
		if err == nil {
			continue
		}
		var ve *ValidationError
		if !errors.As(err, &ve) {
			return err
		}
		for _, s := range ve.Problems {
			if len(names) > 1 {
				s = "machine " + m + ": " + s
			}
			p = append(p, s)
		}
	}
	if len(p) > 0 {
		return &ValidationError{Problems: p}
	}
	return nil
}

func (t *ClusterTree) machineNames() []string {
	names := make([]string, 0, len(t.Machines))
	for m := range t.Machines {
		names = append(names, m)
	}
	sort.Strings(names)
	return names
}
