package segtest

import (
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Metrics is a scrape of a Prometheus endpoint, parsed by the Prometheus
// text parser: each sample by its series, written as the exposition
// format writes it with the labels in name order, e.g.
// `seg_recipients_bounced_total{domain="example.com",kind="hard"}`.
// A summary gives NAME_sum and NAME_count. A histogram gives NAME_bucket{le="..."} (cumulative), NAME_sum and
// NAME_count; le is formatted as Go's strconv 'g' (0.1, 60, +Inf).
type Metrics map[string]float64

// ParseMetrics parses the Prometheus text format.
func ParseMetrics(r io.Reader) (Metrics, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		return nil, err
	}
	out := Metrics{}
	for name, f := range fams {
		for _, m := range f.GetMetric() {
			labels := m.GetLabel()
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				out[series(name, labels)] = m.GetCounter().GetValue()
			case dto.MetricType_GAUGE:
				out[series(name, labels)] = m.GetGauge().GetValue()
			case dto.MetricType_UNTYPED:
				out[series(name, labels)] = m.GetUntyped().GetValue()
			case dto.MetricType_HISTOGRAM:
				h := m.GetHistogram()
				for _, b := range h.GetBucket() {
					le := &dto.LabelPair{Name: ptr("le"), Value: ptr(strconv.FormatFloat(b.GetUpperBound(), 'g', -1, 64))}
					out[series(name+"_bucket", append(append([]*dto.LabelPair(nil), labels...), le))] = float64(b.GetCumulativeCount())
				}
				out[series(name+"_bucket", append(append([]*dto.LabelPair(nil), labels...), &dto.LabelPair{Name: ptr("le"), Value: ptr("+Inf")}))] = float64(h.GetSampleCount())
				out[series(name+"_sum", labels)] = h.GetSampleSum()
				out[series(name+"_count", labels)] = float64(h.GetSampleCount())
			case dto.MetricType_SUMMARY:
				// The Go runtime's (go_gc_duration_seconds): its sum and
				// count; quantiles are not compared.
				out[series(name+"_sum", labels)] = m.GetSummary().GetSampleSum()
				out[series(name+"_count", labels)] = float64(m.GetSummary().GetSampleCount())
			default:
				return nil, fmt.Errorf("metric %s: type %v not handled", name, f.GetType())
			}
		}
	}
	return out, nil
}

func ptr(s string) *string { return &s }

func series(name string, labels []*dto.LabelPair) string {
	if len(labels) == 0 {
		return name
	}
	ls := make([]string, 0, len(labels))
	for _, l := range labels {
		ls = append(ls, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
	}
	sort.Strings(ls)
	return name + "{" + strings.Join(ls, ",") + "}"
}

// With returns the series whose name starts with prefix.
func (m Metrics) With(prefix string) Metrics {
	out := Metrics{}
	for k, v := range m {
		if strings.HasPrefix(k, prefix) {
			out[k] = v
		}
	}
	return out
}

// ScrapeMetrics GETs http://addr/metrics and parses it; it fails the test
// on an error or a status other than 200.
func ScrapeMetrics(t testing.TB, addr string) Metrics {
	t.Helper()
	m, err := FetchMetrics(addr)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// FetchMetrics is ScrapeMetrics returning its error (for polling).
func FetchMetrics(addr string) (Metrics, error) {
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get("http://" + addr + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return nil, fmt.Errorf("GET /metrics on %s: %s: %s", addr, resp.Status, b)
	}
	m, err := ParseMetrics(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("parsing /metrics of %s: %w", addr, err)
	}
	return m, nil
}
