package mailtest

import (
	"fmt"
	"regexp"
	"sync"
	"testing"
	"time"

	"seg/internal/segtest"
)

// TestConnectionReuse: mail streaming in one message at a time to one
// destination shares outbound connections (each carries up to
// max_messages_per_connection, 50) instead of opening one per message,
// and the idle connections close soon after the stream stops.
func TestConnectionReuse(t *testing.T) {
	const total, clients = 200, 4
	sink := segtest.NewSink(t, segtest.SinkOptions{})
	a := segtest.New(t, "smtproutes new example.test "+sink.Addr())
	a.Start()
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl, err := segtest.Client{}.Dial(a.SMTPAddr())
			if err != nil {
				t.Error(err)
				return
			}
			defer cl.Close()
			for i := c; i < total; i += clients {
				rcpt := fmt.Sprintf("user%d@example.test", i)
				if _, err := segtest.Transact(cl, "sender@client.test", []string{rcpt}, plainMessage(rcpt, "reuse", rcpt+".id@client.test")); err != nil {
					t.Error(err)
					return
				}
			}
			cl.Quit()
		}()
	}
	wg.Wait()
	sink.WaitCount(t, total, 30*time.Second)
	if n := sink.Conns(); n > total/4 {
		t.Errorf("%d messages took %d connections, want at most %d: connections are not reused", total, n, total/4)
	}
	if !segtest.Poll(10*time.Second, func() bool {
		return regexp.MustCompile(`(?m)^ +Current Outbound Conn\. +0$`).MatchString(a.MustCli("status"))
	}) {
		t.Errorf("outbound connections stay open after the stream stopped:\n%s", a.MustCli("status"))
	}
	t.Logf("%d messages, %d connections, at most %d at once", total, sink.Conns(), sink.MaxConns())
	a.Stop()
}
