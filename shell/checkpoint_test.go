package shell

import (
	"reflect"
	"testing"
	"time"

	"seg/store"
)

// TestUndoInPlace: undoing an interrupted operation puts the working copy
// back exactly, and what the enclosing menus hold (a listener, its HAT's
// defaults map) is still the working copy's and shows the state put back.
func TestUndoInPlace(t *testing.T) {
	base := store.Default("", "")
	second := base.Listeners[0]
	second.Name = "Outgoing"
	second.Port = 2526
	base.Listeners = append(base.Listeners, second)
	base.BounceVerification.Keys = []store.BVKey{{Name: "k1", Secret: "s", Created: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}}

	c := &Ctx{kept: base}
	c.cfg = base.Clone()
	l := &c.cfg.Listeners[1] // the listener an EDIT menu works on
	defaults := l.HAT.Defaults
	groups := len(l.HAT.SenderGroups)

	// The interrupted operation: a sender group added (the slice grows),
	// the name changed, a parameter set, a new map, the first listener
	// removed (the listeners shift left), users dropped (nil slice), a
	// time changed.
	l.HAT.SenderGroups = append(l.HAT.SenderGroups, store.SenderGroup{Name: "HALF", Members: []string{"10.9.9.9"}})
	l.Name = "Renamed"
	l.HAT.Defaults["max_concurrency"] = "1"
	c.cfg.DestDefault = store.Params{"x": "y"}
	c.cfg.Listeners = append(c.cfg.Listeners[:0], c.cfg.Listeners[1:]...)
	c.cfg.Users = nil
	c.cfg.BounceVerification.Keys[0].Created = time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)

	if !c.undo() {
		t.Fatal("undo could not put the working copy back")
	}
	if !c.cfg.Equal(base) {
		t.Fatal("the working copy differs from the checkpoint after undo")
	}
	if l != &c.cfg.Listeners[1] || l.Name != "Outgoing" || len(l.HAT.SenderGroups) != groups {
		t.Fatalf("the menu's listener is not the working copy's listener 2 as it was: %q, %d groups", l.Name, len(l.HAT.SenderGroups))
	}
	if reflect.ValueOf(l.HAT.Defaults).Pointer() != reflect.ValueOf(defaults).Pointer() || defaults["max_concurrency"] != base.Listeners[1].HAT.Defaults["max_concurrency"] {
		t.Fatal("the HAT defaults map was replaced or not put back")
	}
	// The checkpoint itself is never written.
	if len(base.Listeners) != 2 || base.Listeners[1].Name != "Outgoing" || base.Users == nil || base.DestDefault["x"] != "" {
		t.Fatal("undo changed the checkpoint")
	}
}
