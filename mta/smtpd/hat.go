package smtpd

import (
	"net/netip"
	"strconv"
	"strings"

	"seg/store"
)

// decision is the outcome of matching a client against a listener's HAT
// (SPEC 4.1): the sender group and member that matched, the mail flow
// policy they name, its connection behaviour and its complete parameters.
type decision struct {
	Group    string // sender group name; "None" when no group matched
	Member   string // the member that matched, as written in the HAT
	Policy   string // "$ACCEPTED", ...; "" when no group matched
	Behavior string // ACCEPT, RELAY, REJECT or TCPREFUSE (never CONTINUE)
	Params   store.Params
}

// hatTable is a listener's HAT with its members parsed once per
// configuration snapshot, so that a connection costs no parsing.
type hatTable struct {
	hat    *store.HAT
	groups []hatGroup
}

type hatGroup struct {
	sg      *store.SenderGroup
	members []hatMember
}

type hatMember struct {
	text string
	m    store.Member
	ok   bool // parsed; a member that does not parse never matches
}

func compileHAT(h *store.HAT) *hatTable {
	t := &hatTable{hat: h}
	for i := range h.SenderGroups {
		sg := &h.SenderGroups[i]
		g := hatGroup{sg: sg}
		for _, text := range sg.Members {
			m, err := store.ParseMember(text)
			g.members = append(g.members, hatMember{text: text, m: m, ok: err == nil})
		}
		t.groups = append(t.groups, g)
	}
	return t
}

// match walks the sender groups in order; the first member that matches
// decides, unless its policy's behaviour is CONTINUE, which skips the
// group and keeps matching (SPEC 4.1).
//
// Only address members (IP, CIDR, range) and ALL are decided here.
// Members that need the DNS (host names, .domains, dnslist[], sbrs[]) are
// treated as not matching until the DNS-based matching is added.
//
// A group naming a policy that does not exist (the store's validation
// should make that impossible) fails closed: REJECT with the listener's
// default parameters. When nothing matches (a HAT without its ALL row)
// the client gets the listener's default parameters under ACCEPT, as
// AsyncOS logs it ("SG None match ALL"); the RAT still guards relaying.
func (t *hatTable) match(ip netip.Addr) decision {
	for _, g := range t.groups {
		member, ok := g.matchIP(ip)
		if !ok {
			continue
		}
		p := t.hat.Policy(g.sg.Policy)
		if p == nil {
			return decision{Group: g.sg.Name, Member: member, Policy: g.sg.Policy,
				Behavior: store.BehaviorReject, Params: t.hat.Defaults.Clone()}
		}
		b := strings.ToUpper(p.Behavior)
		if b == store.BehaviorContinue {
			continue
		}
		return decision{Group: g.sg.Name, Member: member, Policy: p.Name, Behavior: b, Params: t.hat.Effective(p)}
	}
	return decision{Group: "None", Member: "ALL", Behavior: store.BehaviorAccept, Params: t.hat.Defaults.Clone()}
}

func (g hatGroup) matchIP(ip netip.Addr) (string, bool) {
	for _, m := range g.members {
		if !m.ok || m.m.NeedsDNS() {
			continue // DNS-based members: a later issue (see match)
		}
		if m.m.MatchIP(ip) {
			return m.text, true
		}
	}
	return "", false
}

// sbrsText is the SBRS field of the HAT log line: "None" when reputation
// is used for this policy (seg has no score for the host yet), "not
// enabled" otherwise, as AsyncOS writes them.
func sbrsText(p store.Params) string {
	if p.On("use_sb") {
		return "None"
	}
	return "not enabled"
}

// bannerVars expands the greeting variables AsyncOS documents for
// smtp_banner_text and reject_banner_text.
func bannerVars(text, hostname string, ip netip.Addr, rdns string) string {
	remoteHost := rdns
	if remoteHost == "" {
		remoteHost = ip.String()
	}
	return strings.NewReplacer("$Hostname", hostname, "$RemoteIP", ip.String(), "$RemoteHost", remoteHost).Replace(text)
}

// greeting is the 220 banner of an accepted connection: the policy's
// smtp_banner_code and text, by default "220 HOSTNAME ESMTP" (SPEC 4.2).
func greeting(p store.Params, hostname string, ip netip.Addr, rdns string) string {
	code := p.Int("smtp_banner_code")
	if code < 200 || code > 299 {
		code = 220
	}
	if p.On("use_override_hostname") && p.Str("override_hostname") != "" {
		hostname = p.Str("override_hostname")
	}
	text := p.Str("smtp_banner_text")
	if text == "" {
		text = "$Hostname ESMTP"
	}
	return replyLine(int(code), bannerVars(text, hostname, ip, rdns))
}

// rejectGreeting is the banner of a REJECT policy, by default
// "554 Access denied".
func rejectGreeting(p store.Params, hostname string, ip netip.Addr, rdns string) string {
	code := p.Int("reject_banner_code")
	if code < 400 || code > 599 {
		code = 554
	}
	text := p.Str("reject_banner_text")
	if text == "" {
		text = "Access denied"
	}
	return replyLine(int(code), bannerVars(text, hostname, ip, rdns))
}

// replyLine writes one reply line; control characters that a configured
// text might carry are dropped so they cannot break the protocol.
func replyLine(code int, text string) string {
	text = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, text)
	return strconv.Itoa(code) + " " + text + "\r\n"
}
