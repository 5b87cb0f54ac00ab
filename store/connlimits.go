package store

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// ConnLimits are a listener's connection limits: how long a client may
// hold one of its connection slots, and which slots only trusted clients
// may take. They are what keeps a full listener open to the hosts that
// matter when others hold every slot (docs/connection-limits.md).
// Durations are in seconds.
type ConnLimits struct {
	// IdleTimeout: how long seg waits for one command line, or for more
	// message data, before it answers 421 4.4.2 and hangs up. RFC 5321
	// section 4.5.3.2.7 asks for at least 5 minutes (the default).
	IdleTimeout int `json:"idle_timeout"`
	// MaxConnectionTime: AsyncOS's "Total Time Limit for All Inbound
	// Connections". A session past 80% of it is refused its next MAIL;
	// at 100% it is cut wherever it is.
	MaxConnectionTime int `json:"max_connection_time"`
	// DataTimeout: how long the DATA phase of one message may last,
	// from the 354 to the final dot.
	DataTimeout int `json:"data_timeout"`
	// MinDataRate, in bytes per second: message data must arrive at
	// least this fast, averaged over each DataRateInterval of the DATA
	// phase; 0 turns the check off.
	MinDataRate      int `json:"min_data_rate"`
	DataRateInterval int `json:"data_rate_interval"`
	// PressureIdle: while the listener is more than 80% full, a
	// connection that has sent no command and no message data for this
	// long is dropped (421 4.7.0), the longest idle first, when a new
	// client arrives; 0: never.
	PressureIdle int `json:"pressure_idle"`
	// ReservedPercent of max_concurrency (at least one slot, and never
	// all of them) is kept for clients whose HAT policy is RELAY
	// (RELAYLIST); 0: no reserve.
	ReservedPercent int `json:"reserved_percent"`
}

// ConnLimitSpec describes one ConnLimits field for the shell (option
// name, prompt, range) and for validation.
type ConnLimitSpec struct {
	Name     string // option and JSON name
	Min, Max int
	Default  int
	Unit     string // "seconds", "bytes per second", "percent"
	Help     string // a noun phrase ("Enter the HELP"); says what 0 does where 0 is allowed
	Field    func(*ConnLimits) *int
}

// ConnLimitSpecs lists the connection limits in the order the shell
// shows them.
var ConnLimitSpecs = []ConnLimitSpec{
	{Name: "idle_timeout", Min: 1, Max: 3600, Default: 300, Unit: "seconds",
		Help:  "time allowed for each command line and each piece of message data",
		Field: func(c *ConnLimits) *int { return &c.IdleTimeout }},
	{Name: "max_connection_time", Min: 1, Max: 86400, Default: 900, Unit: "seconds",
		Help:  "total time a connection may last (no new message starts after 80% of it)",
		Field: func(c *ConnLimits) *int { return &c.MaxConnectionTime }},
	{Name: "data_timeout", Min: 1, Max: 86400, Default: 600, Unit: "seconds",
		Help:  "time allowed for the DATA phase of one message",
		Field: func(c *ConnLimits) *int { return &c.DataTimeout }},
	{Name: "min_data_rate", Min: 0, Max: 1 << 20, Default: 1, Unit: "bytes per second",
		Help:  "lowest average rate of message data over each data_rate_interval (0: no minimum)",
		Field: func(c *ConnLimits) *int { return &c.MinDataRate }},
	{Name: "data_rate_interval", Min: 1, Max: 3600, Default: 60, Unit: "seconds",
		Help:  "interval over which min_data_rate is measured",
		Field: func(c *ConnLimits) *int { return &c.DataRateInterval }},
	{Name: "pressure_idle", Min: 0, Max: 3600, Default: 30, Unit: "seconds",
		Help:  "idle time after which a connection is dropped while the listener is over 80% full (0: never)",
		Field: func(c *ConnLimits) *int { return &c.PressureIdle }},
	{Name: "reserved_percent", Min: 0, Max: 50, Default: 10, Unit: "percent",
		Help:  "share of max_concurrency kept for RELAY clients such as RELAYLIST (0: none)",
		Field: func(c *ConnLimits) *int { return &c.ReservedPercent }},
}

// DefaultConnLimits returns every limit at its default.
func DefaultConnLimits() ConnLimits {
	var c ConnLimits
	for _, s := range ConnLimitSpecs {
		*s.Field(&c) = s.Default
	}
	return c
}

// OrDefaults replaces each limit out of its range (a configuration that
// was never validated, such as a zero value) by its default, so that no
// such value can make every connection time out at once.
func (c ConnLimits) OrDefaults() ConnLimits {
	for _, s := range ConnLimitSpecs {
		if v := s.Field(&c); *v < s.Min || *v > s.Max {
			*v = s.Default
		}
	}
	return c
}

// ConnLimitSpecNamed returns the spec of an option name, or nil.
func ConnLimitSpecNamed(name string) *ConnLimitSpec {
	for i := range ConnLimitSpecs {
		if ConnLimitSpecs[i].Name == name {
			return &ConnLimitSpecs[i]
		}
	}
	return nil
}

// Parse reads a value for the spec: a plain number, or for seconds also
// 30s, 5m, 1h. The error says what is accepted.
func (s *ConnLimitSpec) Parse(v string) (int, error) {
	var n int64
	var err error
	if s.Unit == "seconds" {
		n, err = ParseDuration(v)
	} else {
		n, err = strconv.ParseInt(v, 10, 64)
	}
	if err != nil || n < int64(s.Min) || n > int64(s.Max) {
		return 0, fmt.Errorf("invalid %s %q: enter a number of %s from %d to %d", s.Name, v, s.Unit, s.Min, s.Max)
	}
	return int(n), nil
}

// Reserved is how many of max slots are kept for trusted clients:
// ReservedPercent of them, at least one when the percentage is not 0,
// and never every slot.
func (c ConnLimits) Reserved(max int) int {
	if c.ReservedPercent <= 0 || max <= 1 {
		return 0
	}
	n := max * c.ReservedPercent / 100
	if n < 1 {
		n = 1
	}
	if n > max-1 {
		n = max - 1
	}
	return n
}

// UnmarshalJSON gives the connection limits a configuration saved before
// they existed their defaults: a key that is absent keeps its default, a
// key that is present (0 included) is taken as it is.
func (l *Listener) UnmarshalJSON(b []byte) error {
	type plain Listener // no methods: no recursion
	p := plain{ConnLimits: DefaultConnLimits()}
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*l = Listener(p)
	return nil
}

func validateConnLimits(p *problems, obj string, c *ConnLimits) {
	for _, s := range ConnLimitSpecs {
		if v := *s.Field(c); v < s.Min || v > s.Max {
			p.add("%s: %s %d must be from %d to %d", obj, s.Name, v, s.Min, s.Max)
		}
	}
}
