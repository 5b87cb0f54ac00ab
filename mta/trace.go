package mta

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"seg/internal/mailapi"
	"seg/mta/delivery"
	"seg/mta/queue"
	"seg/mta/smtpd"
	"seg/mta/tdc"
	"seg/store"
)

// Trace prints what seg would do with req's envelope under cfg (trace,
// SPEC 13). The session is smtpd's own (smtpd.Server.Trace: the HAT,
// the RAT, sender verification, SPF, DKIM, DMARC, the limits and the
// mail-policy split, run over an in-memory pipe, nothing queued); the
// route is delivery's (delivery.PlanRoute). Only DNS is read.
func (m *MTA) Trace(out io.Writer, cfg *store.Config, req mailapi.TraceRequest) error {
	ip, err := netip.ParseAddr(req.SourceIP)
	if err != nil {
		return fmt.Errorf("trace: %q is not an IP address", req.SourceIP)
	}
	if cfg == nil {
		cfg = m.cfg.Load()
	}
	if len(req.Rcpts) == 0 {
		return fmt.Errorf("trace: no envelope recipient")
	}
	msg := req.Message
	if msg == nil {
		msg = traceMessage(req, m.o.Now().Format("Mon, 02 Jan 2006 15:04:05 -0700"))
	}
	ctx := context.Background()
	var sbrs *float64
	if req.SBRSGiven {
		sbrs = &req.SBRS
	}
	res, err := m.smtpd.Trace(ctx, smtpd.TraceInput{SBRS: sbrs,
		Config: cfg, Listener: req.Listener, IP: ip.Unmap(), Port: req.SourcePort, FQDN: req.FQDN,
		HELO: req.HELO, From: req.From, Rcpts: req.Rcpts, Message: msg,
		Journal: func(newMID func() int64) smtpd.JournalFunc {
			return tdc.Copier{NewMID: newMID, Now: m.o.Now}.Copy
		},
	})
	if err != nil {
		return err
	}
	var b strings.Builder
	traceReport(&b, cfg, req, res, func(domain string) delivery.RoutePlan {
		return m.delivery.PlanRoute(ctx, cfg, domain)
	})
	_, err = io.WriteString(out, b.String())
	return err
}

// traceMessage is the message trace sends when the administrator gives
// none: the envelope's addresses in its header, a line saying what it is.
func traceMessage(req mailapi.TraceRequest, date string) []byte {
	from := req.From
	if from == "" {
		from = "MAILER-DAEMON"
	}
	return []byte("From: <" + from + ">\r\nTo: <" + strings.Join(req.Rcpts, ">, <") + ">\r\n" +
		"Subject: trace test message\r\nDate: " + date + "\r\n\r\n" +
		"A test message made by seg's trace command; it was never sent.\r\n")
}

