package shell

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net/netip"
	"strconv"
	"strings"

	"seg/internal/address"
	"seg/internal/mailapi"
	"seg/store"
)

// trace (SPEC 13; AsyncOS's message-flow debugger): the envelope a
// client would send, run through the mail system's own session under
// the session's candidate configuration when it has uncommitted
// changes (so that a change can be tried before commit), else the
// running one. Interactive: AsyncOS's questions in AsyncOS's order,
// less the SenderBase network owner ID (seg has no network owner data:
// an SBO: member never matches), plus the HELO name, which seg's session
// needs and AsyncOS's trace does not ask for.

const traceUsage = "Usage: trace source IP [port N] [fqdn NAME] [listener NAME] [sbrs SCORE] helo NAME from ADDRESS|<> to ADDRESS[,ADDRESS...] [message FILE]"

// traceKeys are the batch form's keywords, each followed by its value.
var traceKeys = []string{"source", "port", "fqdn", "listener", "sbrs", "helo", "from", "to", "message"}

func traceCmd() mailCmd {
	return mailCmd{
		name: "trace", help: "Trace what seg would do with a message from a given client, sending nothing.",
		usage: []string{
			"trace source IP [port N] [fqdn NAME] [listener NAME] [sbrs SCORE] helo NAME",
			"    from ADDRESS|<> to ADDRESS[,ADDRESS...] [message FILE]",
			"    (SCORE: -10.0 to 10.0, else looked up; FILE: in the configuration directory)",
		},
		access:   AccessOperator,
		complete: completeTrace,
		check:    checkTrace,
		ask:      askTrace,
	}
}

// checkTrace reads the batch form.
func checkTrace(c *Ctx, args []string) (mailCall, error) {
	if len(args)%2 != 0 {
		return nil, errors.New(traceUsage)
	}
	named := map[string]string{}
	for i := 0; i < len(args); i += 2 {
		k := strings.ToLower(args[i])
		if !isTraceKey(k) {
			return nil, fmt.Errorf("Unknown argument %q. %s", args[i], traceUsage)
		}
		if _, dup := named[k]; dup {
			return nil, fmt.Errorf("%s given twice. %s", k, traceUsage)
		}
		named[k] = args[i+1]
	}
	for _, k := range []string{"source", "helo", "from", "to"} {
		if _, ok := named[k]; !ok {
			return nil, fmt.Errorf("%s is required. %s", k, traceUsage)
		}
	}
	var req mailapi.TraceRequest
	var err error
	if req.SourceIP, err = checkTraceIP(named["source"]); err != nil {
		return nil, err
	}
	if p, ok := named["port"]; ok {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("Invalid port %q: a number from 1 to 65535.", p)
		}
		req.SourcePort = n
	}
	if f, ok := named["fqdn"]; ok {
		if req.FQDN, err = checkTraceName(f); err != nil {
			return nil, err
		}
	}
	if l, ok := named["listener"]; ok {
		if req.Listener, err = checkTraceListener(c, l); err != nil {
			return nil, err
		}
	}
	if v, ok := named["sbrs"]; ok {
		if req.SBRS, err = checkTraceSBRS(v); err != nil {
			return nil, err
		}
		req.SBRSGiven = true
	}
	if req.HELO, err = checkTraceHELO(named["helo"]); err != nil {
		return nil, err
	}
	if req.From, err = checkTraceSender(named["from"]); err != nil {
		return nil, err
	}
	if req.Rcpts, err = checkTraceRcpts(named["to"]); err != nil {
		return nil, err
	}
	if f, ok := named["message"]; ok {
		if err := readTraceMessage(c, f, &req); err != nil {
			return nil, err
		}
	}
	return traceCall(c, req), nil
}

// completeTrace offers the keywords not given yet in keyword position,
// listener names after "listener", the configuration directory's files
// after "message".
func completeTrace(c *Ctx, args []string) []string {
	n := len(args) - 1 // the partial word's position
	if n%2 == 1 {
		switch strings.ToLower(args[n-1]) {
		case "listener":
			var names []string
			for _, l := range c.S.candidateOrRunning().Listeners {
				names = append(names, l.Name)
			}
			return names
		case "message":
			return c.ConfigFiles()
		}
		return nil
	}
	var keys []string
	for _, k := range traceKeys {
		used := false
		for i := 0; i < n; i += 2 {
			used = used || strings.EqualFold(args[i], k)
		}
		if !used {
			keys = append(keys, k)
		}
	}
	return keys
}

func isTraceKey(k string) bool {
	for _, t := range traceKeys {
		if t == k {
			return true
		}
	}
	return false
}

