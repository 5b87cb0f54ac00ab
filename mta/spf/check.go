package spf

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"time"

	lib "blitiri.com.ar/go/spf"

	"seg/mta/dns"
)

// Level is a conformance level (the spf_conformance parameter).
type Level int

// The conformance levels, as AsyncOS has them.
const (
	// LevelSPF checks HELO and MAIL FROM against v=spf1 records (RFC
	// 7208) and nothing else.
	LevelSPF Level = iota
	// LevelSIDF is Sender ID as RFC 4406 has it: a domain's spf2.0
	// record of the scope checked (mfrom or pra), else its v=spf1
	// record; a domain that does not exist, or a PRA that cannot be
	// found, fails.
	LevelSIDF
	// LevelSIDFCompatible is Sender ID that spares domains which never
	// opted in to it: the MAIL FROM as at LevelSIDF, the PRA against
	// spf2.0 records of scope pra alone (a v=spf1 record stands for
	// spf2.0/mfrom only), and a domain that does not exist, or a PRA
	// that cannot be found, gives None.
	LevelSIDFCompatible
)

// Result is an SPF result (RFC 7208 section 2.6), in lower case as the
// RFC and Authentication-Results (RFC 8601) write it.
type Result string

// The results.
const (
	None      Result = "none"
	Neutral   Result = "neutral"
	Pass      Result = "pass"
	Fail      Result = "fail"
	SoftFail  Result = "softfail"
	TempError Result = "temperror"
	PermError Result = "permerror"
)

// Title is the result as AsyncOS writes it in mail_logs and in
// Received-SPF: "Pass", "SoftFail", "TempError".
func (r Result) Title() string {
	switch r {
	case SoftFail:
		return "SoftFail"
	case TempError:
		return "TempError"
	case PermError:
		return "PermError"
	case "":
		return "None"
	}
	return strings.ToUpper(string(r[:1])) + string(r[1:])
}

// DefaultTimeout bounds one identity's check when Checker.Timeout is
// zero: RFC 7208 section 4.6.4 asks for at least 20 seconds for the whole
// evaluation; seg's resolver gives up on a silent server after 5 s per
// query, so ten lookups in a row can still end in time.
const DefaultTimeout = 20 * time.Second

// Checker runs SPF and Sender ID checks through seg's resolver.
type Checker struct {
	// Resolver answers every lookup; nil makes every check TempError.
	Resolver dns.Resolver
	// Timeout bounds each check (DefaultTimeout when zero); a DNS
	// server that never answers gives TempError, never a hang.
	Timeout time.Duration
}

// Verdict is the outcome of one identity's check.
type Verdict struct {
	// Identity is the mailbox checked: postmaster@HELO for the HELO
	// identity and for a null reverse-path (RFC 7208 section 2.4).
	Identity string
	Domain   string // the domain part of Identity
	Result   Result
	// Version is the version token of the record evaluated, as
	// published ("v=spf1", "spf2.0/mfrom,pra"); "" when none was found.
	Version string
	// RFC7208 is set when Result is what RFC 7208's check_host() gives
	// for Domain (no spf2.0 record and no Sender ID rule was involved):
	// the result DMARC aligns on (RFC 7489 section 4.1).
	RFC7208 bool
	// Field is the header field a PRA came from ("Resent-From").
	Field string
	// Downgraded is set when a PRA Pass became None because the PRA came
	// from Resent-Sender or Resent-From (spf_downgrade_pra).
	Downgraded bool
	// Detail says why, for the operator: the library's reason, a DNS
	// error. Not for the client.
	Detail string
}

// HELO checks the HELO identity, postmaster@HELO (RFC 7208 section 2.3),
// against v=spf1 records: Sender ID has no HELO scope.
func (c *Checker) HELO(ctx context.Context, ip netip.Addr, helo string) Verdict {
	return c.check(ctx, ip, helo, "postmaster@"+helo, helo, LevelSPF, "")
}

// MailFrom checks the MAIL FROM identity at level; from "" is the null
// reverse-path, checked as postmaster@HELO (RFC 7208 section 2.4).
func (c *Checker) MailFrom(ctx context.Context, ip netip.Addr, helo, from string, level Level) Verdict {
	identity, domain := from, domainOf(from)
	if from == "" {
		identity, domain = "postmaster@"+helo, helo
	}
	scope := ""
	if level != LevelSPF {
		scope = "mfrom"
	}
	return c.check(ctx, ip, helo, identity, domain, level, scope)
}

