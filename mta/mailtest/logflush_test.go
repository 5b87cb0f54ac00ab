package mailtest

import (
	"fmt"
	"testing"
	"time"

	"seg/internal/segtest"
)

// TestLogSurvivesKill: mail_logs reaches the file before the 250 that
// accepts a message and as soon as a delivery's result is in (issue 13):
// a SIGKILL right after either loses none of the message's lines.
// Before, they stayed up to 500 ms in the buffer.
func TestLogSurvivesKill(t *testing.T) {
	sink := segtest.NewSink(t, segtest.SinkOptions{})
	a := segtest.New(t, "smtproutes new example.test "+sink.Addr())
	a.Start()
	send := func(subject string) int64 {
		t.Helper()
		mid, err := segtest.Client{}.Send(a.SMTPAddr(), "sender@client.test", []string{"r@example.test"}, plainMessage("r@example.test", subject, subject+"@client.test"))
		if err != nil {
			t.Fatal(err)
		}
		return mid
	}

	// Killed the moment the work queue says the delivery is done (the
	// scheduler has the result).
	mid := send("delivered")
	sink.WaitCount(t, 1, 20*time.Second)
	emptyWorkQueue(t, a)
	a.Kill()
	if a.CountLog("Info: Message done DCID ", fmt.Sprintf(" MID %d to RID [0]", mid)) != 1 {
		t.Errorf("the Message done line of MID %d was lost", mid)
	}
	segtest.MustLog(t, a.LogLines(), fmt.Sprintf("Info: Message finished MID %d done", mid))

	// Killed the moment the client has its 250.
	a.Start()
	mid = send("accepted")
	a.Kill()
	segtest.MustLog(t, a.LogLines(), fmt.Sprintf("Info: MID %d queued for delivery", mid))
}
