// Package store holds seg's configuration tree (SPEC section 2) and the
// revisioned store it lives in. Both shell/ and mta/ depend on it; it
// depends on neither.
package store

import (
	"encoding/json"
	"time"
)

// Config is one whole configuration tree. A *Config handed out by a Store
// (Current, Get, Watch) is an immutable snapshot: readers must not modify
// it; editors work on Clone().
type Config struct {
	System System `json:"system"`
	// Interfaces are the IP interfaces' names (interfaceconfig,
	// interfaces.go); absent in configurations older than them.
	Interfaces []IPInterface `json:"interfaces,omitempty"`
	Listeners  []Listener    `json:"listeners"`
	// ListenerSetup is listenerconfig's global SETUP
	// (listenersetup.go); absent while never set.
	ListenerSetup ListenerSetup   `json:"listener_setup,omitzero"`
	DestDefault   Params          `json:"dest_default"` // destconfig DEFAULT: complete
	Destinations  []Destination   `json:"destinations"` // per-domain overrides, in order
	DestSetup     DestSetup       `json:"dest_setup"`
	Bounce        []BounceProfile `json:"bounce_profiles"` // "Default" first, always present
	Incoming      []MailPolicy    `json:"incoming_policies"`
	Outgoing      []MailPolicy    `json:"outgoing_policies"`
	TDC           TDC             `json:"tdc"`
	Users         []User          `json:"users"`
	SSH           SSHConfig       `json:"ssh"`
	Metrics       MetricsConfig   `json:"metrics"`
	Certificates  []Certificate   `json:"certificates,omitempty"`  // certconfig (certs.go)
	ClientCAs     []ClientCA      `json:"client_cas,omitempty"`    // certconfig import-ca
	AddressLists  []AddressList   `json:"address_lists,omitempty"` // addresslistconfig
	// BounceVerification is bvconfig (bvkeys.go); absent while never set.
	BounceVerification BounceVerification `json:"bounce_verification,omitzero"`
	// SenderExceptions is the sender verification exception table
	// (senderexceptions.go).
	SenderExceptions []SenderException `json:"sender_exceptions,omitempty"`
	// DMARC is dmarcconfig (dmarc.go); absent while never set.
	DMARC DMARC `json:"dmarc,omitzero"`
	// DomainKeys is the domainkeys command: DKIM signing keys and
	// profiles (domainkeys.go); absent while never set.
	DomainKeys DomainKeys `json:"domainkeys,omitzero"`
	// Logs is logconfig (logsubs.go); nil in a tree written before it
	// existed, which LogSubscriptions reads as the default ones.
	Logs []LogSubscription `json:"log_subscriptions,omitempty"`
	// AdminAccess is adminaccessconfig (adminaccess.go); absent while
	// never set.
	AdminAccess AdminAccess `json:"admin_access,omitzero"`

	// decoded is a snapshot's typed parameters (settings.go), set by the
	// store when it hands the snapshot out; never stored, and lost by
	// Clone.
	decoded *decodedParams
}

// System holds appliance-wide settings.
type System struct {
	Hostname        string      `json:"hostname"`
	DNS             DNSConfig   `json:"dns"`
	Routes          []SMTPRoute `json:"smtp_routes"`
	AlertRecipients []string    `json:"alert_recipients,omitempty"`
	SBRS            SBRSConfig  `json:"sbrs"` // sbrsconfig (sbrs.go)
}

// DNSConfig: resolvers as host:port, or the system resolver when UseSystem.
// DNSSECTrusted says the resolvers validate DNSSEC and their AD bit can be
// believed (DANE, RFC 7672 section 2.1.1): set it only for resolvers on a
// path no one can tamper with (loopback, or a trusted network).
type DNSConfig struct {
	UseSystem     bool     `json:"use_system"`
	Servers       []string `json:"servers,omitempty"`
	DNSSECTrusted bool     `json:"dnssec_trusted,omitempty"`
}

// SMTPRoute maps a domain to relay hosts ("host", "host:port", or "/dev/null").
type SMTPRoute struct {
	Domain string   `json:"domain"`
	Hosts  []string `json:"hosts"`
}

// Listener types.
const (
	ListenerPublic  = "public"
	ListenerPrivate = "private"
	// ListenerBlackhole is AsyncOS's Blackhole listener, for testing: its
	// HAT and RAT apply as a public listener's, and a message accepted
	// with 250 is then discarded, logged and never queued or delivered
	// (mta/smtpd).
	ListenerBlackhole = "blackhole"
)

// HasRAT reports whether the listener has a Recipient Access Table: the
// public and Blackhole ones; a private listener's HAT decides who may
// relay.
func (l *Listener) HasRAT() bool { return l.Type != ListenerPrivate }

// BlackholeRAT is a new Blackhole listener's RAT: ALL ACCEPT, as it
// delivers nothing, so accepting any recipient relays nothing.
func BlackholeRAT() []RATEntry {
	return []RATEntry{{Entry: "ALL", Action: RATAccept}}
}

