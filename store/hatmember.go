package store

// ParseMember parses one HAT sender-group member (SPEC 4.1; AsyncOS
// syntax). Stub: the listenerconfig work replaces it.
func ParseMember(s string) (Member, error) { return Member{Raw: s}, nil }

// Member is a parsed sender-group member.
type Member struct {
	Raw string
}
