package smtpd

import (
	"context"
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"time"

	mdns "github.com/miekg/dns"

	"seg/mta/dns"
	"seg/mta/maillog"
	"seg/store"
)

// dnsBudget bounds all the DNS lookups one connection makes before its
// banner: the reverse DNS and the HAT members that need the DNS. A server
// that never answers costs each waiting client this much at most; other
// connections are not held up, each connects on its own goroutine.
const dnsBudget = 10 * time.Second

// maxPTRNames bounds the PTR names checked forward (a host with many
// names must not cost a lookup each).
const maxPTRNames = 5

// hostDNS answers the DNS questions the HAT asks about one client (SPEC
// 4.1, 10), each at most once per connection; across connections the
// resolver's TTL cache saves the repeats. Its zero value (no resolver)
// knows nothing: every DNS member fails to match.
type hostDNS struct {
	ctx   context.Context
	res   dns.Resolver // nil: no lookups
	ip    netip.Addr
	zones []store.SBRSZone
	log   maillog.Logger

	ptrDone  bool
	name     string // PTR name, lower case, no trailing dot
	verified bool   // name resolves forward to ip (FCrDNS)

	lists map[string]listing

	scoreDone bool
	score     float64
	scored    bool  // false: None
	scoreErr  error // a zone could not be asked
}

type listing struct {
	listed bool
	err    error
}

// reverse is the client's PTR name and whether it is forward-confirmed:
// one of its PTR names has an address equal to the client's (FCrDNS).
// Temporary failures are logged and leave the host unverified.
func (h *hostDNS) reverse() (string, bool) {
	if h.ptrDone || h.res == nil || !h.ip.IsValid() {
		return h.name, h.verified
	}
	h.ptrDone = true
	names, err := h.res.LookupPTR(h.ctx, h.ip)
	if err != nil {
		h.dnsError(err)
		return "", false
	}
	for i, n := range names {
		n = strings.TrimSuffix(strings.ToLower(n), ".")
		if i == 0 {
			h.name = n
		}
		if i >= maxPTRNames {
			break
		}
		addrs, err := h.res.LookupIP(h.ctx, n)
		if err != nil {
			h.dnsError(err)
			continue
		}
		for _, a := range addrs {
			if a.Unmap() == h.ip.Unmap() {
				h.name, h.verified = n, true
				return h.name, true
			}
		}
	}
	return h.name, false
}

// listed reports whether zone lists the client: REVERSED-IP.zone has an
// A record in 127.0.0.0/8 (RFC 5782 section 2.1; other addresses are not
// listings, section 5). NXDOMAIN and no records mean not listed; other
// failures are errors, logged once.
func (h *hostDNS) listed(zone string) (bool, error) {
	if h.res == nil || !h.ip.IsValid() {
		return false, errors.New("no DNS")
	}
	if l, ok := h.lists[zone]; ok {
		return l.listed, l.err
	}
	var l listing
	if q, ok := dnslistName(h.ip, zone); !ok {
		l.err = errors.New("no DNS list name for " + h.ip.String())
	} else if addrs, err := h.res.LookupIP(h.ctx, q); err != nil {
		if !dns.IsNotFound(err) {
			l.err = err
			// A DNS list answers A records; LookupIP also asks AAAA.
			var e *dns.Error
			if errors.As(err, &e) {
				err = &dns.Error{Name: e.Name, Type: "A", Code: e.Code, Err: e.Err}
			}
			h.dnsError(err)
		}
	} else {
		for _, a := range addrs {
			if a.Is4() && loopback8.Contains(a) {
				l.listed = true
			}
		}
	}
	if h.lists == nil {
		h.lists = map[string]listing{}
	}
	h.lists[zone] = l
	return l.listed, l.err
}

var loopback8 = netip.MustParsePrefix("127.0.0.0/8")

