package shell

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"seg/internal/mailapi"
)

// hostrate: a recipient host's activity, one row every few seconds, with
// the changes since the row before (AsyncOS's layout). At a terminal it
// runs until Ctrl-C; batch and one-shot runs print a count of rows.

// hostrateDefault is the seconds between rows AsyncOS offers; batch runs
// print hostrateRows rows unless told.
const (
	hostrateDefault = 10
	hostrateRows    = 2
	hostrateMaxRows = 1000
)

const hostrateFormat = "%8s  %8s %10s %9s %7s %7s %10s %10s\n"

func hostrateCommand() *Command {
	return &Command{
		Name: "hostrate",
		Help: "Show a recipient host's delivery activity every few seconds (Ctrl-C stops).",
		Usage: []string{"hostrate DOMAIN [SECONDS [COUNT]]   (default every 10 s; COUNT rows then stop: " +
			"2 in batch and one-shot runs, until Ctrl-C at a terminal)"},
		Access: AccessGuest,
		Run: func(c *Ctx, args []string) error {
			var host string
			secs, count := hostrateDefault, 0
			var err error
			switch {
			case len(args) >= 1 && len(args) <= 3:
				if host, err = checkHost(args[0]); err != nil {
					return err
				}
				if len(args) >= 2 {
					if secs, err = boundedInt(args[1], "seconds", 1, 3600); err != nil {
						return err
					}
				}
				if len(args) == 3 {
					if count, err = boundedInt(args[2], "count", 1, hostrateMaxRows); err != nil {
						return err
					}
				}
			case len(args) > 3:
				return errors.New("Usage: hostrate DOMAIN [SECONDS [COUNT]]")
			case !c.S.Interactive:
				return errors.New("hostrate needs arguments here. Usage: hostrate DOMAIN [SECONDS [COUNT]]")
			}
			ms, err := c.Mail()
			if err != nil {
				return err
			}
			if host == "" {
				if host, err = c.AskRequired("Recipient host:", "", checkHost); err != nil {
					return err
				}
				n, err := c.AskInt("Enter the number of seconds between displays.", hostrateDefault, 1, 3600)
				if err != nil {
					return err
				}
				secs = int(n)
			}
			if count == 0 && !c.S.Interactive {
				count = hostrateRows
			}
			return runHostrate(c, ms, host, time.Duration(secs)*time.Second, count)
		},
	}
}

func boundedInt(s, what string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("Invalid %s %q: enter a number from %d to %d.", what, s, lo, hi)
	}
	return n, nil
}

// runHostrate prints count rows (0: until Ctrl-C or the end of input) one
// every. The first row's deltas are 0: there is no row before it.
func runHostrate(c *Ctx, ms MailSystem, host string, every time.Duration, count int) error {
	prev, err := ms.HostSample(host)
	if err != nil {
		return err
	}
	if count == 0 {
		c.Printf("\nType Ctrl-C to return to the main prompt.\n\n")
	}
	c.Printf(hostrateFormat, "Time", "Host", "CrtCncOut", "ActvRcp", "ActvRcp", "DlvRcp", "HrdBncRcp", "SftBncEvt")
	c.Printf(hostrateFormat, "", "Status", "", "", "Delta", "Delta", "Delta", "Delta")
	row := func(cur mailapi.HostSample) {
		d := func(a, b int64) string { return strconv.FormatInt(a-b, 10) }
		c.Printf(hostrateFormat, c.Now().In(c.S.loc()).Format("15:04:05"), cur.Status,
			strconv.FormatInt(cur.ConnOut, 10), strconv.FormatInt(cur.Active, 10),
			d(cur.Active, prev.Active), d(cur.Delivered, prev.Delivered),
			d(cur.HardBounced, prev.HardBounced), d(cur.SoftBounced, prev.SoftBounced))
		prev = cur
	}
	row(prev)
	if count == 1 {
		return nil
	}
	t := time.NewTicker(every)
	defer t.Stop()
	if count > 0 {
		for i := 1; i < count; i++ {
			<-t.C
			cur, err := ms.HostSample(host)
			if err != nil {
				return err
			}
			row(cur)
		}
		return nil
	}
	// Rows come from this goroutine while another waits for Ctrl-C (or
	// any line, or the end of input) at the terminal, as tail does.
	stop, done := make(chan struct{}), make(chan error, 1)
	go func() {
		for {
			select {
			case <-stop:
				done <- nil
				return
			case <-t.C:
				cur, err := ms.HostSample(host)
				if err != nil {
					done <- err
					return
				}
				row(cur)
			}
		}
	}()
	_, rerr := c.S.In.ReadLine("")
	close(stop)
	err = <-done
	if rerr != nil && !errors.Is(rerr, ErrInterrupt) {
		return rerr
	}
	return err
}
