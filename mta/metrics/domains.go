package metrics

import (
	"sort"
	"time"

	"seg/mta/counters"
)

// The domain label (SPEC 13): the top MaxDomains destinations by traffic
// get a label of their own, every other destination is summed under
// Other, so that a gateway sending to a million domains still exposes
// at most MaxDomains+1 series per metric.
//
// Traffic is a destination's delivered, hard-bounced and soft-bounced
// recipients since start plus its active recipients now (a destination
// that is down with a large queue is one an operator wants to see).
//
// When the set changes: a destination with traffic takes a free label at
// the next scrape while fewer than MaxDomains are tracked; once they are
// all taken, the set is ranked again at a scrape at most once per
// Rerank, and a tracked destination gives its label up only to one with
// more traffic (ties: the name first in order keeps or takes it). Since
// traffic counts from start, the ranking of established destinations
// moves slowly and labels rarely change hands.
//
// Every series stays a valid Prometheus counter across those changes: a
// tracked domain reports its own total since start (a new series' first
// value is not read as an increase by rate()), and Other accumulates,
// scrape by scrape, what each destination added while it had no label of
// its own; so Other neither drops when a destination leaves it nor jumps
// when one joins it. sum(rate(...)) over the domain label is therefore
// the rate over all destinations (to the scrape); sum() of the raw
// values is not the total.

// MaxDomains is the number of destinations with a label of their own.
const MaxDomains = 100

// Other is the label of every destination outside the top MaxDomains.
const Other = "other"

// Rerank is how often a full tracked set is ranked again.
const Rerank = 5 * time.Minute

// hostCounts are the counter values of one destination (or of Other).
type hostCounts struct {
	delivered, hard, soft int64
}

func countsOf(h *counters.Host) hostCounts {
	return hostCounts{h.Total.Delivered, h.Total.HardBounced, h.Total.SoftBounced}
}

func (a hostCounts) plus(b hostCounts) hostCounts {
	return hostCounts{a.delivered + b.delivered, a.hard + b.hard, a.soft + b.soft}
}

func (a hostCounts) minus(b hostCounts) hostCounts {
	return hostCounts{a.delivered - b.delivered, a.hard - b.hard, a.soft - b.soft}
}

// domainSet is the labelled destinations and Other's counters. Not
// safe for concurrent use: the Collector holds its lock.
type domainSet struct {
	max      int
	tracked  map[string]bool
	last     map[string]hostCounts // each destination's totals at the last scrape
	other    hostCounts
	lastRank time.Time
}

func newDomainSet(max int) *domainSet {
	return &domainSet{max: max, tracked: map[string]bool{}, last: map[string]hostCounts{}}
}

func traffic(h *counters.Host) int64 {
	return h.Total.Delivered + h.Total.HardBounced + h.Total.SoftBounced + h.Active()
}

// update brings the set up to date with hosts (the counters' snapshot)
// at now.
func (s *domainSet) update(hosts []counters.Host, now time.Time) {
	defer s.account(hosts)
	byName := make(map[string]*counters.Host, len(hosts))
	var ranked []*counters.Host
	for i := range hosts {
		h := &hosts[i]
		byName[h.Name] = h
		if prev, seen := s.last[h.Name]; seen && !s.tracked[h.Name] {
			// What it added since the last scrape, while in Other.
			s.other = s.other.plus(countsOf(h).minus(prev))
		}
		if h.Name != Other && traffic(h) > 0 {
			ranked = append(ranked, h)
		}
	}
	sort.Slice(ranked, func(i, j int) bool {
		ti, tj := traffic(ranked[i]), traffic(ranked[j])
		if ti != tj {
			return ti > tj
		}
		return ranked[i].Name < ranked[j].Name
	})
	// Free labels go to the busiest untracked destinations.
	for _, h := range ranked {
		if len(s.tracked) >= s.max {
			break
		}
		if !s.tracked[h.Name] {
			s.promote(h)
		}
	}
	if len(s.tracked) < s.max || now.Sub(s.lastRank) < Rerank {
		return
	}
	s.lastRank = now
	top := ranked
	if len(top) > s.max {
		top = top[:s.max]
	}
	want := make(map[string]bool, len(top))
	for _, h := range top {
		want[h.Name] = true
	}
	// Tracked destinations outside the top, weakest first, give way to
	// the untracked ones inside it.
	var out []*counters.Host
	for name := range s.tracked {
		if h := byName[name]; h != nil && !want[name] {
			out = append(out, h)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		ti, tj := traffic(out[i]), traffic(out[j])
		if ti != tj {
			return ti < tj
		}
		return out[i].Name > out[j].Name
	})
	for _, h := range top {
		if s.tracked[h.Name] || len(out) == 0 {
			continue
		}
		s.demote(out[0])
		out = out[1:]
		s.promote(h)
	}
}

func (s *domainSet) promote(h *counters.Host) { s.tracked[h.Name] = true }

func (s *domainSet) demote(h *counters.Host) { delete(s.tracked, h.Name) }

// account notes every destination's totals after update: a destination
// first seen and left in Other adds what it has so far.
func (s *domainSet) account(hosts []counters.Host) {
	for i := range hosts {
		h := &hosts[i]
		if _, seen := s.last[h.Name]; !seen && !s.tracked[h.Name] {
			s.other = s.other.plus(countsOf(h))
		}
		s.last[h.Name] = countsOf(h)
	}
}

// otherNow is Other's counters, and the gauges of the untracked
// destinations summed.
func (s *domainSet) otherNow(hosts []counters.Host) (c hostCounts, active, connOut int64) {
	for i := range hosts {
		h := &hosts[i]
		if s.tracked[h.Name] {
			continue
		}
		active += h.Active()
		connOut += h.ConnOut
	}
	return s.other, active, connOut
}
