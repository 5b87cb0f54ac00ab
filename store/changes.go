package store

import (
	"encoding/json"
	"sort"
	"strings"
)

// Change kinds.
const (
	ChangeAdded    = "added"
	ChangeRemoved  = "removed"
	ChangeModified = "modified"
)

// Change is one configuration object that differs between two trees.
// Object names the object as showchanges prints it: "hostname",
// "interfaces", "dns",
// "route DOMAIN", "alerts", "listener NAME" (with its HAT and RAT, all
// but its address and port), "listener address NAME" (its address and
// port: on a cluster they are machine-level, SPEC 14),
// "destconfig DEFAULT", "destconfig DOMAIN", "destconfig setup",
// "bounce profile NAME", "incoming policies", "outgoing policies", "tdc",
// "user NAME", "ssh", "metrics", "address list NAME", "sender exceptions", "sbrs", "certificate NAME",
// "client CA NAME", "bvconfig", "domainkeys key NAME", "domainkeys
// profile NAME", "dmarc profile NAME", "dmarc setup". The object is the unit of merging: two
// sessions that change different objects both get their way.
type Change struct {
	Object string
	Kind   string // ChangeAdded, ChangeRemoved or ChangeModified
}

// object is one mergeable unit of a tree.
type object struct {
	key   string // identity: the name with case folded where lookups fold it
	name  string // as shown: "listener IncomingMail"
	rank  int    // position of its kind in objects' order
	value any
}

// Object kind ranks, in the order Changes reports them.
const (
	rankHostname = iota
	rankInterfaces
	rankDNS
	rankRoute
	rankAlerts
	rankListener
	rankListenerAddress
	rankDestDefault
	rankDest
	rankDestSetup
	rankBounce
	rankIncoming
	rankOutgoing
	rankTDC
	rankUser
	rankSSH
	rankMetrics
	rankAddressList
	rankSenderExceptions
	rankSBRS
	rankCert
	rankClientCA
	rankBounceVerification
	rankDKIMKey
	rankDKIMProfile
	rankDMARCProfile
	rankDMARCSetup
	rankLogSub
	rankListenerSetup
	rankAdminAccess
)

// objects lists c's objects in a stable order.
func objects(c *Config) []object {
	o := make([]object, 0, 12+len(c.System.Routes)+2*len(c.Listeners)+len(c.Destinations)+len(c.Bounce)+len(c.Users))
	one := func(rank int, name string, v any) { o = append(o, object{name, name, rank, v}) }
	named := func(rank int, kind, name string, fold bool, v any) {
		o = append(o, object{objectKey(kind, name, fold), kind + " " + name, rank, v})
	}
	one(rankHostname, "hostname", c.System.Hostname)
	one(rankInterfaces, "interfaces", c.Interfaces)
	one(rankDNS, "dns", c.System.DNS)
	for _, r := range c.System.Routes {
		named(rankRoute, "route", r.Domain, true, r)
	}
	one(rankAlerts, "alerts", c.System.AlertRecipients)
	for _, l := range c.Listeners {
		named(rankListener, "listener", l.Name, true, listenerBody(l))
		named(rankListenerAddress, "listener address", l.Name, true, listenerAddressOf(l))
	}
	one(rankDestDefault, "destconfig DEFAULT", c.DestDefault)
	for _, d := range c.Destinations {
		named(rankDest, "destconfig", d.Domain, true, d)
	}
	one(rankDestSetup, "destconfig setup", c.DestSetup)
	for _, b := range c.Bounce {
		named(rankBounce, "bounce profile", b.Name, true, b)
	}
	one(rankIncoming, "incoming policies", c.Incoming)
	one(rankOutgoing, "outgoing policies", c.Outgoing)
	one(rankTDC, "tdc", c.TDC)
	for _, u := range c.Users {
		named(rankUser, "user", u.Name, false, u)
	}
	one(rankSSH, "ssh", c.SSH)
	one(rankMetrics, "metrics", c.Metrics)
	for _, l := range c.AddressLists {
		named(rankAddressList, "address list", l.Name, true, l)
	}
	one(rankSenderExceptions, "sender exceptions", c.SenderExceptions)
	one(rankSBRS, "sbrs", c.System.SBRS)
	for _, ct := range c.Certificates {
		named(rankCert, "certificate", ct.Name, true, ct)
	}
	for _, ca := range c.ClientCAs {
		named(rankClientCA, "client CA", ca.Name, true, ca)
	}
	one(rankBounceVerification, "bvconfig", c.BounceVerification)
	for _, k := range c.DomainKeys.Keys {
		named(rankDKIMKey, "domainkeys key", k.Name, true, k)
	}
	for _, pr := range c.DomainKeys.Profiles {
		named(rankDKIMProfile, "domainkeys profile", pr.Name, true, pr)
	}
	for _, pr := range c.DMARC.Profiles {
		named(rankDMARCProfile, "dmarc profile", pr.Name, true, pr)
	}
	one(rankDMARCSetup, "dmarc setup", dmarcSetup(&c.DMARC))
	for _, l := range c.LogSubscriptions() {
		named(rankLogSub, "log subscription", l.Name, true, l)
	}
	one(rankListenerSetup, "listener setup", c.ListenerSetup)
	one(rankAdminAccess, "adminaccess", c.AdminAccess)
	return o
}

