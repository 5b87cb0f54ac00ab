package delivery

import (
	"seg/mta/queue"
)

// bounceLog writes one bounce log line (logconfig type bounces) for a
// recipient that bounced or was delayed, in AsyncOS's form (Daily
// Management Guide 7.3, bounce log examples):
//
//	Bounced: 45346670:0 From:<a@example.com> To:<b@example.net> Reason: "5.1.0 - Unknown address error" Response: "('550', ['There is no such active account.'])"
//	Delayed: 44451135:0 From:<a@x> To:<b@y> Reason: "4.1.0 - Unknown address error" Response: "('451', ['...'])"
//
// MID:RID, the envelope, the enhanced status and its wording, and the
// remote reply as mail_logs' Bounced line quotes it.
func (x *Delivery) bounceLog(what string, m *queue.Message, rc queue.Recipient, f *Failure) {
	if x.d.BounceLog == nil {
		return
	}
	x.d.BounceLog.Info("%s: %d:%d From:<%s> To:<%s> Reason: \"%s\" Response: \"%s\"", what, m.MID, rc.RID, m.From, rc.Addr, f.reason(), f.logTuple())
}
