package store

import (
	"sort"
	"strings"
)

// edit is one object's state in a changed tree relative to its base.
type edit struct {
	obj     object // in the changed tree; from the base when removed
	removed bool
}

// edits maps the key of every object that differs from base to next.
func edits(base, next *Config) map[string]edit {
	ob, on := objects(base), objects(next)
	inBase := make(map[string]object, len(ob))
	for _, x := range ob {
		inBase[x.key] = x
	}
	set := map[string]edit{}
	for _, y := range on {
		x, ok := inBase[y.key]
		if !ok || !sameValue(x.value, y.value) {
			set[y.key] = edit{obj: y}
		}
		delete(inBase, y.key)
	}
	for k, x := range inBase {
		set[k] = edit{obj: x, removed: true}
	}
	return set
}

// sameEdit reports whether two sessions made the very same change to an
// object (both removed it, or both left it with the same value).
func sameEdit(a, b edit) bool {
	if a.removed || b.removed {
		return a.removed == b.removed
	}
	return sameValue(a.obj.value, b.obj.value)
}

// Merge applies the objects mine changed relative to base onto theirs (a
// newer tree also derived from base) and returns the result, with the
// objects both changed, differently, as conflicts (names as in Change,
// in Changes' order). Identical changes made by both are not conflicts.
// Merged lists keep theirs' order; objects new in mine are appended in
// mine's order. The result shares no memory with the arguments, which
// are only read; with conflicts it holds mine's other changes only.
func Merge(base, mine, theirs *Config) (*Config, []string) {
	me, te := edits(base, mine), edits(base, theirs)
	var both []object
	apply := map[string]edit{}
	for k, e := range me {
		t, ok := te[k]
		switch {
		case !ok:
			apply[k] = e
		case !sameEdit(e, t):
			both = append(both, e.obj)
		}
	}
	sort.SliceStable(both, func(i, j int) bool {
		if both[i].rank != both[j].rank {
			return both[i].rank < both[j].rank
		}
		return both[i].name < both[j].name
	})
	conflicts := make([]string, len(both))
	for i, o := range both {
		conflicts[i] = o.name
	}

	out := theirs.Clone()
	applyObjects(out, mine.Clone(), apply, false, false)
	return out, conflicts
}

// applyObjects writes onto dst the objects of apply as src has them:
// changed or new ones take src's value (lists keep dst's order, new
// items are appended in src's), removed ones go (a removed single
// object takes its zero value). src's values are shared, not copied:
// pass a tree dst may own. dstPart and srcPart say the tree is a
// cluster level's partial one (ClusterLevel.Config), whose nil Logs
// means no subscriptions rather than the default ones.
func applyObjects(dst, src *Config, apply map[string]edit, dstPart, srcPart bool) {
	var zero Config
	logEdits := false
	for _, e := range apply {
		switch {
		case e.obj.rank == rankLogSub:
			logEdits = true
		case e.removed:
			copySingleton(dst, &zero, e.obj.rank)
		default:
			copySingleton(dst, src, e.obj.rank)
		}
	}
	dst.System.Routes = mergeList(dst.System.Routes, src.System.Routes, apply,
		func(r SMTPRoute) string { return objectKey("route", r.Domain, true) })
	dst.Listeners = mergeListeners(dst.Listeners, src.Listeners, apply, dstPart)
	dst.Destinations = mergeList(dst.Destinations, src.Destinations, apply,
		func(d Destination) string { return objectKey("destconfig", d.Domain, true) })
	dst.Bounce = mergeList(dst.Bounce, src.Bounce, apply,
		func(b BounceProfile) string { return objectKey("bounce profile", b.Name, true) })
	dst.Users = mergeList(dst.Users, src.Users, apply,
		func(u User) string { return objectKey("user", u.Name, false) })
	dst.Certificates = mergeList(dst.Certificates, src.Certificates, apply,
		func(c Certificate) string { return objectKey("certificate", c.Name, true) })
	dst.ClientCAs = mergeList(dst.ClientCAs, src.ClientCAs, apply,
		func(c ClientCA) string { return objectKey("client CA", c.Name, true) })
	dst.AddressLists = mergeList(dst.AddressLists, src.AddressLists, apply,
		func(l AddressList) string { return objectKey("address list", l.Name, true) })
	dst.DomainKeys.Keys = mergeList(dst.DomainKeys.Keys, src.DomainKeys.Keys, apply,
		func(k DKIMKey) string { return objectKey("domainkeys key", k.Name, true) })
	dst.DomainKeys.Profiles = mergeList(dst.DomainKeys.Profiles, src.DomainKeys.Profiles, apply,
		func(p DKIMProfile) string { return objectKey("domainkeys profile", p.Name, true) })
	dst.DMARC.Profiles = mergeList(dst.DMARC.Profiles, src.DMARC.Profiles, apply,
		func(p DMARCProfile) string { return objectKey("dmarc profile", p.Name, true) })
	if logEdits {
		dst.Logs = mergeList(logsOf(dst, dstPart), logsOf(src, srcPart), apply,
			func(l LogSubscription) string { return objectKey("log subscription", l.Name, true) })
	}
}

