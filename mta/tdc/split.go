package tdc

import (
	"slices"

	"seg/mta/queue"
	"seg/store"
)

// Part is the recipients of a message that matched one mail policy.
type Part struct {
	Policy string // the policy's name as configured ("DEFAULT" when none matched)
	RIDs   []int  // in the message's recipient order
}

// Split groups m's recipients by the mail policy each matches
// (store.MatchPolicy: first match in table order per recipient, DEFAULT
// otherwise). Parts come in policy-table order; recipients that match no
// policy (a table without DEFAULT) form a last "DEFAULT" part. A message
// whose recipients all match one policy gives one part.
func Split(policies []store.MailPolicy, m *queue.Message) []Part {
	parts, _ := split(policies, m)
	return parts
}

// split is Split that also returns each part's policy (nil for the
// "DEFAULT" part of recipients that matched nothing).
func split(policies []store.MailPolicy, m *queue.Message) ([]Part, []*store.MailPolicy) {
	type group struct {
		pos  int // index in policies; len(policies) for "no policy"
		part Part
	}
	var groups []group
	for _, r := range m.Rcpts {
		pos, name := len(policies), store.DefaultPolicyName
		if p := store.MatchPolicy(policies, m.From, r.Addr); p != nil {
			pos, name = policyIndex(policies, p), p.Name
		}
		i := slices.IndexFunc(groups, func(g group) bool { return g.pos == pos })
		if i < 0 {
			groups = append(groups, group{pos: pos, part: Part{Policy: name}})
			i = len(groups) - 1
		}
		groups[i].part.RIDs = append(groups[i].part.RIDs, r.RID)
	}
	slices.SortStableFunc(groups, func(a, b group) int { return a.pos - b.pos })
	parts := make([]Part, len(groups))
	pols := make([]*store.MailPolicy, len(groups))
	for i, g := range groups {
		parts[i] = g.part
		if g.pos < len(policies) {
			pols[i] = &policies[g.pos]
		}
	}
	return parts, pols
}

// policyIndex is the position of p, an element of policies.
func policyIndex(policies []store.MailPolicy, p *store.MailPolicy) int {
	for i := range policies {
		if &policies[i] == p {
			return i
		}
	}
	return len(policies)
}

// Message returns the message for this part: a copy of m holding only the
// part's recipients, with MID mid and Policy set. The part that keeps m's
// MID keeps its RIDs (they name the "RID n To:" lines already logged); a
// part split off into a new MID is a new message whose recipients are
// numbered from 0, as AsyncOS numbers every message's recipients.
func (p Part) Message(m *queue.Message, mid int64) *queue.Message {
	n := *m
	n.MID = mid
	n.Policy = p.Policy
	n.Rcpts = make([]queue.Recipient, 0, len(p.RIDs))
	for _, rid := range p.RIDs {
		i := slices.IndexFunc(m.Rcpts, func(r queue.Recipient) bool { return r.RID == rid })
		if i < 0 {
			continue
		}
		r := m.Rcpts[i]
		if mid != m.MID {
			r.RID = len(n.Rcpts)
		}
		n.Rcpts = append(n.Rcpts, r)
	}
	return &n
}

// PartPlan is one part of a received message and where its journal copy
// goes.
type PartPlan struct {
	Part
	// Intake is the message intake address to journal this part to; ""
	// when the part is not journaled.
	Intake string
}

// Plan splits a message just received by the policy table it falls under
// (outgoing when relay, i.e. received under RELAY; incoming otherwise) and
// says, per part, where the journal copy goes: nowhere for outgoing mail,
// when TDC is disabled, or for a policy whose TDC setting is off (SPEC
// 2, 6).
func Plan(cfg *store.Config, m *queue.Message, relay bool) []PartPlan {
	table := cfg.Incoming
	if relay {
		table = cfg.Outgoing
	}
	parts, pols := split(table, m)
	plans := make([]PartPlan, len(parts))
	for i, p := range parts {
		plans[i].Part = p
		if !relay {
			plans[i].Intake = Intake(cfg, pols[i])
		}
	}
	return plans
}

// Intake is the message intake address an incoming policy journals to:
// "" when TDC is disabled, p is nil or its TDC setting is off (or names no
// address), the global intake address for "default", its own for
// "custom".
func Intake(cfg *store.Config, p *store.MailPolicy) string {
	if !cfg.TDC.Enabled || p == nil {
		return ""
	}
	switch p.TDC {
	case store.TDCDefault:
		return cfg.TDC.IntakeAddress
	case store.TDCCustom:
		return p.TDCAddress
	}
	return ""
}
