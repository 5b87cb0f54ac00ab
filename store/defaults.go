package store

// Predefined mail flow policies as AsyncOS ships them (SPEC 4.2).
func predefinedPolicies() []FlowPolicy {
	trusted := Params{
		"max_msgs_per_session": "5000",
		"max_concurrency":      "600",
		"max_rcpts_per_msg":    "5000",
		"max_rcpts_per_hour":   "-1",
		"max_message_size":     "104857600",
		"dhap_limit":           "0",
		"spam_check":           "off",
		"virus_check":          "on",
		"use_sb":               "off",
		"tls":                  "off",
	}
	return []FlowPolicy{
		{Name: "$ACCEPTED", Behavior: BehaviorAccept},
		{Name: "$THROTTLED", Behavior: BehaviorAccept, Params: Params{
			"max_msgs_per_session": "10",
			"max_concurrency":      "10",
			"max_rcpts_per_msg":    "25",
			"max_rcpts_per_hour":   "20",
			"max_message_size":     "1048576",
			"dhap_limit":           "0",
			"spam_check":           "on",
			"virus_check":          "on",
			"use_sb":               "on",
			"tls":                  "off",
		}},
		{Name: "$TRUSTED", Behavior: BehaviorAccept, Params: trusted},
		{Name: "$BLOCKED", Behavior: BehaviorReject},
		{Name: "$RELAYED", Behavior: BehaviorRelay, Params: trusted.Clone()},
	}
}

// NewPublicHAT is the HAT of a new public listener.
func NewPublicHAT() HAT {
	return HAT{
		Defaults: DefaultHATParams(),
		Policies: predefinedPolicies(),
		SenderGroups: []SenderGroup{
			{Name: "ALLOWED_LIST", Policy: "$TRUSTED", Comment: "My trusted senders have no anti-spam scanning or rate limiting"},
			{Name: "BLOCKED_LIST", Policy: "$BLOCKED", Comment: "Spammers are rejected"},
			{Name: "SUSPECTLIST", Policy: "$THROTTLED", Comment: "Suspicious senders are throttled"},
			{Name: "UNKNOWNLIST", Policy: "$ACCEPTED", Comment: "Reviewed but undecided, continue normal acceptance"},
			{Name: "ALL", Members: []string{"ALL"}, Policy: "$ACCEPTED"},
		},
	}
}

// NewPrivateHAT is the HAT of a new private listener: relay for the
// listed hosts, reject everyone else.
func NewPrivateHAT(relayHosts []string) HAT {
	return HAT{
		Defaults: DefaultPrivateHATParams(),
		Policies: predefinedPolicies(),
		SenderGroups: []SenderGroup{
			{Name: "RELAYLIST", Members: relayHosts, Policy: "$RELAYED", Comment: "Hosts allowed to relay mail through this listener"},
			{Name: "ALL", Members: []string{"ALL"}, Policy: "$BLOCKED"},
		},
	}
}

// DefaultRAT is a new public listener's RAT: nothing accepted until a
// domain is added, so no open relay by default.
func DefaultRAT() []RATEntry {
	return []RATEntry{{Entry: "ALL", Action: RATReject}}
}

// NewListener returns a listener of the given type with AsyncOS defaults.
func NewListener(name, typ, address string, port int) Listener {
	l := Listener{Name: name, Type: typ, Address: address, Port: port, MaxConcurrency: 300, ConnLimits: DefaultConnLimits()}
	if typ == ListenerPrivate {
		l.HAT = NewPrivateHAT(nil)
		l.MaxConcurrency = 600
	} else {
		l.HAT = NewPublicHAT()
		l.RAT = DefaultRAT()
	}
	if typ == ListenerBlackhole {
		l.RAT = BlackholeRAT()
	}
	return l
}

// DefaultHostname is used when --hostname is not given.
const DefaultHostname = "seg.localdomain"

// Default returns the embedded default configuration (SPEC 2): one
// public listener IncomingMail on 127.0.0.1:2525 with the single-listener
// HAT (RELAYLIST for 127.0.0.1 first), RAT ALL REJECT, destconfig DEFAULT,
// bounce profile Default, incoming policy DEFAULT with TDC off, TDC
// disabled, SSH on 127.0.0.1:2222, and the admin user with adminHash.
func Default(hostname, adminHash string) *Config {
	if hostname == "" {
		hostname = DefaultHostname
	}
	l := NewListener("IncomingMail", ListenerPublic, "127.0.0.1", 2525)
	l.HAT.SenderGroups = append([]SenderGroup{
		{Name: "RELAYLIST", Members: []string{"127.0.0.1"}, Policy: "$RELAYED", Comment: "Hosts allowed to relay mail through this listener"},
	}, l.HAT.SenderGroups...)
	return &Config{
		System: System{
			Hostname: hostname,
			DNS:      DNSConfig{UseSystem: true},
		},
		Interfaces:  DefaultInterfaces(),
		Listeners:   []Listener{l},
		DestDefault: DefaultDestParams(),
		Bounce:      []BounceProfile{{Name: "Default", Params: DefaultBounceParams()}},
		Incoming:    []MailPolicy{{Name: "DEFAULT", TDC: TDCOff}},
		Outgoing:    []MailPolicy{{Name: "DEFAULT"}},
		Users:       []User{{Name: "admin", FullName: "Administrator", Role: RoleAdmin, PasswordHash: adminHash}},
		SSH:         SSHConfig{Address: "127.0.0.1", Port: 2222},
		Logs:        DefaultLogSubscriptions(),
	}
}