// Listener is one SMTP listener with its HAT and RAT.
type Listener struct {
	Name           string     `json:"name"`
	Type           string     `json:"type"` // public | private
	Address        string     `json:"address"`
	Port           int        `json:"port"`
	Hostname       string     `json:"hostname,omitempty"` // empty: system hostname
	DefaultDomain  string     `json:"default_domain,omitempty"`
	MaxConcurrency int        `json:"max_concurrency"` // concurrent connections, whole listener
	ConnLimits                // timeouts, pressure eviction, reserved slots (flattened in JSON)
	Certificate    string     `json:"certificate,omitempty"` // certconfig name; "": Default
	CertFile       string     `json:"cert_file,omitempty"`
	KeyFile        string     `json:"key_file,omitempty"`
	HAT            HAT        `json:"hat"`
	RAT            []RATEntry `json:"rat,omitempty"` // public only; last entry is ALL
}

// HAT is a listener's Host Access Table.
type HAT struct {
	// Defaults is the listener's default policy parameters; it holds every
	// key of HATParams.
	Defaults Params `json:"defaults"`
	// Policies are the named mail flow policies ("$ACCEPTED", ...).
	Policies []FlowPolicy `json:"policies"`
	// SenderGroups in match order; the last one is named "ALL" and has
	// the single member "ALL".
	SenderGroups []SenderGroup `json:"sender_groups"`
}

// Connection behaviours (SPEC 4.1).
const (
	BehaviorAccept    = "ACCEPT"
	BehaviorRelay     = "RELAY"
	BehaviorReject    = "REJECT"
	BehaviorTCPRefuse = "TCPREFUSE"
	BehaviorContinue  = "CONTINUE"
)

// Behaviors lists the connection behaviours in menu order.
var Behaviors = []string{BehaviorAccept, BehaviorReject, BehaviorTCPRefuse, BehaviorRelay, BehaviorContinue}

// FlowPolicy is a named mail flow policy: a behaviour and the parameters it
// overrides (canonical values, see HATParams).
type FlowPolicy struct {
	Name     string `json:"name"` // with the leading '$'
	Behavior string `json:"behavior"`
	Params   Params `json:"params,omitempty"`
}

// SenderGroup is one HAT row: members matched against the client, and the
// policy applied on a match.
type SenderGroup struct {
	Name    string   `json:"name"`
	Members []string `json:"members,omitempty"`
	Policy  string   `json:"policy"` // "$NAME"
	Comment string   `json:"comment,omitempty"`
}

// RAT actions.
const (
	RATAccept = "ACCEPT"
	RATReject = "REJECT"
)

// RATEntry is one Recipient Access Table row.
type RATEntry struct {
	Entry                  string `json:"entry"` // user@domain, domain, .domain, user@, ALL
	Action                 string `json:"action"`
	Code                   int    `json:"code,omitempty"`
	Text                   string `json:"text,omitempty"`
	BypassReceivingControl bool   `json:"bypass_receiving_control,omitempty"`
}

// Destination is a destconfig entry: the parameters it sets for a domain;
// the rest come from DEFAULT.
type Destination struct {
	Domain string `json:"domain"`
	Params Params `json:"params"`
}

// DestSetup is destconfig's global SETUP.
type DestSetup struct {
	// Certificate is the certconfig certificate delivery presents when a
	// server asks for a client certificate; "": none.
	Certificate string `json:"certificate,omitempty"`
	// CertFile and KeyFile are the files older versions stored (and never
	// read); seg turns them into a certconfig certificate at start
	// (cmd/seg ensureCertificates).
	CertFile       string `json:"cert_file,omitempty"`
	KeyFile        string `json:"key_file,omitempty"`
	AlertOnTLSFail bool   `json:"alert_on_tls_fail"`
}

// BounceProfile is a bounce profile; a profile other than "Default" holds
// only what it overrides.
type BounceProfile struct {
	Name   string `json:"name"`
	Params Params `json:"params"`
}

// TDC modes of an incoming mail policy.
const (
	TDCOff     = "off"
	TDCDefault = "default"
	TDCCustom  = "custom"
)

// MailPolicy is one row of the incoming or outgoing mail policy table.
// Members use the forms "user@domain", "@domain", "@.domain", "user@".
type MailPolicy struct {
	Name       string   `json:"name"`
	Senders    []string `json:"senders,omitempty"`    // empty: any sender
	Recipients []string `json:"recipients,omitempty"` // empty only for DEFAULT
	TDC        string   `json:"tdc,omitempty"`        // off|default|custom|inherit (incoming only; tdcpolicy.go)
	TDCAddress string   `json:"tdc_address,omitempty"`
}