// traceReport writes the report in AsyncOS trace's sections: HAT and
// mail flow policy, the session, the recipient list, mail policy
// processing, delivery, the final result.
func traceReport(b *strings.Builder, cfg *store.Config, req mailapi.TraceRequest, res *smtpd.TraceResult, route func(string) delivery.RoutePlan) {
	if req.Uncommitted {
		fmt.Fprintf(b, "Using the uncommitted configuration (based on revision %d).\n", req.Revision)
	} else {
		fmt.Fprintf(b, "Using the running configuration (revision %d).\n", req.Revision)
	}
	b.WriteString("Nothing is sent or queued: the SMTP session runs inside seg. DNS lookups\n" +
		"(reverse DNS, DNS lists, sender verification, SPF, DKIM, DMARC, MX) are real\n" +
		"reads through the configured resolvers. The traced client neither starts TLS\n" +
		"nor authenticates.\n")
	if req.MessageFile != "" {
		fmt.Fprintf(b, "Message body: %s (%d bytes)\n", req.MessageFile, len(req.Message))
	} else {
		b.WriteString("Message body: a generated test message\n")
	}

	lc, d := res.Listener, res.Decision
	b.WriteString("\nHost Access Table (HAT) and Mail Flow Policy Processing:\n")
	kv(b, "Listener", fmt.Sprintf("%s (%s port %d)", lc.Name, lc.Address, lc.Port))
	kv(b, "Source IP", req.SourceIP)
	switch {
	case req.FQDN != "":
		kv(b, "Reverse DNS host", res.RDNS+" (as given: taken as verified, not looked up)")
	case res.RDNS == "":
		kv(b, "Reverse DNS host", "unknown (verified no)")
	default:
		kv(b, "Reverse DNS host", fmt.Sprintf("%s (verified %s)", res.RDNS, yesNo(res.Verified)))
	}
	if d.Policy == "" {
		kv(b, "Sender group", "None: no sender group matched (the listener's default parameters)")
	} else {
		kv(b, "Sender group", fmt.Sprintf("%s (member %s matched)", d.Group, d.Member))
	}
	pol := d.Policy
	if pol == "" {
		pol = "(none)"
	}
	kv(b, "Mail flow policy", fmt.Sprintf("%s (behavior %s)", pol, d.Behavior))
	if req.SBRSGiven && d.Flow.UseSB {
		kv(b, "SBRS", d.SBRS+" (as given: not looked up)")
	} else {
		kv(b, "SBRS", d.SBRS)
	}
	if d.Behavior == store.BehaviorAccept || d.Behavior == store.BehaviorRelay {
		b.WriteString("\nMail Flow Policy Limits:\n")
		flowLimits(b, cfg, d.Flow)
	}

	b.WriteString("\nSMTP Session (what the client would see):\n")
	for _, s := range res.Steps {
		if s.Command != "" {
			fmt.Fprintf(b, "    C: %s\n", s.Command)
		}
		for _, l := range strings.Split(s.Reply, "\n") {
			fmt.Fprintf(b, "    S: %s\n", l)
		}
	}

	senderChecks(b, d.Flow, res)

	if len(res.Rcpts) > 0 {
		b.WriteString("\nProcessing Recipient List:\n")
		for _, r := range res.Rcpts {
			why := "no RAT entry matched"
			switch {
			case r.Relayed:
				why = "relayed: behavior RELAY, the RAT is not consulted"
			case r.RAT != nil:
				why = fmt.Sprintf("RAT entry %s %s", r.RAT.Entry, r.RAT.Action)
			}
			reply := r.Reply
			if reply == "" {
				reply = "(not sent)"
			}
			fmt.Fprintf(b, "    %s: %s: %s\n", r.Addr, why, strings.ReplaceAll(reply, "\n", " / "))
		}
	}

	var normal []*queue.Message
	for _, m := range res.Queued {
		if m.Kind == queue.KindNormal {
			normal = append(normal, m)
		}
	}
	if len(normal) > 0 {
		relay := d.Behavior == store.BehaviorRelay
		table, policies := "incoming", cfg.Incoming
		if relay {
			table, policies = "outgoing", cfg.Outgoing
		}
		fmt.Fprintf(b, "\nMail Policy Processing (%s table):\n", table)
		// Recipients in the order the client gave them, each with the
		// policy of the part the split put it in.
		part := map[string]*queue.Message{}
		for _, m := range normal {
			for _, r := range m.Rcpts {
				part[r.Addr] = m
			}
		}
		for _, r := range res.Rcpts {
			m := part[r.Addr]
			if !r.Accepted || m == nil {
				continue
			}
			var rule *store.MailPolicy
			if i := slices.IndexFunc(policies, func(p store.MailPolicy) bool { return p.Name == m.Policy }); i >= 0 {
				rule = &policies[i]
			}
			fmt.Fprintf(b, "    %s: policy %s; %s\n", r.Addr, m.Policy, tdcSetting(cfg, rule, relay))
		}
		b.WriteString("\nMessage Enqueued for Delivery:\n")
		var domains []string
		for _, r := range res.Rcpts {
			if d := domainOf(r.Addr); part[r.Addr] != nil && r.Accepted && !slices.Contains(domains, d) {
				domains = append(domains, d)
			}
		}
		for _, dom := range domains {
			routeReport(b, route(dom))
		}
		for _, m := range res.Queued {
			if m.Kind == queue.KindTDC {
				fmt.Fprintf(b, "    Journal copy to %s, through the Threat Defense Connector queue (%s)\n", rcptList(m), m.Host)
			}
		}
	}

	b.WriteString("\nmail_logs lines seg would write (ICID and MID numbered by the trace):\n")
	for _, l := range res.Log {
		fmt.Fprintf(b, "    %s\n", l)
	}

	b.WriteString("\nFinal Result:\n")
	accepted := 0
	for _, r := range res.Rcpts {
		if r.Accepted {
			accepted++
		}
	}
	switch last := lastReply(res); {
	case len(normal) > 0:
		fmt.Fprintf(b, "    Message accepted for delivery (%d of %d recipients): %s\n", accepted, len(req.Rcpts), last)
	case d.Behavior == store.BehaviorTCPRefuse:
		b.WriteString("    Connection refused (TCPREFUSE): no banner, nothing received\n")
	default:
		fmt.Fprintf(b, "    Message not accepted: %s\n", last)
	}
}

