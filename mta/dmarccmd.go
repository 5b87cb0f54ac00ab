package mta

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"
)

// dmarcReportTimeout bounds dmarcconfig report: the external destination
// checks ask the DNS.
const dmarcReportTimeout = time.Minute

// DMARCReport sends the DMARC aggregate reports of the records collected
// so far, now (dmarcconfig report), as the daily run would.
func (m *MTA) DMARCReport(out io.Writer) error {
	ctx, cancel := context.WithTimeout(context.Background(), dmarcReportTimeout)
	defer cancel()
	sum, err := m.dmarc.Send(ctx)
	for _, r := range sum.Reports {
		fmt.Fprintf(out, "Aggregate report for %s queued as MID %d to %s (%d messages in %d records, Report-ID %s).\n",
			r.PolicyDomain, r.MID, strings.Join(r.To, ", "), r.Messages, r.Records, r.ReportID)
	}
	if err == nil && len(sum.Reports) == 0 {
		fmt.Fprintln(out, "No aggregate report was queued: there are no DMARC records to report, or no rua address to send them to (see mail_logs).")
	}
	m.o.Log.Info("DMARC aggregate reports requested by administrator: %d reports queued", len(sum.Reports))
	return err
}
