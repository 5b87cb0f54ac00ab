package store

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Show lists the objects of the view at level l (for local) and the
// level each one's value comes from (clustershow), in Changes' order.
// Overrides lists the lower levels that define the object too: groups
// (by name), then machines (by name); a level that removes the object
// counts.
func (t *ClusterTree) Show(l Level, local string) ([]ObjectLevel, error) {
	l = clusterLevel(l)
	v, err := t.view(l, local)
	if err != nil {
		return nil, err
	}
	var out []ObjectLevel
	for _, o := range objects(v) {
		out = append(out, t.origin(l, local, o))
	}
	return out, nil
}

// origin is where the value of o in the view at l comes from.
func (t *ClusterTree) origin(l Level, local string, o object) ObjectLevel {
	ol := ObjectLevel{Object: o.name, Level: Level{Kind: LevelCluster}}
	if machineNatured(o.rank) {
		ol.Level = Level{Kind: LevelMachine, Name: local}
		if l.Kind == LevelMachine {
			ol.Level.Name = l.Name
		}
		return ol
	}
	defines := func(cl *ClusterLevel) bool { return cl != nil && slices.Contains(cl.Objects, o.key) }
	lowerMachines := func(group string) {
		for _, m := range t.machineNames() {
			if (group == "" || t.MachineGroup[m] == group) && defines(t.Machines[m]) {
				ol.Overrides = append(ol.Overrides, Level{Kind: LevelMachine, Name: m})
			}
		}
	}
	switch l.Kind {
	case LevelCluster:
		for _, g := range slices.Sorted(maps.Keys(t.Groups)) {
			if defines(t.Groups[g]) {
				ol.Overrides = append(ol.Overrides, Level{Kind: LevelGroup, Name: g})
			}
		}
		lowerMachines("")
	case LevelGroup:
		if defines(t.Groups[l.Name]) {
			ol.Level = l
		}
		lowerMachines(l.Name)
	case LevelMachine:
		g := t.MachineGroup[l.Name]
		switch {
		case defines(t.Machines[l.Name]):
			ol.Level = l
		case defines(t.Groups[g]):
			ol.Level = Level{Kind: LevelGroup, Name: g}
		}
	}
	return ol
}

// Set copies (move false) or moves (move true) the object named object
// (as Change names it, "destconfig example.com"; the case of a name
// that lookups fold does not matter) from level from to level to
// (clusterset): its value in the view at from becomes its definition at
// to. Moving also removes it from from: a group or machine then
// inherits it again; the cluster level loses it (a single object, such
// as "dns", is emptied there). Copying to the cluster level replaces
// the cluster's value. Users and adminaccess stay at the cluster level;
// machine-level objects move only between machines. The result is
// checked like Commit's (ErrNoChanges, *ValidationError); Set has no
// user, so the store checks access with CheckAccessAt(next, local,
// user, role, from, to).
func (t *ClusterTree) Set(object string, from, to Level, move bool, local string) (*ClusterTree, error) {
	from, to = clusterLevel(from), clusterLevel(to)
	if from == to {
		return nil, fmt.Errorf("%s: the source and destination levels are the same (%s).", object, from)
	}
	if _, err := t.level(to); err != nil {
		return nil, err
	}
	v, err := t.view(from, local)
	if err != nil {
		return nil, err
	}
	o, ok := findObject(v, object)
	if !ok {
		return nil, fmt.Errorf("There is no %s at %s.", object, from)
	}
	switch {
	case clusterNatured(o.rank):
		return nil, fmt.Errorf("%s: %s; it cannot be set at another level.", o.name, natureReason(o.rank))
	case machineNatured(o.rank) && (from.Kind != LevelMachine || to.Kind != LevelMachine):
		return nil, fmt.Errorf("%s: %s; it can be copied or moved only from one machine to another.", o.name, natureReason(o.rank))
	case move && !t.defAt(from, o.key).listed:
		return nil, fmt.Errorf("%s is not defined at %s (its value comes from %s): there is nothing to move.",
			o.name, from, t.origin(from, local, o).Level)
	}
	next := t.clone()
	ed := map[string]edit{o.key: {obj: o}}
	if lv, _ := next.level(to); lv != nil {
		define(lv, v, ed, false)
	} else {
		applyObjects(next.Cluster, v, ed, false, false)
	}
	if move {
		if lv, _ := next.level(from); lv != nil {
			undefine(lv, ed)
		} else {
			applyObjects(next.Cluster, &Config{}, map[string]edit{o.key: {obj: o, removed: true}}, false, true)
		}
	}
	if err := t.checkNext(next); err != nil {
		var ve *ValidationError
		if errors.As(err, &ve) {
			return nil, fmt.Errorf("%s cannot be %s from %s to %s: %w", o.name, verb(move), from, to, err)
		}
		return nil, err
	}
	return next, nil
}

func verb(move bool) string {
	if move {
		return "moved"
	}
	return "copied"
}

// findObject finds the object c names name: as Change names it, with
// the name's case ignored except for users (whose names are
// case-sensitive).
func findObject(c *Config, name string) (object, bool) {
	os := objects(c)
	for _, o := range os {
		if o.name == name {
			return o, true
		}
	}
	for _, o := range os {
		if o.rank != rankUser && strings.EqualFold(o.name, name) {
			return o, true
		}
	}
	return object{}, false
}
