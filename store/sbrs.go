package store

import (
	"fmt"
	"math"
	"strings"
)

// SBRSConfig is how seg computes a sender's reputation score (SPEC 10):
// it has no SenderBase, so the score is the sum of the weights of the
// DNS lists (RFC 5782) that list the client's address, clamped to
// -10..10. No zones: every host scores None.
type SBRSConfig struct {
	Zones []SBRSZone `json:"zones,omitempty"`
}

// SBRSZone is one DNS list and the weight a listing adds to the score.
type SBRSZone struct {
	Zone   string  `json:"zone"` // lower case, no trailing dot
	Weight float64 `json:"weight"`
}

// SBRS score bounds (AsyncOS: -10.0 to 10.0).
const (
	SBRSMin = -10.0
	SBRSMax = 10.0
)

// String is the ZONE:WEIGHT form sbrsconfig takes.
func (z SBRSZone) String() string { return z.Zone + ":" + score(z.Weight) }

// ParseSBRSZones parses "ZONE:WEIGHT[,ZONE:WEIGHT...]" (blanks allowed
// around the commas): each zone a DNS name, each weight a decimal from
// -10.0 to 10.0, no zone twice.
func ParseSBRSZones(s string) ([]SBRSZone, error) {
	var out []SBRSZone
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		zone, w, ok := strings.Cut(f, ":")
		if !ok {
			return nil, fmt.Errorf("Invalid SBRS zone %s: write ZONE:WEIGHT, for example zen.example.org:-5.0", Excerpt(f))
		}
		weight, err := parseScore(w)
		if err != nil {
			return nil, fmt.Errorf("Invalid weight %s for zone %s: write a number from -10.0 to 10.0", Excerpt(w), Excerpt(zone))
		}
		out = append(out, SBRSZone{Zone: strings.TrimSuffix(strings.ToLower(strings.TrimSpace(zone)), "."), Weight: weight})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no SBRS zones given: write ZONE:WEIGHT[,ZONE:WEIGHT...]")
	}
	if err := (SBRSConfig{Zones: out}).check(); err != nil {
		return nil, err
	}
	return out, nil
}

// check is what Validate says of the SBRS zones.
func (c SBRSConfig) check() error {
	seen := map[string]bool{}
	for _, z := range c.Zones {
		if !validHostname(z.Zone) {
			return fmt.Errorf("SBRS zone %s: not a valid DNS name", Excerpt(z.Zone))
		}
		if seen[z.Zone] {
			return fmt.Errorf("SBRS zone %s is listed twice", Excerpt(z.Zone))
		}
		seen[z.Zone] = true
		if math.IsNaN(z.Weight) || z.Weight < SBRSMin || z.Weight > SBRSMax {
			return fmt.Errorf("SBRS zone %s: weight %v is not between -10.0 and 10.0", Excerpt(z.Zone), z.Weight)
		}
	}
	return nil
}

// SBRSScore clamps a sum of weights to -10..10 and rounds it to the one
// decimal the log line shows, so that a sender group's range and the
// logged score agree.
func SBRSScore(sum float64) float64 {
	s := math.Round(math.Max(SBRSMin, math.Min(SBRSMax, sum))*10) / 10
	if s == 0 {
		s = 0 // no -0
	}
	return s
}
