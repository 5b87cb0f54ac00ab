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
	IdleTimeout int `json:"idle_timeout" param:"idle_timeout"`
	// MaxConnectionTime: AsyncOS's "Total Time Limit for All Inbound
	// Connections". A session past 80% of it is refused its next MAIL;
	// at 100% it is cut wherever it is.
	MaxConnectionTime int `json:"max_connection_time" param:"max_connection_time"`
	// DataTimeout: how long the DATA phase of one message may last,
	// from the 354 to the final dot.
	DataTimeout int `json:"data_timeout" param:"data_timeout"`
	// MinDataRate, in bytes per second: message data must arrive at
	// least this fast, averaged over each DataRateInterval of the DATA
	// phase; 0 turns the check off.
	MinDataRate      int `json:"min_data_rate" param:"min_data_rate"`
	DataRateInterval int `json:"data_rate_interval" param:"data_rate_interval"`
	// PressureIdle: while the listener is more than 80% full, a
	// connection that has sent no command and no message data for this
	// long is dropped (421 4.7.0), the longest idle first, when a new
	// client arrives; 0: never.
	PressureIdle int `json:"pressure_idle" param:"pressure_idle"`
	// ReservedPercent of max_concurrency (at least one slot, and never
	// all of them) is kept for clients whose HAT policy is RELAY
	// (RELAYLIST); 0: no reserve.
	ReservedPercent int `json:"reserved_percent" param:"reserved_percent"`
}

// ConnLimitParams describes the ConnLimits fields for the shell (option
// name, prompt, range, in the order the shell shows them) and for
// validation. They are stored as the typed struct, not as Params; the
// spec type is the one every parameter table uses. Help is a noun
// phrase ("Enter the HELP") that says what 0 does where 0 is allowed.
var ConnLimitParams = newTable("connection limit", []ParamSpec{
	{Name: "idle_timeout", Kind: KindDuration, Min: 1, Max: 3600, Default: "300", Unit: "seconds",
		Help: "time allowed for each command line and each piece of message data"},
	{Name: "max_connection_time", Kind: KindDuration, Min: 1, Max: 86400, Default: "900", Unit: "seconds",
		Help: "total time a connection may last (no new message starts after 80% of it)"},
	{Name: "data_timeout", Kind: KindDuration, Min: 1, Max: 86400, Default: "600", Unit: "seconds",
		Help: "time allowed for the DATA phase of one message"},
	{Name: "min_data_rate", Kind: KindInt, Min: 0, Max: 1 << 20, Default: "1", Unit: "bytes per second",
		Help: "lowest average rate of message data over each data_rate_interval (0: no minimum)"},
	{Name: "data_rate_interval", Kind: KindDuration, Min: 1, Max: 3600, Default: "60", Unit: "seconds",
		Help: "interval over which min_data_rate is measured"},
	{Name: "pressure_idle", Kind: KindDuration, Min: 0, Max: 3600, Default: "30", Unit: "seconds",
		Help: "idle time after which a connection is dropped while the listener is over 80% full (0: never)"},
	{Name: "reserved_percent", Kind: KindInt, Min: 0, Max: 50, Default: "10", Unit: "percent",
		Help: "share of max_concurrency kept for RELAY clients such as RELAYLIST (0: none)"},
})

var (
	connLimitFields   = mapFields(&ConnLimits{}, ConnLimitParams)
	defaultConnLimits = decodeConnLimits(ConnLimitParams.DefaultParams())
)

func decodeConnLimits(p Params) ConnLimits {
	var c ConnLimits
	connLimitFields.decode(&c, p)
	return c
}

// DefaultConnLimits returns every limit at its default.
func DefaultConnLimits() ConnLimits { return defaultConnLimits }

// Field returns the limit that the option name sets, or nil.
func (c *ConnLimits) Field(name string) *int {
	if f := connLimitFields.field(c, name); f.IsValid() {
		return f.Addr().Interface().(*int)
	}
	return nil
}

// OrDefaults replaces each limit out of its range (a configuration that
// was never validated, such as a zero value) by its default, so that no
// such value can make every connection time out at once.
func (c ConnLimits) OrDefaults() ConnLimits {
	def := defaultConnLimits
	for _, s := range ConnLimitParams.Specs {
		if v := c.Field(s.Name); int64(*v) < s.Min || int64(*v) > s.Max {
			*v = *def.Field(s.Name)
		}
	}
	return c
}

// Parse reads a number for a parameter held in a typed int field (the
// connection limits): a plain number, or for durations also 30s, 5m, 1h.
// The error names the parameter and says what is accepted.
func (s *ParamSpec) Parse(v string) (int, error) {
	var n int64
	var err error
	if s.Kind == KindDuration {
		n, err = ParseDuration(v)
	} else {
		n, err = strconv.ParseInt(v, 10, 64)
	}
	if err != nil || n < s.Min || n > s.Max {
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
	migrateSenderExceptionsParam(&l.HAT)
	return nil
}

func validateConnLimits(p *problems, obj string, c *ConnLimits) {
	for _, s := range ConnLimitParams.Specs {
		if v := int64(*c.Field(s.Name)); v < s.Min || v > s.Max {
			p.add("%s: %s %d must be from %d to %d", obj, s.Name, v, s.Min, s.Max)
		}
	}
}