// askTrace is AsyncOS's trace dialog.
func askTrace(c *Ctx) (mailCall, error) {
	var req mailapi.TraceRequest
	var err error
	if req.SourceIP, err = c.AskRequired("Enter the source IP address for this trace:", "", checkTraceIP); err != nil {
		return nil, err
	}
	if req.FQDN, err = c.Ask("Enter the fully qualified domain name of the source IP (blank: look up its reverse DNS):", "", func(s string) (string, error) {
		if strings.TrimSpace(s) == "" {
			return "", nil
		}
		return checkTraceName(s)
	}); err != nil {
		return nil, err
	}
	ls := c.S.candidateOrRunning().Listeners
	switch len(ls) {
	case 0:
		return nil, errors.New("There are no listeners configured.")
	case 1:
		req.Listener = ls[0].Name
	default:
		names := make([]string, len(ls))
		for i := range ls {
			names[i] = ls[i].Name
		}
		i, err := c.Choose("Select the listener to trace behavior on:", names, 1)
		if err != nil {
			return nil, err
		}
		req.Listener = names[i]
	}
	if _, err = c.Ask("Enter the SenderBase Reputation Score (-10.0 to 10.0), or blank to look it up:", "", func(s string) (string, error) {
		if strings.TrimSpace(s) == "" {
			return "", nil
		}
		v, err := checkTraceSBRS(s)
		req.SBRS, req.SBRSGiven = v, err == nil
		return s, err
	}); err != nil {
		return nil, err
	}
	helo := req.FQDN
	if helo == "" {
		helo = "[" + req.SourceIP + "]"
	}
	if req.HELO, err = c.AskRequired("Enter the HELO/EHLO name the client gives:", helo, checkTraceHELO); err != nil {
		return nil, err
	}
	if req.From, err = c.AskRequired("Enter the Envelope Sender address (<> for the null sender):", "", checkTraceSender); err != nil {
		return nil, err
	}
	if req.Rcpts, err = askTraceRcpts(c); err != nil {
		return nil, err
	}
	load, err := c.AskYN("Load message body from disk?", false)
	if err != nil {
		return nil, err
	}
	if load {
		if _, err := c.AskRequired("Enter the name of the file in the configuration directory:", "", func(s string) (string, error) {
			return s, readTraceMessage(c, strings.TrimSpace(s), &req)
		}); err != nil {
			return nil, err
		}
	}
	return traceCall(c, req), nil
}

func askTraceRcpts(c *Ctx) ([]string, error) {
	var rcpts []string
	_, err := c.AskRequired("Enter the Envelope Recipient addresses. Separate multiple addresses by commas.", "", func(s string) (string, error) {
		var err error
		rcpts, err = checkTraceRcpts(s)
		return s, err
	})
	return rcpts, err
}

// traceCall passes the session's candidate, or the running
// configuration, with the request.
func traceCall(c *Ctx, req mailapi.TraceRequest) mailCall {
	var cfg *store.Config
	if cand := c.S.Candidate(); cand != nil {
		cfg, req.Uncommitted = cand, true
		if b := c.S.Base(); b != nil {
			req.Revision = b.Revision.Number
		}
	} else {
		snap := c.S.pinned
		if snap == nil {
			snap = c.S.running()
		}
		cfg, req.Revision = snap.Config, snap.Revision.Number
	}
	return func(ms MailSystem, w io.Writer) error { return ms.Trace(w, cfg, req) }
}

// checkTraceSBRS reads a score: -10.0 to 10.0, one decimal as SBRS
// writes it.
func checkTraceSBRS(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || v < -10 || v > 10 {
		return 0, fmt.Errorf("Invalid SBRS score %q: a number from -10.0 to 10.0.", s)
	}
	return math.Round(v*10) / 10, nil
}

func checkTraceIP(s string) (string, error) {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil || a.Zone() != "" {
		return "", fmt.Errorf("Invalid IP address %q.", s)
	}
	return a.Unmap().String(), nil
}

// checkTraceName checks a host name (the FQDN): dot-separated labels of
// letters, digits and hyphens.
func checkTraceName(s string) (string, error) {
	s = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), ".")
	if s == "" || len(s) > 253 {
		return "", fmt.Errorf("Invalid host name %q.", s)
	}
	for _, l := range strings.Split(s, ".") {
		if l == "" || len(l) > 63 || strings.HasPrefix(l, "-") || strings.HasSuffix(l, "-") ||
			strings.Trim(l, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
			return "", fmt.Errorf("Invalid host name %q.", s)
		}
	}
	return s, nil
}

// checkTraceHELO takes a host name or an address literal ("[IP]").
func checkTraceHELO(s string) (string, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		if _, err := checkTraceIP(strings.TrimPrefix(strings.TrimPrefix(s[1:len(s)-1], "IPv6:"), "ipv6:")); err != nil {
			return "", fmt.Errorf("Invalid HELO name %q.", s)
		}
		return s, nil
	}
	return checkTraceName(s)
}

// checkTraceSender takes an address or <> (returned as "").
func checkTraceSender(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "<>" {
		return "", nil
	}
	p, err := address.ParseReversePath("<" + strings.Trim(s, "<>") + ">")
	if err != nil || p.Null {
		return "", fmt.Errorf("Invalid envelope sender %q.", s)
	}
	return p.Mailbox.String(), nil
}

// checkTraceRcpts takes a comma-separated list of addresses.
func checkTraceRcpts(s string) ([]string, error) {
	var out []string
	for _, a := range strings.Split(s, ",") {
		a = strings.Trim(strings.TrimSpace(a), "<>")
		if a == "" {
			continue
		}
		p, err := address.ParseForwardPath("<" + a + ">")
		if err != nil {
			return nil, fmt.Errorf("Invalid envelope recipient %q.", a)
		}
		out = append(out, p.Mailbox.String())
	}
	if len(out) == 0 {
		return nil, errors.New("Enter at least one envelope recipient.")
	}
	return out, nil
}

func checkTraceListener(c *Ctx, name string) (string, error) {
	for _, l := range c.S.candidateOrRunning().Listeners {
		if strings.EqualFold(l.Name, name) {
			return l.Name, nil
		}
	}
	return "", fmt.Errorf("No listener named %s.", name)
}

// readTraceMessage reads the message file under the configuration
// directory's rule (files.go: operators and admins, no links, a size
// cap). Its content is never printed: the trace shows the header
// fields the session parses (Subject, Message-ID) in its log lines.
func readTraceMessage(c *Ctx, name string, req *mailapi.TraceRequest) error {
	b, err := c.ReadConfigFile(name)
	if err != nil {
		return err
	}
	req.Message, req.MessageFile = b, name
	return nil
}
