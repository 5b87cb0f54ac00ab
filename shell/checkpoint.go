package shell

import "reflect"

// Checkpoints: a menu command stages its work one finished operation at
// a time. When a menu operation ends (done, or refused with a UserError
// after which the menu goes on), the working copy is the state Ctrl-C
// returns to, and on a terminal it becomes the session's candidate, so
// that `showchanges` and `commit` see it even if the command is then
// interrupted. Ctrl-C inside an operation undoes what that operation had
// done to the working copy and shows the menu again: nothing of it is
// half-applied.
//
// Batch and one-shot sessions keep the whole command atomic (staged only
// when it succeeds), as a script expects.

// checkpoint records the working copy as a menu operation left it.
func (c *Ctx) checkpoint() error {
	if c.cfg == nil {
		return nil // the operation read nothing of the configuration
	}
	c.kept = c.cfg.Clone()
	if !c.S.Interactive || RoleAccess(c.S.Role) < AccessOperator {
		// The role is refused when the command ends, as it always was.
		return nil
	}
	return c.S.stageWork(c.kept)
}

// undo returns the working copy to the last checkpoint after an
// interrupted operation. The edit is made in place, so that what the
// enclosing menus hold (a listener, a sender group of the working copy)
// stays the same object and sees the state restored. It reports false
// if the copy could not be put back exactly; the caller then abandons
// the command (the candidate still holds every checkpoint).
func (c *Ctx) undo() bool {
	if c.cfg == nil {
		return true
	}
	restore(reflect.ValueOf(c.cfg).Elem(), reflect.ValueOf(c.kept.Clone()).Elem())
	return c.cfg.Equal(c.kept)
}

// restore sets dst to src's value, reusing dst's storage wherever it
// can: slice elements in place while the backing array is large enough,
// the same maps and pointed-to values. src must not be used afterwards
// (its maps' values and interfaces are shared). Unexported fields of a
// struct with exported ones are left alone (they are not part of the
// stored configuration); a struct with none (time.Time) is copied whole.
func restore(dst, src reflect.Value) {
	switch dst.Kind() {
	case reflect.Struct:
		set := false
		for i := 0; i < dst.NumField(); i++ {
			if dst.Field(i).CanSet() {
				restore(dst.Field(i), src.Field(i))
				set = true
			}
		}
		if !set {
			dst.Set(src) // an opaque value: time.Time
		}
	case reflect.Array:
		for i := 0; i < dst.Len(); i++ {
			restore(dst.Index(i), src.Index(i))
		}
	case reflect.Slice:
		switch {
		case src.IsNil():
			dst.SetZero()
			return
		case dst.IsNil() || dst.Cap() < src.Len():
			dst.Set(reflect.MakeSlice(dst.Type(), src.Len(), src.Len()))
		default:
			dst.SetLen(src.Len())
		}
		for i := 0; i < src.Len(); i++ {
			restore(dst.Index(i), src.Index(i))
		}
	case reflect.Map:
		if src.IsNil() || dst.IsNil() {
			dst.Set(src)
			return
		}
		dst.Clear()
		for it := src.MapRange(); it.Next(); {
			dst.SetMapIndex(it.Key(), it.Value())
		}
	case reflect.Pointer:
		if src.IsNil() || dst.IsNil() {
			dst.Set(src)
			return
		}
		restore(dst.Elem(), src.Elem())
	default:
		dst.Set(src)
	}
}
