package smtpd

import (
	"net/netip"
	"strconv"
	"strings"

	"seg/store"
)

// decision is the outcome of matching a client against a listener's HAT
// (SPEC 4.1): the sender group and member that matched, the mail flow
// policy they name, its connection behaviour and its settings.
type decision struct {
	Group    string              // sender group name; "None" when no group matched
	Member   string              // the member that matched, as written in the HAT
	Policy   string              // "$ACCEPTED", ...; "" when no group matched
	Behavior string              // ACCEPT, RELAY, REJECT or TCPREFUSE (never CONTINUE)
	Flow     *store.FlowSettings // shared by every connection: read only
}

// hatTable is a listener's HAT with its members parsed and its policies'
// parameters decoded once per configuration snapshot, so that a
// connection costs no parsing.
type hatTable struct {
	hat      *store.HAT
	groups   []hatGroup
	defaults *store.FlowSettings // the listener's default policy parameters
	flows    map[*store.FlowPolicy]*store.FlowSettings
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
	def := h.FlowSettings(nil)
	t := &hatTable{hat: h, defaults: &def, flows: make(map[*store.FlowPolicy]*store.FlowSettings, len(h.Policies))}
	for i := range h.Policies {
		f := h.FlowSettings(&h.Policies[i])
		t.flows[&h.Policies[i]] = &f
	}
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
// Members that need the DNS (host names, .domains, dnslist[], sbrs[])
// ask h (hatdns.go), lazily: a client matched by an address member
// earlier in the table costs no lookup. A DNS failure never matches.
//
// A group naming a policy that does not exist (the store's validation
// should make that impossible) fails closed: REJECT with the listener's
// default parameters. When nothing matches (a HAT without its ALL row)
// the client gets the listener's default parameters under ACCEPT, as
// AsyncOS logs it ("SG None match ALL"); the RAT still guards relaying.
func (t *hatTable) match(ip netip.Addr, h *hostDNS) decision {
	for _, g := range t.groups {
		p := t.hat.Policy(g.sg.Policy)
		useSB := t.defaults.UseSB
		if p != nil {
			useSB = t.flows[p].UseSB
		}
		member, ok := g.matchHost(ip, h, useSB)
		if !ok {
			continue
		}
		if p == nil {
			return decision{Group: g.sg.Name, Member: member, Policy: g.sg.Policy,
				Behavior: store.BehaviorReject, Flow: t.defaults}
		}
		b := strings.ToUpper(p.Behavior)
		if b == store.BehaviorContinue {
			continue
		}
		return decision{Group: g.sg.Name, Member: member, Policy: p.Name, Behavior: b, Flow: t.flows[p]}
	}
	return decision{Group: "None", Member: "ALL", Behavior: store.BehaviorAccept, Flow: t.defaults}
}

// logGroup is a sender group's name as the HAT decision line shows it:
// the ALL row is no sender group, and AsyncOS logs a client it decides
// as "SG None match ALL" (reference/mail_logs.sample); parsers that key
// on the group (Cribl's SG, IronPortMaillog's HAT) expect None.
func logGroup(name string) string {
	if name == "ALL" {
		return "None"
	}
	return name
}

func (g hatGroup) matchHost(ip netip.Addr, h *hostDNS, useSB bool) (string, bool) {
	for _, m := range g.members {
		if !m.ok {
			continue
		}
		if m.m.NeedsDNS() && h.matches(m.m, useSB) || m.m.MatchIP(ip) {
			return m.text, true
		}
	}
	return "", false
}

// bannerVars expands the greeting variables AsyncOS documents for
// smtp_banner_text and reject_banner_text.
func bannerVars(text, hostname string, ip netip.Addr, rdns string) string {
	// A scan rather than a strings.Replacer built for every connection
	// (1.8 KB of allocation and a trie each). No name is a prefix of
	// another and what is put in is not scanned again, so the result
	// is the Replacer's (TestBannerVarsIsReplacer).
	i := strings.IndexByte(text, '$')
	if i < 0 {
		return text
	}
	var b strings.Builder
	b.Grow(len(text) + len(hostname) + len(rdns) + 16)
	for ; i >= 0; i = strings.IndexByte(text, '$') {
		b.WriteString(text[:i])
		text = text[i:]
		switch {
		case strings.HasPrefix(text, "$Hostname"):
			b.WriteString(hostname)
			text = text[len("$Hostname"):]
		case strings.HasPrefix(text, "$RemoteIP"):
			b.WriteString(ip.String())
			text = text[len("$RemoteIP"):]
		case strings.HasPrefix(text, "$RemoteHost"):
			if rdns == "" {
				b.WriteString(ip.String())
			} else {
				b.WriteString(rdns)
			}
			text = text[len("$RemoteHost"):]
		default:
			b.WriteByte('$')
			text = text[1:]
		}
	}
	b.WriteString(text)
	return b.String()
}

// greeting is the 220 banner of an accepted connection: the policy's
// smtp_banner_code and text, by default "220 HOSTNAME ESMTP" (SPEC 4.2).
func greeting(f *store.FlowSettings, hostname string, ip netip.Addr, rdns string) string {
	code := f.BannerCode
	if code < 200 || code > 299 {
		code = 220
	}
	if f.UseOverrideHostname && f.OverrideHostname != "" {
		hostname = f.OverrideHostname
	}
	text := f.BannerText
	if text == "" {
		text = "$Hostname ESMTP"
	}
	return replyLine(code, bannerVars(text, hostname, ip, rdns))
}

// rejectGreeting is the banner of a REJECT policy, by default
// "554 Access denied".
func rejectGreeting(f *store.FlowSettings, hostname string, ip netip.Addr, rdns string) string {
	code := f.RejectCode
	if code < 400 || code > 599 {
		code = 554
	}
	text := f.RejectText
	if text == "" {
		text = "Access denied"
	}
	return replyLine(code, bannerVars(text, hostname, ip, rdns))
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
