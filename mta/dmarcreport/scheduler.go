package dmarcreport

import (
	"context"
	"time"

	"seg/store"
)

// The daily run: one goroutine wakes at the next report time (UTC,
// dmarcconfig setup --report-time), at least once a minute so that a
// jump of the wall clock or a new report time is seen, and at Kick.
// The time of the last run is kept on disk, so that a restart neither
// sends twice in a day nor skips a day: a run missed while seg was down
// happens when it starts.

// maxWait bounds the timer (as delivery's scheduler does).
const maxWait = time.Minute

// nextRun is the first report time of day h:m (UTC) after last.
func nextRun(last time.Time, h, m int) time.Time {
	last = last.UTC()
	t := time.Date(last.Year(), last.Month(), last.Day(), h, m, 0, 0, time.UTC)
	if !t.After(last) {
		t = t.AddDate(0, 0, 1)
	}
	return t
}

// reportClock is the configured report time as hours and minutes.
func reportClock(cfg *store.Config) (h, m int) {
	h, m, err := store.ParseReportTime(cfg.DMARC.ReportTimeOrDefault())
	if err != nil {
		return 0, 0 // validated in store; never here
	}
	return h, m
}

// Start runs the daily reports until Close.
func (c *Collector) Start() {
	c.start.Do(func() { go c.run() })
}

// Kick makes the scheduler look at the clock and the configuration now
// (after a commit; tests after moving a fake clock).
func (c *Collector) Kick() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

func (c *Collector) run() {
	defer close(c.done)
	st, err := c.loadState()
	if err != nil {
		c.d.Log.Warning("DMARC: could not read the aggregate report state: %v", err)
	}
	if st.LastRun.IsZero() {
		// First start: the first report goes out at the next report
		// time, with what came in until then.
		st.LastRun = c.d.Now()
		if err := c.saveState(st); err != nil {
			c.d.Log.Warning("DMARC: could not save the aggregate report state: %v", err)
		}
	}
	timer := time.NewTimer(maxWait)
	defer timer.Stop()
	for {
		now := c.d.Now()
		h, m := reportClock(c.d.Config())
		next := nextRun(st.LastRun, h, m)
		if !now.Before(next) {
			c.daily(now)
			st.LastRun = now
			if err := c.saveState(st); err != nil {
				c.d.Log.Warning("DMARC: could not save the aggregate report state: %v", err)
			}
			continue
		}
		wait := min(next.Sub(now), maxWait)
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(wait)
		select {
		case <-c.kick:
		case <-timer.C:
		case <-c.quit:
			return
		}
	}
}

// daily is the scheduled run; what it could not do is logged, and what
// it could not send stays for the next run.
func (c *Collector) daily(now time.Time) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-c.quit:
			cancel()
		case <-ctx.Done():
		}
	}()
	sum, err := c.Send(ctx)
	if err != nil {
		c.d.Log.Warning("DMARC: daily aggregate reports: %v", err)
	}
	c.d.Log.Info("DMARC: daily aggregate reports run at %s: %d reports queued", now.UTC().Format("15:04"), len(sum.Reports))
}
