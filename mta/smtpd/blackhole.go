package smtpd

// blackhole ends the transaction of a Blackhole listener
// (store.ListenerBlackhole, AsyncOS's listener for testing senders and
// the network): the message passed the HAT, the RAT and the DATA-time
// checks like any other, is logged up to "ready", and is then discarded
// with "Message aborted MID n Blackhole Listener" instead of being
// queued. The client gets the reply a queued message gets: what is
// tested is the sender, which must see what a real listener says;
// mail_logs say what became of the message.
func (s *session) blackhole(data []byte) error {
	mid := s.mid
	s.logReady(mid, data, len(data))
	s.log().Info("Message aborted MID %d Blackhole Listener", mid)
	s.count(1)
	return s.accepted(mid)
}
