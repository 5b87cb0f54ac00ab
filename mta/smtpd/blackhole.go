package smtpd

import (
	"strconv"

	"seg/mta/counters"
	"seg/mta/maillog"
)

// blackhole ends the transaction of a Blackhole listener
// (store.ListenerBlackhole, AsyncOS's listener for testing senders and
// the network): the message passed the HAT, the RAT and the DATA-time
// checks like any other, is logged up to "ready", and is then discarded
// with "Message aborted MID n Blackhole Listener" instead of being
// queued. The client gets the reply a queued message gets: what is
// tested is the sender, which must see what a real listener says;
// mail_logs say what became of the message.
func (s *session) blackhole(data []byte) error {
	in := s.info
	mid := s.mid
	msgID, subject, hasID, hasSubject := headerFields(data)
	if hasID {
		s.log().Info("MID %d Message-ID %s", mid, maillog.Repr(msgID))
	}
	if hasSubject {
		s.log().Info("MID %d Subject %s", mid, maillog.Repr(subject))
	}
	s.log().Info("MID %d ready %d bytes from <%s>", mid, len(data), logSafe(s.from))
	s.log().Info("Message aborted MID %d Blackhole Listener", mid)
	s.s.d.Counters.Add(counters.MessagesReceived, 1)
	s.s.d.Counters.Add(counters.RecipientsReceived, int64(len(s.rcpts)))
	in.msgs++
	s.mid, s.from, s.rcpts, s.auth = 0, "", nil, txAuth{}
	maillog.Flush(s.log())
	return smtpErr(250, enhancedCode{2, 0, 0}, "Ok: queued as "+strconv.FormatInt(mid, 10))
}