// senderChecks writes the verdicts of the sender checks the policy
// turns on, in the words of the session's own mail_logs lines.
func senderChecks(b *strings.Builder, f store.FlowSettings, res *smtpd.TraceResult) {
	if !f.SenderVerify && !f.SPF && !f.DKIMVerify && !f.DMARCVerify {
		return
	}
	b.WriteString("\nSender Verification and Authentication:\n")
	mailOK := false
	for _, s := range res.Steps {
		if strings.HasPrefix(s.Command, "MAIL ") && strings.HasPrefix(s.Reply, "250") {
			mailOK = true
		}
	}
	logged := map[string]bool{}
	for _, l := range res.Log {
		for _, k := range []string{"Sender Verification:", "SPF:", "DKIM:", "DMARC:"} {
			if strings.Contains(l, k) {
				fmt.Fprintf(b, "    %s\n", l)
				logged[strings.TrimSuffix(strings.TrimSpace(k), ":")] = true
				break
			}
		}
	}
	if f.SenderVerify && mailOK && !logged["Sender Verification"] {
		b.WriteString("    Sender verification: passed (the domain exists, or the sender is <> or excepted)\n")
	}
	if !mailOK && (f.DKIMVerify || f.DMARCVerify) {
		b.WriteString("    DKIM and DMARC: not evaluated (no message data)\n")
	}
}

// lastReply is the reply that decided: the last one before QUIT's.
func lastReply(res *smtpd.TraceResult) string {
	for i := len(res.Steps) - 1; i >= 0; i-- {
		if s := res.Steps[i]; s.Command != "QUIT" {
			return strings.ReplaceAll(s.Reply, "\n", " / ")
		}
	}
	return "(no reply)"
}

func kv(b *strings.Builder, k, v string) { fmt.Fprintf(b, "    %-20s %s\n", k+":", v) }

func yesNo(v bool) string {
	if v {
		return "yes"
	}
	return "no"
}

// limit writes n, or what a value of 0 or less means.
func limit(n int64, none string) string {
	if n <= 0 {
		return none
	}
	return strconv.FormatInt(n, 10)
}

