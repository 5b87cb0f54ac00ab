package mta

import (
	"time"

	"seg/mta/metrics"
	"seg/mta/tdc"
)

// Metrics returns the Prometheus collector over the mail system's
// counters and the running configuration's revision (SPEC 13); cmd/seg
// serves it on the metricsconfig address.
func (m *MTA) Metrics() *metrics.Collector {
	return metrics.New(metrics.Deps{
		Counters: m.counters.Snapshot,
		Listeners: func() []string {
			cfg := m.config()
			names := make([]string, len(cfg.Listeners))
			for i, l := range cfg.Listeners {
				names[i] = l.Name
			}
			return names
		},
		Revision: func() (int, time.Time, bool) {
			snap, err := m.o.Store.Current()
			if err != nil {
				return 0, time.Time{}, false
			}
			return snap.Revision.Number, snap.Revision.Time, true
		},
		TDCHost: tdc.Host,
	})
}