// PRA checks the Purported Responsible Address of the message whose
// header starts msg (RFC 4406 section 4, RFC 4407), for the Sender ID
// levels. With downgrade, at LevelSIDFCompatible, a Pass for a PRA taken
// from Resent-Sender or Resent-From becomes None: those fields are
// easily added by anyone who forwards a message (AsyncOS's "downgrade
// PRA verification result").
func (c *Checker) PRA(ctx context.Context, ip netip.Addr, helo string, msg []byte, level Level, downgrade bool) Verdict {
	addr, field, ok := PRA(msg)
	if !ok {
		v := Verdict{Result: None, Detail: "no purported responsible address (RFC 4407 section 2)"}
		if level == LevelSIDF {
			v.Result = Fail
		}
		return v
	}
	v := c.check(ctx, ip, helo, addr, domainOf(addr), level, "pra")
	v.Field, v.RFC7208 = field, false
	if downgrade && level == LevelSIDFCompatible && v.Result == Pass &&
		(field == "Resent-Sender" || field == "Resent-From") {
		v.Result, v.Downgraded = None, true
	}
	return v
}

// check runs one evaluation of domain for identity.
func (c *Checker) check(ctx context.Context, ip netip.Addr, helo, identity, domain string, level Level, scope string) Verdict {
	v := Verdict{Identity: identity, Domain: domain}
	strict := level == LevelSIDF && scope != ""
	if !validDomain(domain) {
		// RFC 7208 section 4.3: a malformed or single-label domain is
		// none; Sender ID proper fails a malformed identity.
		v.Result, v.RFC7208, v.Detail = None, true, "not a domain name"
		if strict {
			v.Result, v.RFC7208 = Fail, false
		}
		return v
	}
	if c.Resolver == nil {
		v.Result, v.RFC7208, v.Detail = TempError, true, "no DNS resolver"
		return v
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	view := &scopeView{
		libResolver: libResolver{c.Resolver},
		scope:       scope,
		spf1:        scope == "mfrom" || level == LevelSIDF,
	}
	res, err := lib.CheckHostWithSender(net.IP(ip.Unmap().AsSlice()), helo, identity,
		lib.WithContext(ctx), lib.WithResolver(view))
	v.Result, v.Version = Result(res), view.version
	v.RFC7208 = !view.sid
	if err != nil && !isMatch(err) {
		v.Detail = err.Error()
	}
	if ctx.Err() != nil && v.Result != Pass && v.Result != Fail {
		// The deadline cut the evaluation short: whatever the library
		// made of the missing answers, the truth is a temporary error.
		v.Result, v.Detail = TempError, "SPF check deadline passed"
	}
	if strict && view.nx {
		// Sender ID proper (RFC 4406 section 4) turns check_host()'s
		// "none" for a domain that does not exist into "fail".
		v.Result, v.RFC7208, v.Detail = Fail, false, "domain does not exist"
	}
	return v
}

// isMatch reports the library's errors that only say which mechanism
// matched.
func isMatch(err error) bool {
	for _, m := range []error{lib.ErrMatchedAll, lib.ErrMatchedA, lib.ErrMatchedIP,
		lib.ErrMatchedMX, lib.ErrMatchedPTR, lib.ErrMatchedExists, lib.ErrNoResult} {
		if errors.Is(err, m) {
			return true
		}
	}
	return false
}

// domainOf is the domain of a mailbox.
func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return addr[i+1:]
	}
	return ""
}

// validDomain reports a multi-label domain name with labels of 1 to 63
// octets (RFC 7208 section 4.3); an address literal is not one.
func validDomain(d string) bool {
	d = strings.TrimSuffix(d, ".")
	if len(d) == 0 || len(d) > 253 || !strings.Contains(d, ".") || strings.HasPrefix(d, "[") {
		return false
	}
	for l := range strings.SplitSeq(d, ".") {
		if len(l) == 0 || len(l) > 63 {
			return false
		}
	}
	return true
}