// dnslistName is the name a DNS list is asked for ip (RFC 5782 section
// 2.1 for IPv4, 2.4 for IPv6: the nibbles of the address reversed).
func dnslistName(ip netip.Addr, zone string) (string, bool) {
	arpa, err := mdns.ReverseAddr(ip.Unmap().String())
	if err != nil {
		return "", false
	}
	arpa = strings.TrimSuffix(arpa, ".")
	arpa = strings.TrimSuffix(strings.TrimSuffix(arpa, ".in-addr.arpa"), ".ip6.arpa")
	return arpa + "." + zone, true
}

// sbrs is the client's score (SPEC 10): the weights of the configured
// zones that list it, summed and clamped; scored false (None) when no
// zone is configured. A zone that cannot be asked makes the score
// unknown (err): no sbrs[] member matches then.
func (h *hostDNS) sbrs() (score float64, scored bool, err error) {
	if h.scoreDone {
		return h.score, h.scored, h.scoreErr
	}
	h.scoreDone = true
	if len(h.zones) == 0 {
		return 0, false, nil
	}
	sum := 0.0
	for _, z := range h.zones {
		yes, err := h.listed(z.Zone)
		if err != nil {
			h.scoreErr = err
			return 0, false, err
		}
		if yes {
			sum += z.Weight
		}
	}
	h.score, h.scored = store.SBRSScore(sum), true
	return h.score, true, nil
}

// matches decides a member that needs the DNS. useSB is the use_sb of
// the group's policy: with it off the host has no score (None).
func (h *hostDNS) matches(m store.Member, useSB bool) bool {
	switch m.Kind {
	case store.MemberHost, store.MemberDomain:
		name, ok := h.reverse()
		if !ok {
			return false
		}
		if m.Kind == store.MemberHost {
			return name == m.Host
		}
		return strings.HasSuffix(name, "."+m.Host)
	case store.MemberDNSList:
		yes, err := h.listed(m.Host)
		return err == nil && yes
	case store.MemberSBRS:
		if !useSB {
			return m.SBRSNone
		}
		s, scored, err := h.sbrs()
		switch {
		case err != nil:
			return false
		case !scored:
			return m.SBRSNone
		}
		return !m.SBRSNone && m.SBRSMin <= s && s <= m.SBRSMax
	}
	return false
}

// sbrsText is the SBRS field of the HAT log line as AsyncOS writes it:
// "not enabled" when the policy does not use reputation, the score, or
// "None" when there is none.
func (h *hostDNS) sbrsText(f *store.FlowSettings) string {
	if !f.UseSB {
		return "not enabled"
	}
	if s, scored, err := h.sbrs(); err == nil && scored {
		return strconv.FormatFloat(s, 'f', 1, 64)
	}
	return "None"
}

// dnsError logs a failed lookup in AsyncOS's words ("DNS Error $domain
// $dns_type - $why"). Permanent negative answers are answers, not errors.
func (h *hostDNS) dnsError(err error) {
	if dns.IsNotFound(err) || h.log == nil {
		return
	}
	var e *dns.Error
	if errors.As(err, &e) {
		h.log.Warning("DNS Error %s %s - %s", logSafe(e.Name), e.Type, e.Code)
		return
	}
	h.log.Warning("DNS Error %s - %s", h.ip, logSafe(err.Error()))
}

// hostDNS makes the DNS view of one client for the configuration cfg it
// connected under. The ReverseDNS seam, when set, answers the reverse DNS.
func (s *Server) hostDNS(ctx context.Context, cfg *store.Config, ip netip.Addr) *hostDNS {
	h := &hostDNS{ctx: ctx, ip: ip, zones: cfg.System.SBRS.Zones, log: s.d.Log}
	if s.d.Resolver != nil {
		h.res = s.d.Resolver(cfg)
	}
	if s.d.ReverseDNS != nil && ip.IsValid() {
		h.name, h.verified = s.d.ReverseDNS(ctx, ip)
		h.ptrDone = true
	}
	if s.sbrs != nil {
		h.score, h.scored, h.scoreDone = *s.sbrs, true, true
	}
	return h
}
