package delivery

import (
	"strings"

	"seg/internal/address"
	"seg/mta/bounceverify"
	"seg/mta/maillog"
	"seg/mta/queue"
)

// outbound is a job's envelope as it goes on the wire.
type outbound struct {
	from  string   // canonical text; "" for the null sender
	rids  []int    // the recipients that may be sent
	rcpts []string // their canonical addresses, parallel to rids
}

// outboundOf parses the job's sender and recipients again and returns
// what may be sent, in canonical text: a quoted local part goes out
// quoted, so that the next hop reads the address seg accepted (issue 8,
// point 5). smtpd queues only canonical addresses; this is defence in
// depth for what did not come through it or came before it: queue
// records of earlier releases (go-smtp's unquoted addresses),
// redirectrecipients copies, TDC intake addresses from the
// configuration. An address that does not parse is never sent: its
// recipient fails permanently (5.1.3), every recipient does when the
// sender's address does not (5.1.7), each with a Warning line saying why.
func (x *Delivery) outboundOf(j *job) (outbound, []outcome) {
	m := j.m
	var ob outbound
	var refused []outcome
	fail := func(rid int, status, text string) {
		refused = append(refused, outcome{rid: rid, f: &Failure{Kind: FailAddress, Status: status, Text: text, Permanent: true}})
	}
	if m.From != "" {
		mb, err := address.Parse(m.From)
		if err != nil {
			x.d.Log.Warning("MID %d not sent: the queued sender address %s is not a valid RFC 5321 address (%v)", m.MID, maillog.Repr(m.From), err)
			for _, rid := range j.rids {
				fail(rid, "5.1.7", "invalid sender address in the queue: "+err.Error())
			}
			return ob, refused
		}
		ob.from = x.tagSender(j, mb.String())
	}
	for _, rid := range j.rids {
		addr := rcptOf(m, rid).Addr
		mb, err := address.Parse(addr)
		if err != nil {
			x.d.Log.Warning("MID %d RID %d not sent: the queued recipient address %s is not a valid RFC 5321 address (%v)", m.MID, rid, maillog.Repr(addr), err)
			fail(rid, "5.1.3", "invalid recipient address in the queue: "+err.Error())
			continue
		}
		ob.rids = append(ob.rids, rid)
		ob.rcpts = append(ob.rcpts, mb.String())
	}
	return ob, refused
}

// tagSender is the envelope sender as it goes to the job's destination:
// tagged with bvconfig's newest key (BATV prvs=, SPEC 11) when the
// destination has bounce_validation on and a key exists, so that the
// inbound side can tell a real bounce of this message from backscatter.
// The tag is made at each attempt, valid for bounceverify.TagDays from
// then: a retry days later carries a fresh one. Journal copies to a TDC
// intake (special destinations) keep their sender.
func (x *Delivery) tagSender(j *job, from string) string {
	if j.sp != nil || !j.cfg.DestControls(j.dest).BounceValidation {
		return from
	}
	tagged, _ := bounceverify.SignNow(&j.cfg.BounceVerification, from, x.d.Now())
	return tagged
}

// destOf names the destination queue and the routing domain of a
// recipient: the message's Host when set, else the recipient's domain.
// The domain is the address's normalised one (lower case, no trailing
// dot), so that smtproutes and destconfig entries find it (issue 8,
// point 6) however the queue holds it.
func destOf(m *queue.Message, addr string) (name, domain string) {
	domain = routeDomain(addr)
	if m.Host != "" {
		return strings.ToLower(m.Host), domain
	}
	return domain, domain
}

// routeDomain is the domain of addr for lookups. An address that does not
// parse (it will not be sent, outboundOf) is split at its last '@'.
func routeDomain(addr string) string {
	if mb, err := address.Parse(addr); err == nil {
		return mb.DomainKey()
	}
	i := strings.LastIndexByte(addr, '@')
	if i < 0 {
		return ""
	}
	return strings.TrimSuffix(strings.ToLower(addr[i+1:]), ".")
}