// objectKey is a named object's identity: names that the config's
// lookups match case-insensitively are folded.
func objectKey(kind, name string, fold bool) string {
	if fold {
		name = strings.ToLower(name)
	}
	return kind + " " + name
}

// sameValue compares two objects the way Config.Equal compares trees.
func sameValue(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}

// Changes lists the objects that differ from a to b, grouped by kind in
// the order of the Change doc, each kind in a's order with additions after.
// A listener added or removed is one change ("listener NAME"), not two.
func Changes(a, b *Config) []Change {
	type seqChange struct {
		Change
		rank, seq int
	}
	oa, ob := objects(a), objects(b)
	inB := make(map[string]int, len(ob))
	for i, x := range ob {
		inB[x.key] = i
	}
	seen := make(map[string]bool, len(oa))
	var cs []seqChange
	for i, x := range oa {
		seen[x.key] = true
		j, ok := inB[x.key]
		switch {
		case !ok:
			cs = append(cs, seqChange{Change{x.name, ChangeRemoved}, x.rank, i})
		case !sameValue(x.value, ob[j].value):
			cs = append(cs, seqChange{Change{ob[j].name, ChangeModified}, x.rank, i})
		}
	}
	for j, y := range ob {
		if !seen[y.key] {
			cs = append(cs, seqChange{Change{y.name, ChangeAdded}, y.rank, len(oa) + j})
		}
	}
	sort.SliceStable(cs, func(i, j int) bool {
		if cs[i].rank != cs[j].rank {
			return cs[i].rank < cs[j].rank
		}
		return cs[i].seq < cs[j].seq
	})
	// A listener added or removed whole is one change: its address
	// comes and goes with it.
	whole := map[string]bool{}
	for _, c := range cs {
		if c.rank == rankListener && c.Kind != ChangeModified {
			whole[strings.ToLower(strings.TrimPrefix(c.Object, "listener "))] = true
		}
	}
	out := make([]Change, 0, len(cs))
	for _, c := range cs {
		if c.rank == rankListenerAddress && c.Kind != ChangeModified &&
			whole[strings.ToLower(strings.TrimPrefix(c.Object, "listener address "))] {
			continue
		}
		out = append(out, c.Change)
	}
	return out
}

// dmarcSetup is dmarcconfig's setup object: the report settings, without
// the profiles (each its own object).
func dmarcSetup(d *DMARC) DMARC {
	return DMARC{ReportFrom: d.ReportFrom, OrgName: d.OrgName, ReportTime: d.ReportTime}
}

// A listener is two objects: its body (type, hostname, limits, TLS, HAT,
// RAT...) and its address and port. They merge separately, and on a
// cluster the address is machine-level by nature (it names a local
// address) while the body is an ordinary object that every machine
// runs (SPEC 14; AsyncOS keeps listenerconfig at the cluster level with
// only the interfaces per machine).

// listenerAddress is a listener's "listener address" object.
type listenerAddress struct {
	Address string `json:"address"`
	Port    int    `json:"port"`
}

func listenerAddressOf(l Listener) listenerAddress {
	return listenerAddress{Address: l.Address, Port: l.Port}
}

// listenerBody is l without its address and port.
func listenerBody(l Listener) Listener {
	l.Address, l.Port = "", 0
	return l
}

// unaddressed reports whether l has no address part (a cluster level's
// listener, or one a machine has given no address).
func unaddressed(l Listener) bool { return l.Address == "" && l.Port == 0 }