// flowLimits writes the mail flow policy parameters the session applies.
func flowLimits(b *strings.Builder, cfg *store.Config, f store.FlowSettings) {
	kv(b, "Max message size", limit(f.MaxMessageSize, "no limit")+" bytes")
	kv(b, "Max conns per IP", limit(f.MaxConcurrency, "no limit"))
	kv(b, "Max msgs per conn", limit(f.MaxMsgsPerSession, "no limit"))
	kv(b, "Max rcpts per msg", limit(f.MaxRcptsPerMsg, "no limit"))
	kv(b, "Max rcpts per hour", limit(f.MaxRcptsPerHour, "unlimited"))
	if f.SenderRateLimit > 0 {
		kv(b, "Sender rate limit", fmt.Sprintf("%d recipients per %d minutes", f.SenderRateLimit, f.SenderRateMinutes))
	} else {
		kv(b, "Sender rate limit", "unlimited")
	}
	if f.DHAPLimit > 0 {
		kv(b, "DHAP", fmt.Sprintf("%d invalid recipients per hour (drop connection %s)", f.DHAPLimit, yesNo(f.DHAPDrop)))
	} else {
		kv(b, "DHAP", "off")
	}
	tls := f.TLS
	if tls == "" {
		tls = "off"
	}
	kv(b, "TLS", tls)
	auth := f.SMTPAuthAllow
	if auth == "" {
		auth = "off"
	}
	kv(b, "SMTP AUTH", auth)
	kv(b, "Sender verification", onOff(f.SenderVerify))
	if f.SPF {
		kv(b, "SPF/SIDF", fmt.Sprintf("on (%s; HELO test %s; on fail: %s)", f.SPFConformance, onOff(f.SPFHELOTest), orDefault(f.SPFFailAction, "accept")))
	} else {
		kv(b, "SPF/SIDF", "off")
	}
	kv(b, "DKIM verification", onOff(f.DKIMVerify))
	if f.DMARCVerify {
		kv(b, "DMARC verification", "on (profile "+orDefault(f.DMARCProfile, "DEFAULT")+")")
	} else {
		kv(b, "DMARC verification", "off")
	}
	kv(b, "DKIM signing", onOff(f.DKIMSigning))
	rates := "the trace counts from zero; live counts are not included"
	if f.MaxRcptsPerHour > 0 || f.SenderRateLimit > 0 || f.DHAPLimit > 0 {
		kv(b, "Rate windows", rates)
	}
}

func onOff(v bool) string {
	if v {
		return "on"
	}
	return "off"
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// tdcSetting says whether the policy journals to the Threat Defense
// Connector (tdc.Intake decides, as the session's journal does).
func tdcSetting(cfg *store.Config, p *store.MailPolicy, relay bool) string {
	if relay {
		return "TDC: not applied to outgoing mail"
	}
	setting := "off"
	if p != nil && p.TDC != "" {
		setting = p.TDC
	}
	if !cfg.TDC.Enabled {
		return "TDC: " + setting + " (the Threat Defense Connector is disabled)"
	}
	if a := tdc.Intake(cfg, p); a != "" {
		return "TDC: " + setting + ", journaled to " + a
	}
	return "TDC: " + setting
}

// routeReport writes one destination's route and controls.
func routeReport(b *strings.Builder, p delivery.RoutePlan) {
	how := "MX"
	if p.SMTPRoute {
		how = "SMTP route"
	}
	switch {
	case p.DevNull:
		fmt.Fprintf(b, "    %s: SMTP route /dev/null: discarded, counted as delivered\n", p.Domain)
		return
	case p.Fail != "":
		fate := "stays queued, retried"
		if p.Permanent {
			fate = "bounces"
		}
		fmt.Fprintf(b, "    %s: %s: %s %s (%s)\n", p.Domain, how, p.Status, p.Fail, fate)
	default:
		fmt.Fprintf(b, "    %s: %s %s\n", p.Domain, how, strings.Join(p.Hosts, ", "))
		for _, t := range p.Targets {
			var as []string
			for _, a := range t.Addrs {
				as = append(as, a.String())
			}
			fmt.Fprintf(b, "        %s port %d: %s\n", t.Host, t.Port, orDefault(strings.Join(as, ", "), "no address"))
		}
	}
	c := p.Controls
	rl := "none"
	if c.RecipientLimit > 0 {
		rl = fmt.Sprintf("%d per %d minutes", c.RecipientLimit, c.RecipientMinutes)
	}
	fmt.Fprintf(b, "        Destination controls: max concurrency %d, max messages per connection %d, TLS %s, DANE %s, recipient limit %s, bounce profile %s\n",
		c.MaxHostConcurrency, c.MaxMessagesPerConnection, orDefault(c.UseTLS, "off"), orDefault(c.DANE, "off"), rl, orDefault(c.BounceProfile, "Default"))
}

func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return strings.ToLower(addr[i+1:])
	}
	return ""
}

func rcptList(m *queue.Message) string {
	var as []string
	for _, r := range m.Rcpts {
		as = append(as, r.Addr)
	}
	return strings.Join(as, ", ")
}
