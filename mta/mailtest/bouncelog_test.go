package mailtest

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"seg/internal/segtest"
)

// TestBounceLog: the bounces subscription of the embedded default gets
// one line per bounced or delayed recipient in AsyncOS's bounce log form
// (MID:RID, the envelope, the reason and the remote reply), and nothing
// for a recipient delivered at once.
func TestBounceLog(t *testing.T) {
	sink := segtest.NewSink(t, segtest.SinkOptions{Reply: func(a segtest.Attempt) error {
		switch {
		case a.Cmd == "RCPT" && a.Rcpt == "hard@bl.test":
			return segtest.Reply(550, "5.1.1 User unknown")
		case a.Cmd == "RCPT" && a.Rcpt == "soft@bl.test" && a.N == 1:
			return segtest.Reply(451, "4.3.0 Try again later")
		}
		return nil
	}})
	a := segtest.New(t,
		"smtproutes new bl.test "+sink.Addr(),
		"bounceconfig edit Default --initial_retry=1 --send_bounces=no",
	)
	a.Start()
	rcpts := []string{"ok@bl.test", "hard@bl.test", "soft@bl.test"}
	mid, err := segtest.Client{}.Send(a.SMTPAddr(), "sender@client.test", rcpts, plainMessage("ok@bl.test", "bl", "bl@client.test"))
	if err != nil {
		t.Fatal(err)
	}
	a.WaitLog(t, fmt.Sprintf("Message finished MID %d done", mid), 20*time.Second)
	a.MustCli("rollovernow bounces") // flushes and closes the file: all of it on disk
	files, _ := filepath.Glob(filepath.Join(a.Dir, "logs", "bounces.@*.s"))
	if len(files) != 1 {
		t.Fatalf("bounces saved files: %v", files)
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, "Bounced: ") || strings.Contains(l, "Delayed: ") {
			lines = append(lines, l)
		}
	}
	stamp := `[A-Z][a-z]{2} [A-Z][a-z]{2} [ 1-3]\d \d\d:\d\d:\d\d \d{4} Info: `
	want := []string{
		fmt.Sprintf(`Bounced: %d:1 From:<sender@client\.test> To:<hard@bl\.test> Reason: "5\.1\.1 - [^"]+" Response: "\('550', \['5\.1\.1 User unknown'\]\)"`, mid),
		fmt.Sprintf(`Delayed: %d:2 From:<sender@client\.test> To:<soft@bl\.test> Reason: "4\.3\.0 - [^"]+" Response: "\('451', \['4\.3\.0 Try again later'\]\)"`, mid),
	}
	if len(lines) != len(want) {
		t.Fatalf("bounce log lines:\n%s", strings.Join(lines, "\n"))
	}
	for i, w := range want {
		if !regexp.MustCompile("^" + stamp + w + "$").MatchString(lines[i]) {
			t.Errorf("line %d:\n%s\nwant:\n%s", i, lines[i], w)
		}
	}
	a.Stop()
}
