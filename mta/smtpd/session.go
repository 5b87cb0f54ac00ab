package smtpd

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	"seg/internal/address"
	"seg/mta/counters"
	"seg/mta/maillog"
	"seg/mta/mailpolicy"
	"seg/mta/queue"
	"seg/store"
)

// session holds one mail transaction at a time: the policy of MAIL, RCPT
// and DATA. The command loop (commands.go) calls it from the
// connection's goroutine only, once a command's syntax is checked. The
// connection's HAT decision was made at connect (connect.go) and travels
// in info.
type session struct {
	s    *Server
	c    *conn
	info *connInfo
	helo string

	mid        int64 // 0: no transaction
	dhapLogged bool  // the DHAP line was logged for this connection
	from       string
	rcpts      []string
	auth       txAuth // sender authentication (senderauth.go)
}

func smtpErr(code int, ec enhancedCode, text string) *smtpError {
	return &smtpError{Code: code, EnhancedCode: ec, Message: text}
}

func (s *session) log() maillog.Logger { return s.s.d.Log }

// Mail and Rcpt take the path as seg's own parser read it (envelope.go);
// size is MAIL's SIZE parameter, 0 when none was given.
func (s *session) Mail(path address.Path, size int64) error {
	in := s.info
	if s.mid != 0 {
		return smtpErr(503, enhancedCode{5, 5, 1}, "Sender already specified")
	}
	if s.c.t.pastSoftLimit() {
		// AsyncOS ends a session at 80% of its maximum connection time
		// between messages rather than cut the next one short (timeouts.go).
		s.log().Info("ICID %d disconnected address %s, exceeded allowable connection time", in.icid, in.ip)
		s.c.hangUpAfterReply()
		return smtpErr(421, enhancedCode{4, 4, 2}, "Exceeded allowable connection time, disconnecting.")
	}
	if max := in.dec.Flow.MaxMsgsPerSession; max > 0 && in.msgs >= max {
		s.log().Info("ICID %d Receiving Failed: Too Many Messages", in.icid)
		s.c.hangUpAfterReply()
		return smtpErr(421, enhancedCode{4, 7, 0}, "Too many messages for this session, closing connection")
	}
	if in.maxSize > 0 && size > in.maxSize {
		// RFC 1870 section 6.1: refuse a declared size over the limit at MAIL.
		s.log().Info("ICID %d Receiving Failed: Message size exceeds limit", in.icid)
		return smtpErr(552, enhancedCode{5, 3, 4}, "Message size exceeds limit")
	}
	if s.s.d.Queue.SpaceLow(size) {
		// Said at MAIL, before the client sends a message that cannot
		// be stored: RFC 5321 section 4.3.2 lists 452 among MAIL's
		// replies, RFC 1870 section 6.1 for a SIZE that does not fit
		// now, and RFC 3463's X.3.1 is "mail system full". A client
		// tries again later; nothing is lost.
		s.log().Info("ICID %d Receiving Failed: Insufficient system storage", in.icid)
		return smtpErr(452, enhancedCode{4, 3, 1}, "Insufficient system storage")
	}
	if err := s.verifySender(path); err != nil {
		return err
	}
	from := ""
	if !path.Null {
		from = path.Mailbox.String()
	}
	s.mid = s.s.d.Queue.NextMID()
	s.from = from
	s.rcpts = nil
	s.log().Info("Start MID %d ICID %d", s.mid, in.icid)
	s.log().Info("MID %d ICID %d From: <%s>", s.mid, in.icid, logSafe(from))
	if err := s.authAtMail(path); err != nil {
		s.Reset()
		return err
	}
	return nil
}

