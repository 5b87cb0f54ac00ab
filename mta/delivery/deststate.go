package delivery

import "strings"

// DestState is a destination's live state beside its settings, for
// destconfig detail and hoststatus.
type DestState struct {
	Name      string
	Queued    int  // active recipients (unattempted and attempted)
	Suspended bool // suspenddel
	// Connections open now: for an ordinary destination, the slots its
	// limit keys hold.
	Connections int
	// The recipient limit (0: none) and how it is counted.
	RecipientLimit, RecipientMinutes int
	PerIP, PerSource                 bool
	// WindowUsed is the recipients in the current window: the busiest
	// key's when the limit is counted per address or per source.
	WindowUsed int
	Keys       []KeyState // the keys that hold a connection or a window entry
}

// DestState returns the live state of a destination (lower case); false
// when delivery knows nothing of it.
func (x *Delivery) DestState(name string) (DestState, bool) {
	name = strings.ToLower(name)
	st := DestState{Name: name}
	known := false
	ok := x.do(func() {
		s := x.s
		d := s.dests[name]
		var dl destLimits
		if d != nil {
			known = true
			s.refresh(d, x.d.Config())
			st.Queued = int(d.unattempted + d.attempted)
			st.Suspended = s.isSuspended(d)
			st.Connections = d.active
			dl = d.dl
			if d.sp != nil {
				return
			}
		} else {
			dl = limitsOf(x.d.Config().DestControls(name))
		}
		st.RecipientLimit, st.RecipientMinutes = dl.rcpts, int(dl.per.Minutes())
		st.PerIP, st.PerSource = dl.perIP, dl.perSrc
		st.Keys = x.lim.state(name, dl)
		st.Connections = 0
		for _, k := range st.Keys {
			st.Connections += k.Connections
			st.WindowUsed = max(st.WindowUsed, k.WindowUsed)
		}
		known = known || len(st.Keys) > 0
	})
	return st, ok && known
}