// logsOf is c's log subscriptions; a partial tree's nil Logs is none.
func logsOf(c *Config, part bool) []LogSubscription {
	if part {
		return c.Logs
	}
	return c.LogSubscriptions()
}

// copySingleton copies the single object of the given kind from src to
// dst; named kinds are left to mergeList.
func copySingleton(dst, src *Config, rank int) {
	switch rank {
	case rankHostname:
		dst.System.Hostname = src.System.Hostname
	case rankInterfaces:
		dst.Interfaces = src.Interfaces
	case rankSenderExceptions:
		dst.SenderExceptions = src.SenderExceptions
	case rankDNS:
		dst.System.DNS = src.System.DNS
	case rankSBRS:
		dst.System.SBRS = src.System.SBRS
	case rankAlerts:
		dst.System.AlertRecipients = src.System.AlertRecipients
	case rankDestDefault:
		dst.DestDefault = src.DestDefault
	case rankDestSetup:
		dst.DestSetup = src.DestSetup
	case rankIncoming:
		dst.Incoming = src.Incoming
	case rankOutgoing:
		dst.Outgoing = src.Outgoing
	case rankTDC:
		dst.TDC = src.TDC
	case rankSSH:
		dst.SSH = src.SSH
	case rankMetrics:
		dst.Metrics = src.Metrics
	case rankAdminAccess:
		dst.AdminAccess = src.AdminAccess
	case rankBounceVerification:
		dst.BounceVerification = src.BounceVerification
	case rankListenerSetup:
		dst.ListenerSetup = src.ListenerSetup
	case rankDMARCSetup:
		dst.DMARC.ReportFrom = src.DMARC.ReportFrom
		dst.DMARC.OrgName = src.DMARC.OrgName
		dst.DMARC.ReportTime = src.DMARC.ReportTime
	}
}

// mergeList applies the edits that concern list's kind: items changed by
// mine replace theirs in place, removed ones go, new ones are appended in
// mine's order.
func mergeList[T any](theirs, mine []T, apply map[string]edit, key func(T) string) []T {
	mineByKey := make(map[string]T, len(mine))
	for _, y := range mine {
		mineByKey[key(y)] = y
	}
	out := make([]T, 0, len(theirs))
	present := make(map[string]bool, len(theirs))
	for _, x := range theirs {
		k := key(x)
		present[k] = true
		if e, ok := apply[k]; ok {
			if e.removed {
				continue
			}
			if y, ok := mineByKey[k]; ok {
				x = y
			}
		}
		out = append(out, x)
	}
	for _, y := range mine {
		k := key(y)
		if e, ok := apply[k]; ok && !e.removed && !present[k] {
			out = append(out, y)
			present[k] = true
		}
	}
	if len(out) == 0 {
		return nil // one spelling of "none", so Equal is not fooled
	}
	return out
}

// mergeListeners is mergeList for listeners, whose two objects ("listener
// NAME" and "listener address NAME") are edited separately: a body edit
// replaces all but the address and port, an address edit only those. In
// a whole tree a listener exists by its body: removing the body removes
// the listener, an address alone adds none, and removing the address
// leaves the listener unaddressed. In a partial tree (part: a level's
// definitions) an entry holds whichever parts the level defines and
// goes when it holds neither.
func mergeListeners(theirs, mine []Listener, apply map[string]edit, part bool) []Listener {
	key := func(l Listener) string { return strings.ToLower(l.Name) }
	mineByKey := make(map[string]Listener, len(mine))
	for _, y := range mine {
		mineByKey[key(y)] = y
	}
	// edited applies k's edits to x; false: x goes.
	edited := func(x Listener, k string) (Listener, bool) {
		y, inMine := mineByKey[k]
		if e, ok := apply["listener "+k]; ok {
			switch {
			case e.removed && !part:
				return x, false
			case e.removed:
				x = Listener{Name: x.Name, Address: x.Address, Port: x.Port}
			case inMine:
				a, p := x.Address, x.Port
				x = y
				x.Address, x.Port = a, p
			}
		}
		if e, ok := apply["listener address "+k]; ok {
			switch {
			case e.removed:
				x.Address, x.Port = "", 0
			case inMine:
				x.Address, x.Port = y.Address, y.Port
			}
		}
		return x, !part || !emptyListener(x)
	}
	out := make([]Listener, 0, len(theirs))
	present := make(map[string]bool, len(theirs))
	for _, x := range theirs {
		k := key(x)
		present[k] = true
		if x, ok := edited(x, k); ok {
			out = append(out, x)
		}
	}
	for _, y := range mine {
		k := key(y)
		if present[k] {
			continue
		}
		body, hasBody := apply["listener "+k]
		_, hasAddr := apply["listener address "+k]
		if !part && (!hasBody || body.removed) || !hasBody && !hasAddr {
			continue
		}
		if x, ok := edited(Listener{Name: y.Name}, k); ok {
			out = append(out, x)
			present[k] = true
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// emptyListener reports whether a partial tree's entry holds neither
// part of its listener.
func emptyListener(l Listener) bool { return sameValue(l, Listener{Name: l.Name}) }