func (s *session) Rcpt(path address.Path) error {
	in := s.info
	if s.mid == 0 {
		return smtpErr(503, enhancedCode{5, 5, 1}, "Need MAIL command")
	}
	rcpt, err := s.bounceVerify(path.Mailbox)
	if err != nil {
		return err
	}
	to := rcpt.String()
	// RELAY takes any recipient, and so does a client authenticated
	// under smtpauth_relay on (auth.go); everything else must pass the
	// RAT, so no other host can relay (SPEC 4.4, 10).
	var e *store.RATEntry // the RAT entry that accepted to; nil when relaying
	if in.dec.Behavior != store.BehaviorRelay && !s.c.authRelays() {
		e = matchRAT(in.lc.RAT, to)
		if e == nil || !strings.EqualFold(e.Action, store.RATAccept) {
			s.log().Info("MID %d ICID %d To: <%s> Rejected by RAT", s.mid, in.icid, logSafe(to))
			s.s.d.Counters.Add(counters.RejectedRecipients, 1)
			return s.invalidRecipient(ratReject(e))
		}
	}
	if max := in.dec.Flow.MaxRcptsPerMsg; max > 0 && int64(len(s.rcpts)) >= max {
		s.log().Info("ICID %d Receiving Failed: Too Many Recipients", in.icid)
		return smtpErr(452, enhancedCode{4, 5, 3}, "Too many recipients")
	}
	if err := s.rateLimits(to, e); err != nil {
		return err
	}
	s.log().Info("MID %d ICID %d RID %d To: <%s>", s.mid, in.icid, len(s.rcpts), logSafe(to))
	s.rcpts = append(s.rcpts, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	in := s.info
	if s.mid == 0 || len(s.rcpts) == 0 {
		return smtpErr(503, enhancedCode{5, 5, 1}, "Need RCPT command")
	}
	src := r
	if in.maxSize > 0 {
		src = io.LimitReader(r, in.maxSize+1)
	}
	buf, err := readMessage(src)
	data := buf[headerRoom:]
	if errors.Is(err, errLineTooLong) {
		// The loop hangs up after this (RFC 5321 section 4.5.3.1.6 allows
		// a server to refuse lines over 1000 octets; seg takes 2000).
		return smtpErr(500, enhancedCode{5, 5, 2}, "Line too long")
	}
	if err != nil {
		// The client went away or timed out; Reset logs the abort.
		return smtpErr(451, enhancedCode{4, 3, 0}, "Error reading message data")
	}
	if in.maxSize > 0 && int64(len(data)) > in.maxSize {
		s.log().Info("ICID %d Receiving Failed: Message size exceeds limit", in.icid)
		return smtpErr(552, enhancedCode{5, 3, 4}, "Message size exceeds limit")
	}

	authHdr, aerr := s.authAtData(data)
	if aerr != nil {
		return aerr
	}
	buf, data = s.dropOwnAuthResults(buf)
	if in.lc.Type == store.ListenerBlackhole {
		return s.blackhole(data)
	}
	mid := s.mid
	now := s.s.d.Now()
	proto := "ESMTP"
	if s.c.ehloVerb() == "HELO" {
		proto = "SMTP"
	}
	hdr := receivedHeader(s.helo, in.rdns, addrLiteral(in.ip), in.hostname, proto, strconv.FormatInt(mid, 10), s.rcpts, now)
	if authHdr != nil {
		hdr = append(authHdr, hdr...)
	}
	if sig := s.dkimSign(hdr, data); sig != nil {
		hdr = append(sig, hdr...)
	}
	body := prepend(buf, hdr)

	msgID, subject, _, _ := headerFields(data)
	relay := in.dec.Behavior == store.BehaviorRelay
	m := &queue.Message{
		MID: mid, ICID: in.icid, Kind: queue.KindNormal, From: s.from, Received: now,
		Size: int64(len(body)), RemoteIP: in.ip.String(), Listener: in.lc.Name,
		MessageID: msgID, Subject: subject, Relayed: relay,
	}
	for i, a := range s.rcpts {
		m.Rcpts = append(m.Rcpts, queue.Recipient{RID: i, Addr: a, State: queue.Unattempted})
	}

	s.logReady(mid, data, len(body))
	parts, rules := s.split(in.cfg, m, relay)
	copies := make([][]queue.Derived, len(parts))
	journaled := make([][]string, len(parts)) // the copies' lines once queued
	if journal := s.s.d.Journal; journal != nil {
		for i, pm := range parts {
			if c, made, queued, ok := journal(in.cfg, pm, rules[i], body); ok {
				copies[i], journaled[i] = []queue.Derived{c}, queued
				for _, l := range made {
					s.log().Info("%s", l)
				}
			}
		}
	}
	// Counted before the enqueue, so that the commit which makes the
	// message durable journals its count too (mta/lifetime.go): a crash
	// after the 250 never loses it. A message that fails to queue is
	// uncounted below.
	s.count(1)
	errs := s.enqueue(parts, copies, body)
	for i, pm := range parts {
		if errs[i] != nil {
			// The copy's life ends as the part's: not queued.
			for _, c := range copies[i] {
				s.log().Info("Message aborted MID %d Receiving aborted", c.Msg.MID)
			}
			continue
		}
		s.log().Info("MID %d queued for delivery", pm.MID)
		for _, l := range journaled[i] {
			s.log().Info("%s", l)
		}
	}
	if err := errors.Join(errs...); err != nil {
		// Operators see why; the client sees a generic temporary failure
		// (STYLE 3). Parts already queued are delivered: a recipient may
		// get the message twice when the client sends it again, but none
		// loses it.
		s.count(-1)
		s.log().Warning("ICID %d Receiving Failed: MID %d could not be queued: %v", in.icid, mid, err)
		if errors.Is(err, queue.ErrNoSpace) {
			// The filesystem filled while the message came in: 452 is
			// among DATA's replies too (RFC 5321 section 4.3.2).
			return smtpErr(452, enhancedCode{4, 3, 1}, "Insufficient system storage")
		}
		return smtpErr(451, enhancedCode{4, 3, 0}, "Message could not be queued, try again later")
	}
	return s.accepted(mid)
}

// logReady logs the message's Message-ID and Subject, when it has them,
// and its size, as AsyncOS does once the data is in.
func (s *session) logReady(mid int64, data []byte, size int) {
	msgID, subject, hasID, hasSubject := headerFields(data)
	if hasID {
		s.log().Info("MID %d Message-ID %s", mid, maillog.Repr(msgID))
	}
	if hasSubject {
		s.log().Info("MID %d Subject %s", mid, maillog.Repr(subject))
	}
	s.log().Info("MID %d ready %d bytes from <%s>", mid, size, logSafe(s.from))
}

// count counts (n = 1) or uncounts (n = -1) the transaction's message
// and recipients as received.
func (s *session) count(n int64) {
	s.s.d.Counters.Add(counters.MessagesReceived, n)
	s.s.d.Counters.Add(counters.RecipientsReceived, n*int64(len(s.rcpts)))
}

// accepted ends the transaction, counted already, and answers 250.
func (s *session) accepted(mid int64) error {
	s.info.msgs++
	s.mid, s.from, s.rcpts, s.auth = 0, "", nil, txAuth{}
	// The message's lines reach the file before the client hears it is
	// accepted: a crash after the 250 must not leave a queued message
	// the log never mentions.
	maillog.Flush(s.log())
	return smtpErr(250, enhancedCode{2, 0, 0}, "Ok: queued as "+strconv.FormatInt(mid, 10))
}

// split divides a message by the mail policy its recipients match
// (SPEC 2): the incoming table, or the outgoing one for mail received
// under RELAY. The first part keeps the MID; every other part is a new
// message with a MID of its own, logged as AsyncOS logs a split. Each
// part's policy is logged with "matched all recipients". It returns the
// parts and the policy each matched (mailpolicy.Part.Rule).
func (s *session) split(cfg *store.Config, m *queue.Message, relay bool) ([]*queue.Message, []*store.MailPolicy) {
	split := mailpolicy.Split(mailpolicy.Policies(cfg, relay), m)
	table := mailpolicy.Table(relay)
	parts := make([]*queue.Message, len(split))
	rules := make([]*store.MailPolicy, len(split))
	for i, p := range split {
		mid := m.MID
		if i > 0 {
			mid = s.s.d.Queue.NextMID()
			s.log().Info("%s", mailpolicy.LogSplit(m.MID, mid, p.Policy, table))
		}
		parts[i], rules[i] = p.Message(m, mid), p.Rule
	}
	for _, pm := range parts {
		s.log().Info("%s", mailpolicy.LogMatched(pm.MID, pm.Policy, table))
	}
	return parts, rules
}

// enqueue makes every part, with its journal copies, durable before the
// 250 (SPEC 5) and returns each part's error. Parts are queued
// concurrently, so that they share one fsync.
func (s *session) enqueue(parts []*queue.Message, copies [][]queue.Derived, body []byte) []error {
	q := s.s.d.Queue
	errs := make([]error, len(parts))
	if len(parts) == 1 {
		errs[0] = q.EnqueueWith(parts[0], body, copies[0]...)
		return errs
	}
	var wg sync.WaitGroup
	for i, pm := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := q.EnqueueWith(pm, body, copies[i]...); err != nil {
				errs[i] = fmt.Errorf("MID %d: %w", pm.MID, err)
			}
		}()
	}
	wg.Wait()
	return errs
}

// Reset ends the transaction; one that did not reach the queue is logged
// as aborted, as AsyncOS does.
func (s *session) Reset() {
	if s.mid != 0 {
		s.log().Info("Message aborted MID %d Receiving aborted", s.mid)
	}
	s.mid, s.from, s.rcpts, s.auth = 0, "", nil, txAuth{}
}