// TDC is the Threat Defense Connector global setting.
type TDC struct {
	Enabled       bool   `json:"enabled"`
	IntakeAddress string `json:"intake_address,omitempty"`
}

// User roles (SPEC 7).
const (
	RoleAdmin    = "admin"
	RoleOperator = "operator"
	RoleReadOnly = "readonly"
	RoleGuest    = "guest"
)

// Roles in decreasing privilege.
var Roles = []string{RoleAdmin, RoleOperator, RoleReadOnly, RoleGuest}

// User is an appliance account.
type User struct {
	Name         string   `json:"name"`
	FullName     string   `json:"full_name,omitempty"`
	Role         string   `json:"role"`
	PasswordHash string   `json:"password_hash,omitempty"` // bcrypt
	SSHKeys      []string `json:"ssh_keys,omitempty"`      // authorized_keys lines
	// SMTPAuth is the right to authenticate to the listeners with SMTP
	// AUTH (SPEC 10), whatever the role.
	SMTPAuth bool `json:"smtp_auth,omitempty"`
}

// SSHConfig is the admin SSH endpoint.
type SSHConfig struct {
	Address string `json:"address"`
	Port    int    `json:"port"`
}

// MetricsConfig: Prometheus endpoint address "ip:port"; empty is off.
type MetricsConfig struct {
	Address string `json:"address,omitempty"`
}

// Revision describes one committed revision.
type Revision struct {
	Number  int       `json:"number"`
	User    string    `json:"user"`
	Time    time.Time `json:"time"`
	Comment string    `json:"comment"`
}

// Snapshot is an immutable committed configuration with its revision.
type Snapshot struct {
	Revision Revision
	Config   *Config
}

// Clone returns a deep copy that the caller may modify.
func (c *Config) Clone() *Config { return deepCopy(c, "config") }

// deepCopy copies v through its JSON form, which every stored type has
// (a failure is a programming error: such a value could not be stored).
func deepCopy[T any](v *T, what string) *T {
	b, err := json.Marshal(v)
	if err != nil {
		panic("store: " + what + " not serialisable: " + err.Error())
	}
	var n T
	if err := json.Unmarshal(b, &n); err != nil {
		panic("store: " + what + " not deserialisable: " + err.Error())
	}
	return &n
}

// Equal reports whether two configs are the same tree.
func (c *Config) Equal(o *Config) bool {
	a, _ := json.Marshal(c)
	b, _ := json.Marshal(o)
	return string(a) == string(b)
}

// Listener returns the named listener (case-insensitive) or nil.
func (c *Config) Listener(name string) *Listener {
	for i := range c.Listeners {
		if equalFold(c.Listeners[i].Name, name) {
			return &c.Listeners[i]
		}
	}
	return nil
}

// Destination returns the per-domain destconfig entry or nil.
func (c *Config) Destination(domain string) *Destination {
	for i := range c.Destinations {
		if equalFold(c.Destinations[i].Domain, domain) {
			return &c.Destinations[i]
		}
	}
	return nil
}

// BounceProfile returns the named bounce profile or nil.
func (c *Config) BounceProfile(name string) *BounceProfile {
	for i := range c.Bounce {
		if equalFold(c.Bounce[i].Name, name) {
			return &c.Bounce[i]
		}
	}
	return nil
}

// User returns the named user or nil.
func (c *Config) User(name string) *User {
	for i := range c.Users {
		if c.Users[i].Name == name {
			return &c.Users[i]
		}
	}
	return nil
}

// Policy returns the named mail flow policy of the HAT or nil.
func (h *HAT) Policy(name string) *FlowPolicy {
	for i := range h.Policies {
		if equalFold(h.Policies[i].Name, name) {
			return &h.Policies[i]
		}
	}
	return nil
}

// SenderGroup returns the named sender group or nil.
func (h *HAT) SenderGroup(name string) *SenderGroup {
	for i := range h.SenderGroups {
		if equalFold(h.SenderGroups[i].Name, name) {
			return &h.SenderGroups[i]
		}
	}
	return nil
}

// Effective returns the complete parameters of a policy: the listener
// defaults overlaid with the policy's overrides.
func (h *HAT) Effective(p *FlowPolicy) Params {
	return h.Defaults.Overlay(p.Params)
}

// DestParams returns the complete destination-control parameters for a
// domain (exact match, then DEFAULT).
func (c *Config) DestParams(domain string) Params {
	if d := c.Destination(domain); d != nil {
		return c.DestDefault.Overlay(d.Params)
	}
	return c.DestDefault.Overlay(nil)
}

// BounceParams returns the complete parameters of a bounce profile (its
// overrides over Default); unknown names give Default's.
func (c *Config) BounceParams(name string) Params {
	def := c.BounceProfile("Default")
	var base Params
	if def != nil {
		base = def.Params
	}
	if p := c.BounceProfile(name); p != nil && p != def {
		return base.Overlay(p.Params)
	}
	return base.Overlay(nil)
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
