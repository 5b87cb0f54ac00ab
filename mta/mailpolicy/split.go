package mailpolicy

import (
	"slices"

	"seg/mta/queue"
	"seg/store"
)

// Policies is the table a received message falls under: the outgoing
// one for mail received under RELAY, the incoming one otherwise (SPEC 2).
func Policies(cfg *store.Config, relay bool) []store.MailPolicy {
	if relay {
		return cfg.Outgoing
	}
	return cfg.Incoming
}

// Part is the recipients of a message that matched one mail policy.
type Part struct {
	Policy string // the policy's name as configured ("DEFAULT" when none matched)
	RIDs   []int  // in the message's recipient order
	// Rule is the policy, an element of the table Split was given, for
	// its per-policy settings (TDC); nil for the "DEFAULT" part of
	// recipients that matched nothing.
	Rule *store.MailPolicy
}

// Split groups m's recipients by the mail policy each matches
// (store.MatchPolicy: first match in table order per recipient, DEFAULT
// otherwise). Parts come in policy-table order; recipients that match no
// policy (a table without DEFAULT) form a last "DEFAULT" part. A message
// whose recipients all match one policy gives one part.
func Split(policies []store.MailPolicy, m *queue.Message) []Part {
	type group struct {
		pos  int // index in policies; len(policies) for "no policy"
		part Part
	}
	var groups []group
	for _, r := range m.Rcpts {
		pos, name := len(policies), store.DefaultPolicyName
		p := store.MatchPolicy(policies, m.From, r.Addr)
		if p != nil {
			pos, name = policyIndex(policies, p), p.Name
		}
		i := slices.IndexFunc(groups, func(g group) bool { return g.pos == pos })
		if i < 0 {
			groups = append(groups, group{pos: pos, part: Part{Policy: name, Rule: p}})
			i = len(groups) - 1
		}
		groups[i].part.RIDs = append(groups[i].part.RIDs, r.RID)
	}
	slices.SortStableFunc(groups, func(a, b group) int { return a.pos - b.pos })
	parts := make([]Part, len(groups))
	for i, g := range groups {
		parts[i] = g.part
	}
	return parts
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
