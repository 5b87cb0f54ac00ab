package listenercmd

import (
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"seg/shell"
	"seg/shell/shelltest"
	"seg/store"
)

// batchSession is a harness session for running batch lines with
// Execute, not on a terminal (where a partial line would open its menu).
func batchSession(t *testing.T) *shelltest.Harness {
	t.Helper()
	h := shelltest.NewSession(t, registry(), newStore())
	h.S.Interactive = false
	return h
}

// config returns what the session's commands see: the candidate, or the
// running config.
func config(t *testing.T, h *shelltest.Harness) *store.Config {
	t.Helper()
	if c := h.S.Candidate(); c != nil {
		return c
	}
	snap, err := h.S.Store.Current()
	if err != nil {
		t.Fatal(err)
	}
	return snap.Config
}

func run(t *testing.T, h *shelltest.Harness, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if err := h.S.Execute(l); err != nil {
			t.Fatalf("%s: %v", l, err)
		}
	}
}

func groupNames(h *store.HAT) string {
	var n []string
	for _, g := range h.SenderGroups {
		n = append(n, g.Name)
	}
	return strings.Join(n, " ")
}

func TestBatchForms(t *testing.T) {
	const L = "listenerconfig edit IncomingMail "
	tests := []struct {
		name  string
		setup []string
		line  string
		err   string // substring of the error; "" for success
		out   string // substring of the output
		check func(t *testing.T, c *store.Config)
	}{
		// listenerconfig new
		{name: "new public", line: "listenerconfig new Out --type public --address 127.0.0.2 --port 25 --hostname MX.Example.com --accept example.com,.example.org",
			check: func(t *testing.T, c *store.Config) {
				l := c.Listener("Out")
				want := []store.RATEntry{{Entry: "example.com", Action: "ACCEPT"}, {Entry: ".example.org", Action: "ACCEPT"}, {Entry: "ALL", Action: "REJECT"}}
				if l == nil || l.Type != "public" || l.Address != "127.0.0.2" || l.Port != 25 || l.Hostname != "mx.example.com" || !reflect.DeepEqual(l.RAT, want) {
					t.Errorf("listener = %+v", l)
				}
			}},
		{name: "new private", line: "listenerconfig new Relay --type=private --address=127.0.0.1 --port=587 --relay 10.1.1.0/24,relay.example.com",
			check: func(t *testing.T, c *store.Config) {
				l := c.Listener("relay")
				if l == nil || l.Type != "private" || len(l.RAT) != 0 || l.HAT.SenderGroups[0].Name != "RELAYLIST" ||
					!reflect.DeepEqual(l.HAT.SenderGroups[0].Members, []string{"10.1.1.0/24", "relay.example.com"}) || l.HAT.SenderGroups[1].Policy != "$BLOCKED" {
					t.Errorf("listener = %+v", l)
				}
			}},
		{name: "new PARAM=VALUE form", line: "listenerconfig new Out type=public address=::1 port=2525",
			check: func(t *testing.T, c *store.Config) {
				if l := c.Listener("Out"); l == nil || l.Address != "::1" {
					t.Errorf("listener = %+v", l)
				}
			}},
		{name: "new hostname = system hostname", line: "listenerconfig new Out --type public --address 127.0.0.2 --port 25 --hostname seg.localdomain",
			check: func(t *testing.T, c *store.Config) {
				if l := c.Listener("Out"); l.Hostname != "" {
					t.Errorf("hostname = %q, want empty (follows the system hostname)", l.Hostname)
				}
			}},
		{name: "new port in use", line: "listenerconfig new Out --type public --address 127.0.0.1 --port 2525", err: "Port 2525 on 127.0.0.1 is already used by listener IncomingMail"},
		{name: "new port in use on 0.0.0.0", line: "listenerconfig new Out --type public --address 0.0.0.0 --port 2525", err: "already used by listener IncomingMail"},
		{name: "new port of SSH", line: "listenerconfig new Out --type public --address 127.0.0.1 --port 2222", err: "already used by the SSH service"},
		{name: "new duplicate name", line: "listenerconfig new incomingmail --type public --address 127.0.0.2 --port 25", err: "A listener named IncomingMail already exists."},
		{name: "new bad name", line: "listenerconfig new a.b --type public --address 127.0.0.2 --port 25", err: `Invalid listener name "a.b"`},
		{name: "new bad address", line: "listenerconfig new Out --type public --address 127.0.0.300 --port 25", err: `Invalid IP address "127.0.0.300"`},
		{name: "new bad port", line: "listenerconfig new Out --type public --address 127.0.0.2 --port 70000", err: `Invalid port "70000": enter a number from 1 to 65535.`},
		{name: "new bad type", line: "listenerconfig new Out --type void --address 127.0.0.2 --port 25", err: `Invalid listener type "void": use public, private or blackhole.`},
		{name: "new no type", line: "listenerconfig new Out --address 127.0.0.2 --port 25", err: "--type public, --type private or --type blackhole"},
		{name: "new blackhole", line: "listenerconfig new Hole --type blackhole --address 127.0.0.2 --port 25",
			check: func(t *testing.T, c *store.Config) {
				l := c.Listener("Hole")
				want := []store.RATEntry{{Entry: "ALL", Action: "ACCEPT"}}
				if l == nil || l.Type != "blackhole" || !reflect.DeepEqual(l.RAT, want) || l.HAT.SenderGroups[len(l.HAT.SenderGroups)-1].Policy != "$ACCEPTED" {
					t.Errorf("listener = %+v", l)
				}
			}},
		{name: "new blackhole accept", line: "listenerconfig new Hole --type blackhole --address 127.0.0.2 --port 25 --accept example.com",
			check: func(t *testing.T, c *store.Config) {
				want := []store.RATEntry{{Entry: "example.com", Action: "ACCEPT"}, {Entry: "ALL", Action: "REJECT"}}
				if l := c.Listener("Hole"); !reflect.DeepEqual(l.RAT, want) {
					t.Errorf("RAT = %+v", l.RAT)
				}
			}},
		{name: "new blackhole relay", line: "listenerconfig new Hole --type blackhole --address 127.0.0.2 --port 25 --relay 10.0.0.1", err: "--relay is for private listeners"},
		{name: "print blackhole", setup: []string{"listenerconfig new Hole --type blackhole --address 127.0.0.2 --port 25"}, line: "listenerconfig print Hole",
			out: "Type: Blackhole (accepts mail and discards it: nothing is queued or delivered)\n"},
		{name: "blackhole rcptaccess", setup: []string{"listenerconfig new Hole --type blackhole --address 127.0.0.2 --port 25"},
			line: "listenerconfig edit Hole rcptaccess new example.com REJECT",
			check: func(t *testing.T, c *store.Config) {
				if l := c.Listener("Hole"); len(l.RAT) != 2 || l.RAT[0].Entry != "example.com" {
					t.Errorf("RAT = %+v", l.RAT)
				}
			}},
		{name: "new no port", line: "listenerconfig new Out --type public --address 127.0.0.2", err: "--address IP --port N"},
		{name: "new unknown option", line: "listenerconfig new Out --type public --address 127.0.0.2 --port 25 --colour red", err: "Unknown option --colour"},
		{name: "new relay on public", line: "listenerconfig new Out --type public --address 127.0.0.2 --port 25 --relay 10.0.0.1", err: "--relay is for private listeners"},
		{name: "new bad accept", line: "listenerconfig new Out --type public --address 127.0.0.2 --port 25 --accept a..b", err: `Invalid recipient address "a..b"`},
		{name: "new no name", line: "listenerconfig new --type public --address 127.0.0.2 --port 25", err: "Usage: listenerconfig new NAME"},

		// listenerconfig edit NAME setup
		{name: "setup", line: L + "setup --address 127.0.0.3 --port 26 --hostname mx.example.com --max_concurrency 50 --default_domain example.com",
			check: func(t *testing.T, c *store.Config) {
				l := c.Listener("IncomingMail")
				if l.Address != "127.0.0.3" || l.Port != 26 || l.Hostname != "mx.example.com" || l.MaxConcurrency != 50 || l.DefaultDomain != "example.com" {
					t.Errorf("listener = %+v", l)
				}
			}},
		{name: "setup rename", line: L + "setup --name Inbound",
			check: func(t *testing.T, c *store.Config) {
				if c.Listener("Inbound") == nil || c.Listener("IncomingMail") != nil {
					t.Error("not renamed")
				}
			}},
		{name: "setup connection limits", line: L + "setup --idle_timeout 2m --max_connection_time 1h --data_timeout 300 --min_data_rate 0 --data_rate_interval 30s --pressure_idle 0 --reserved_percent 20",
			check: func(t *testing.T, c *store.Config) {
				want := store.ConnLimits{IdleTimeout: 120, MaxConnectionTime: 3600, DataTimeout: 300, MinDataRate: 0, DataRateInterval: 30, PressureIdle: 0, ReservedPercent: 20}
				if got := c.Listener("IncomingMail").ConnLimits; got != want {
					t.Errorf("limits = %+v", got)
				}
			}},
		{name: "setup one limit keeps the others", line: L + "setup --pressure_idle=5",
			check: func(t *testing.T, c *store.Config) {
				want := store.DefaultConnLimits()
				want.PressureIdle = 5
				if got := c.Listener("IncomingMail").ConnLimits; got != want {
					t.Errorf("limits = %+v", got)
				}
			}},
		{name: "setup bad limit", line: L + "setup --max_concurrency 50 --idle_timeout 0", err: `Invalid idle_timeout "0": enter a number of seconds from 1 to 3600.`},
		{name: "setup limit not a number", line: L + "setup --reserved_percent lots", err: `Invalid reserved_percent "lots": enter a number of percent from 0 to 50.`},
		{name: "setup limit over range", line: L + "setup --min_data_rate 2000000", err: `Invalid min_data_rate "2000000"`},
		{name: "print connection limits", setup: []string{L + "setup --max_concurrency 50 --reserved_percent 20"}, line: "listenerconfig print IncomingMail",
			out: "Idle Timeout: 300 seconds (idle_timeout)\nMaximum Connection Time: 900 seconds (max_connection_time)\n" +
				"DATA Timeout: 600 seconds (data_timeout)\nMinimum DATA Rate: 1 bytes per second (min_data_rate)\n" +
				"DATA Rate Interval: 60 seconds (data_rate_interval)\nBusy Listener Idle Limit: 30 seconds (pressure_idle)\n" +
				"Reserved For RELAY Clients: 20 percent, 10 of 50 connections (reserved_percent)\n"},
		{name: "print limits off", setup: []string{L + "setup --min_data_rate 0 --pressure_idle 0 --reserved_percent 0"}, line: "listenerconfig print IncomingMail",
			out: "Minimum DATA Rate: off (min_data_rate)"},
		{name: "setup same port again", line: L + "setup --port 2525"},
		{name: "setup port clash", setup: []string{"listenerconfig new Out --type public --address 127.0.0.1 --port 26"},
			line: L + "setup --port 26", err: "Port 26 on 127.0.0.1 is already used by listener Out"},
		{name: "setup default domain none", setup: []string{L + "setup --default_domain example.com"}, line: L + "setup --default_domain none",
			check: func(t *testing.T, c *store.Config) {
				if c.Listener("IncomingMail").DefaultDomain != "" {
					t.Error("default domain kept")
				}
			}},
		{name: "setup max_concurrency out of range", line: L + "setup --max_concurrency 0", err: "enter a number from 1 to 10000"},
		{name: "setup bad hostname", line: L + "setup --hostname bad_host!", err: `Invalid hostname format "bad_host!"`},
		{name: "setup unknown certificate", line: L + "setup --certificate Nope", err: `There is no certificate named "Nope" (certconfig print lists them).`},
		{name: "setup nothing", line: L + "setup", err: "Nothing to change"},

		// listenerconfig edit NAME certificate, smtpauth
		{name: "certificate unknown", line: L + "certificate Nope", err: `There is no certificate named "Nope" (certconfig print lists them).`},
		{name: "certificate none", line: L + "certificate", err: "Usage: listenerconfig edit NAME certificate CERT"},
		{name: "certificate", line: L + "certificate mx",
			check: func(t *testing.T, c *store.Config) {
				if l := c.Listener("IncomingMail"); l.Certificate != "Mx" {
					t.Errorf("certificate = %q, want Mx", l.Certificate)
				}
			}},
		{name: "certificate default", setup: []string{L + "setup --certificate Mx"}, line: L + "certificate DEFAULT",
			check: func(t *testing.T, c *store.Config) {
				if l := c.Listener("IncomingMail"); l.Certificate != "" {
					t.Errorf("certificate = %q, want empty (Default)", l.Certificate)
				}
			}},
		{name: "smtpauth print", line: L + "smtpauth",
			out: "SMTP Authentication profile: seg's users with the SMTP AUTH right (0; userconfig --smtp-auth yes)\nDefault policy parameters:\n    smtpauth_allow: off\n    smtpauth_requiretls: on\n    smtpauth_relay: off\n"},
		{name: "smtpauth set", line: L + "smtpauth --smtpauth_allow=required smtpauth_requiretls=no --smtpauth_relay yes",
			check: func(t *testing.T, c *store.Config) {
				d := c.Listener("IncomingMail").HAT.Defaults
				if d["smtpauth_allow"] != "required" || d["smtpauth_requiretls"] != "off" || d["smtpauth_relay"] != "on" {
					t.Errorf("defaults = %v", d)
				}
			}},
		{name: "smtpauth bad value keeps all", line: L + "smtpauth --smtpauth_allow=on --smtpauth_relay=maybe", err: "smtpauth_relay"},
		{name: "smtpauth unknown option", line: L + "smtpauth --tls=on", err: "Unknown option --tls"},
		{name: "smtpauth policy override listed", setup: []string{L + "hostaccess edit policy $RELAYED --smtpauth_allow=on"}, line: L + "smtpauth",
			out: "Policy $RELAYED sets its own: smtpauth_allow on\n"},
		{name: "unknown listener", line: "listenerconfig edit Nope setup --port 1", err: `There is no listener named "Nope" (listeners: IncomingMail).`},
		{name: "unknown setting", line: L + "limits --max 1", err: `Unknown listener setting "limits"`},

		// delete, print
		{name: "delete", line: "listenerconfig delete incomingmail",
			check: func(t *testing.T, c *store.Config) {
				if len(c.Listeners) != 0 {
					t.Error("not deleted")
				}
			}},
		{name: "delete unknown", line: "listenerconfig delete Nope", err: `There is no listener named "Nope"`},
		{name: "print all", line: "listenerconfig print", out: "Name: IncomingMail\nType: Public\nInterface: 127.0.0.1 TCP Port 2525"},
		{name: "print one", line: "listenerconfig print IncomingMail", out: "Recipient Access Table:\nALL REJECT\n"},
		{name: "print unknown", line: "listenerconfig print Nope", err: "There is no listener named"},
		{name: "unknown op", line: "listenerconfig frob", err: `Unknown listenerconfig operation "frob" (accepted: new, edit, delete, print, setup).`},

		// listenerconfig setup (global)
		{name: "global setup print", line: "listenerconfig setup", out: "Global limit for concurrent connections (all listeners): no global limit (each listener's own)\n"},
		{name: "global setup", line: "listenerconfig setup --max_concurrency 800",
			check: func(t *testing.T, c *store.Config) {
				if c.ListenerSetup.MaxConcurrency != 800 {
					t.Errorf("global limit = %d", c.ListenerSetup.MaxConcurrency)
				}
			}},
		{name: "global setup none", setup: []string{"listenerconfig setup --max_concurrency 800"}, line: "listenerconfig setup --max_concurrency=none",
			check: func(t *testing.T, c *store.Config) {
				if c.ListenerSetup.MaxConcurrency != 0 {
					t.Errorf("global limit = %d", c.ListenerSetup.MaxConcurrency)
				}
			}},
		{name: "global setup bad", line: "listenerconfig setup --max_concurrency 50001", err: `Invalid global connection limit "50001": enter a number from 1 to 50000, or 0 (none) for no global limit.`},
		{name: "global setup unknown option", line: "listenerconfig setup --max_tls 5", err: "Unknown option --max_tls"},

		// hostaccess sendergroup
		{name: "new sendergroup", line: L + "hostaccess new sendergroup PARTNERS 10.2.0.0/16,.partner.example,10.1.1. TRUSTED --comment 'Partner networks'",
			check: func(t *testing.T, c *store.Config) {
				h := &c.Listener("IncomingMail").HAT
				g := h.SenderGroup("PARTNERS")
				if g == nil || g.Policy != "$TRUSTED" || g.Comment != "Partner networks" || !reflect.DeepEqual(g.Members, []string{"10.2.0.0/16", ".partner.example", "10.1.1.0/24"}) {
					t.Errorf("group = %+v", g)
				}
				if got := groupNames(h); got != "RELAYLIST ALLOWED_LIST BLOCKED_LIST SUSPECTLIST UNKNOWNLIST PARTNERS ALL" {
					t.Errorf("order = %s", got)
				}
			}},
		{name: "new sendergroup at position", line: L + "hostaccess new sendergroup FIRST 10.0.0.1 $BLOCKED --position 1",
			check: func(t *testing.T, c *store.Config) {
				if got := groupNames(&c.Listener("IncomingMail").HAT); !strings.HasPrefix(got, "FIRST RELAYLIST") {
					t.Errorf("order = %s", got)
				}
			}},
		{name: "new sendergroup warns about shared member", line: L + "hostaccess new sendergroup LOCAL 127.0.0.1 $ACCEPTED", out: "Warning: 127.0.0.1 is also in sender group RELAYLIST."},
		{name: "new sendergroup bad member", line: L + "hostaccess new sendergroup G 10.1.1.0/33 $ACCEPTED", err: "A CIDR address is an IP followed by / and a number from 0 to 32"},
		{name: "new sendergroup bad ip", line: L + "hostaccess new sendergroup G 10.1.1.256 $ACCEPTED", err: `Invalid IP or IP range "10.1.1.256"`},
		{name: "new sendergroup bad host", line: L + "hostaccess new sendergroup G bad!host $ACCEPTED", err: `Invalid hostname format "bad!host"`},
		{name: "new sendergroup unknown policy", line: L + "hostaccess new sendergroup G 10.0.0.1 $NOPE", err: "There is no policy named $NOPE (policies: $ACCEPTED, $THROTTLED, $TRUSTED, $BLOCKED, $RELAYED)."},
		{name: "new sendergroup duplicate", line: L + "hostaccess new sendergroup relaylist 10.0.0.1 $ACCEPTED", err: "A sender group named relaylist already exists."},
		{name: "new sendergroup ALL", line: L + "hostaccess new sendergroup ALL 10.0.0.1 $ACCEPTED", err: "The name ALL is reserved"},
		{name: "new sendergroup member ALL", line: L + "hostaccess new sendergroup G ALL $ACCEPTED", err: "ALL may only be used in the last row"},
		{name: "new sendergroup bad position", line: L + "hostaccess new sendergroup G 10.0.0.1 $ACCEPTED --position 9", err: "Invalid position 9: enter a number from 1 to 6."},
		{name: "new sendergroup missing args", line: L + "hostaccess new sendergroup G 10.0.0.1", err: "Usage: listenerconfig edit NAME hostaccess new sendergroup"},
		{name: "edit sendergroup", line: L + "hostaccess edit sendergroup RELAYLIST --add 10.0.0.0/8,::1 --remove 127.0.0.1 --policy accepted --comment 'Local' --name LOCAL",
			check: func(t *testing.T, c *store.Config) {
				g := c.Listener("IncomingMail").HAT.SenderGroup("LOCAL")
				if g == nil || g.Policy != "$ACCEPTED" || g.Comment != "Local" || !reflect.DeepEqual(g.Members, []string{"10.0.0.0/8", "::1"}) {
					t.Errorf("group = %+v", g)
				}
			}},
		{name: "edit sendergroup ALL policy", line: L + "hostaccess edit sendergroup ALL --policy $BLOCKED",
			check: func(t *testing.T, c *store.Config) {
				h := &c.Listener("IncomingMail").HAT
				if g := h.SenderGroups[len(h.SenderGroups)-1]; g.Name != "ALL" || g.Policy != "$BLOCKED" {
					t.Errorf("ALL = %+v", g)
				}
			}},
		{name: "edit sendergroup ALL members", line: L + "hostaccess edit sendergroup ALL --add 10.0.0.1", err: "The ALL row matches every host"},
		{name: "edit sendergroup remove missing", line: L + "hostaccess edit sendergroup RELAYLIST --remove 10.0.0.1", err: "10.0.0.1 is not in sender group RELAYLIST."},
		{name: "edit sendergroup add duplicate", line: L + "hostaccess edit sendergroup RELAYLIST --add 127.0.0.1", err: "127.0.0.1 is already in sender group RELAYLIST."},
		{name: "edit sendergroup unknown", line: L + "hostaccess edit sendergroup NOPE --policy $ACCEPTED", err: `There is no sender group named "NOPE"`},
		{name: "edit sendergroup nothing", line: L + "hostaccess edit sendergroup RELAYLIST", err: "Nothing to change"},
		{name: "edit sendergroup rename to taken", line: L + "hostaccess edit sendergroup RELAYLIST --name SUSPECTLIST", err: "A sender group named SUSPECTLIST already exists."},
		{name: "edit sendergroup bad option", line: L + "hostaccess edit sendergroup RELAYLIST --members 1.2.3.4", err: "Unknown option --members"},
		{name: "delete sendergroup", line: L + "hostaccess delete sendergroup suspectlist",
			check: func(t *testing.T, c *store.Config) {
				if got := groupNames(&c.Listener("IncomingMail").HAT); got != "RELAYLIST ALLOWED_LIST BLOCKED_LIST UNKNOWNLIST ALL" {
					t.Errorf("groups = %s", got)
				}
			}},
		{name: "delete sendergroup ALL", line: L + "hostaccess delete sendergroup ALL", err: "The ALL row cannot be deleted"},
		{name: "delete needs a kind", line: L + "hostaccess delete SUSPECTLIST", err: `The hostaccess "delete" command requires either "sendergroup" or "policy" and a name.`},
		{name: "move", line: L + "hostaccess move UNKNOWNLIST 1",
			check: func(t *testing.T, c *store.Config) {
				if got := groupNames(&c.Listener("IncomingMail").HAT); got != "UNKNOWNLIST RELAYLIST ALLOWED_LIST BLOCKED_LIST SUSPECTLIST ALL" {
					t.Errorf("groups = %s", got)
				}
			}},
		{name: "move last", line: L + "hostaccess move RELAYLIST 5",
			check: func(t *testing.T, c *store.Config) {
				if got := groupNames(&c.Listener("IncomingMail").HAT); got != "ALLOWED_LIST BLOCKED_LIST SUSPECTLIST UNKNOWNLIST RELAYLIST ALL" {
					t.Errorf("groups = %s", got)
				}
			}},
		{name: "move out of range", line: L + "hostaccess move RELAYLIST 6", err: "Invalid position 6: enter a number from 1 to 5."},
		{name: "move ALL", line: L + "hostaccess move ALL 1", err: "The ALL row is always last"},
		{name: "move bad position", line: L + "hostaccess move RELAYLIST first", err: `POSITION must be a number, not "first".`},
		{name: "move missing position", line: L + "hostaccess move RELAYLIST", err: `The hostaccess "move" command requires a sendergroup`},

		// hostaccess policy
		{name: "new policy", line: L + "hostaccess new policy LIMITED accept --max_message_size=5M max_conn=20 --tls=preferred --max_rcpts_per_hour 500 --smtp_banner_text 'Hello $RemoteIP'",
			check: func(t *testing.T, c *store.Config) {
				p := c.Listener("IncomingMail").HAT.Policy("$LIMITED")
				want := store.Params{"max_message_size": "5242880", "max_concurrency": "20", "tls": "preferred", "max_rcpts_per_hour": "500", "smtp_banner_text": "Hello $RemoteIP"}
				if p == nil || p.Behavior != "ACCEPT" || !reflect.DeepEqual(p.Params, want) {
					t.Errorf("policy = %+v", p)
				}
			}},
		{name: "new policy value equal to default is an override", line: L + "hostaccess new policy P REJECT --max_concurrency=10",
			check: func(t *testing.T, c *store.Config) {
				if p := c.Listener("IncomingMail").HAT.Policy("$P"); p == nil || p.Params["max_concurrency"] != "10" || p.Behavior != "REJECT" {
					t.Errorf("policy = %+v", p)
				}
			}},
		{name: "new policy duplicate", line: L + "hostaccess new policy $throttled ACCEPT", err: "A policy named $THROTTLED already exists."},
		{name: "new policy bad name", line: L + "hostaccess new policy 'A B' ACCEPT", err: `Invalid policy name "$A B"`},
		{name: "new policy bad behavior", line: L + "hostaccess new policy P SOMETIMES", err: `Unknown behavior "SOMETIMES"`},
		{name: "new policy out of range", line: L + "hostaccess new policy P ACCEPT --max_concurrency=5000", err: "max_concurrency: value must be between 1 and 1000."},
		{name: "new policy unknown param", line: L + "hostaccess new policy P ACCEPT --colour=red", err: `Unknown HAT parameter "colour"`},
		{name: "new policy bad enum", line: L + "hostaccess new policy P ACCEPT --tls=maybe", err: `tls: "maybe" must be one of off, preferred, required.`},
		{name: "new policy missing behavior", line: L + "hostaccess new policy P", err: "Usage: listenerconfig edit NAME hostaccess new policy"},
		{name: "new needs a kind", line: L + "hostaccess new", err: `requires either "sendergroup" or "policy"`},
		{name: "new bad kind", line: L + "hostaccess new group G", err: `Unknown entry kind "group"`},
		{name: "edit policy", line: L + "hostaccess edit policy THROTTLED reject --max_rcpts_per_hour=default --reject_banner_text='Go away' --name SLOW",
			check: func(t *testing.T, c *store.Config) {
				h := &c.Listener("IncomingMail").HAT
				p := h.Policy("$SLOW")
				if p == nil || p.Behavior != "REJECT" || p.Params.Has("max_rcpts_per_hour") || p.Params["reject_banner_text"] != "Go away" {
					t.Errorf("policy = %+v", p)
				}
				if g := h.SenderGroup("SUSPECTLIST"); g.Policy != "$SLOW" {
					t.Errorf("SUSPECTLIST uses %s after the rename", g.Policy)
				}
			}},
		{name: "edit policy inherit any case", setup: []string{L + "hostaccess new policy P ACCEPT --max_concurrency=5 --tls=required --dmarc_profile=strict"},
			line: L + "hostaccess edit policy P --max_concurrency=DEFAULT --tls=Default --dmarc_profile=default",
			check: func(t *testing.T, c *store.Config) {
				// dmarc_profile names nothing seg holds: default inherits.
				if p := c.Listener("IncomingMail").HAT.Policy("$P"); len(p.Params) != 0 {
					t.Errorf("policy keeps %v", p.Params)
				}
			}},
		{name: "edit policy unknown", line: L + "hostaccess edit policy NOPE ACCEPT", err: "There is no policy named $NOPE"},
		{name: "edit policy nothing", line: L + "hostaccess edit policy THROTTLED", err: "Nothing to change"},
		{name: "edit policy rename to taken", line: L + "hostaccess edit policy THROTTLED --name TRUSTED", err: "A policy named $TRUSTED already exists."},
		{name: "delete policy", setup: []string{L + "hostaccess new policy P ACCEPT"}, line: L + "hostaccess delete policy P",
			check: func(t *testing.T, c *store.Config) {
				if c.Listener("IncomingMail").HAT.Policy("$P") != nil {
					t.Error("not deleted")
				}
			}},
		{name: "delete policy in use", line: L + "hostaccess delete policy $ACCEPTED", err: "The policy $ACCEPTED is used by sender group(s) UNKNOWNLIST, ALL: give them another policy first."},
		{name: "default", line: L + "hostaccess default --max_message_size=20M max_rcpts_per_hour=100 --dhap_limit=5",
			check: func(t *testing.T, c *store.Config) {
				d := c.Listener("IncomingMail").HAT.Defaults
				if d["max_message_size"] != "20971520" || d["max_rcpts_per_hour"] != "100" || d["dhap_limit"] != "5" {
					t.Errorf("defaults = %v", d)
				}
			}},
		{name: "default bad value", line: L + "hostaccess default --max_message_size=1", err: "max_message_size: value must be at least 1024."},
		{name: "default nothing", line: L + "hostaccess default", err: "Nothing to change"},
		{name: "print", line: L + "hostaccess print", out: "RELAYLIST:\n    $RELAYED (Hosts allowed to relay mail through this listener)\n    127.0.0.1\n"},
		{name: "print shows defaults", line: L + "hostaccess print", out: "Default Policy Parameters\n=========================\nmax_message_size = 10485760\n"},
		{name: "import needs a file", line: L + "hostaccess import", err: `The hostaccess "import" command requires a filename.`},
		{name: "import missing file", line: L + "hostaccess import nope.txt", err: `Error: the file "nope.txt" does not exist in the configuration directory.`},
		{name: "import a path", line: L + "hostaccess import /etc/passwd", err: `Error: "/etc/passwd" is not a file name in the configuration directory`},
		{name: "export a path", line: L + "hostaccess export ../../x", err: `Error: "../../x" is not a file name in the configuration directory`},
		{name: "export a subdirectory", line: L + "hostaccess export sub/dir/x", err: `Error: "sub/dir/x" is not a file name in the configuration directory`},
		{name: "clear", setup: []string{L + "hostaccess new policy P ACCEPT"}, line: L + "hostaccess clear",
			check: func(t *testing.T, c *store.Config) {
				h := c.Listener("IncomingMail").HAT
				if got := groupNames(&h); got != "ALLOWED_LIST BLOCKED_LIST SUSPECTLIST UNKNOWNLIST ALL" || h.Policy("$P") != nil {
					t.Errorf("after clear: %s", got)
				}
			}},
		{name: "reset keeps defaults", setup: []string{L + "hostaccess default --max_concurrency=99"}, line: L + "hostaccess reset",
			check: func(t *testing.T, c *store.Config) {
				if v := c.Listener("IncomingMail").HAT.Defaults["max_concurrency"]; v != "99" {
					t.Errorf("max_concurrency = %s", v)
				}
			}},
		{name: "hostaccess unknown op", line: L + "hostaccess frob", err: `Unknown hostaccess operation "frob"`},

		// rcptaccess
		{name: "rcptaccess new", line: L + "rcptaccess new example.com,.Example.ORG ACCEPT --bypass_receiving_control",
			check: func(t *testing.T, c *store.Config) {
				want := []store.RATEntry{{Entry: "example.com", Action: "ACCEPT", BypassReceivingControl: true}, {Entry: ".example.org", Action: "ACCEPT", BypassReceivingControl: true}, {Entry: "ALL", Action: "REJECT"}}
				if got := c.Listener("IncomingMail").RAT; !reflect.DeepEqual(got, want) {
					t.Errorf("RAT = %+v", got)
				}
			}},
		{name: "rcptaccess new reject with response", line: L + "rcptaccess new spam@example.com reject --code 551 --text 'No such user'",
			check: func(t *testing.T, c *store.Config) {
				if got := c.Listener("IncomingMail").RAT[0]; got != (store.RATEntry{Entry: "spam@example.com", Action: "REJECT", Code: 551, Text: "No such user"}) {
					t.Errorf("entry = %+v", got)
				}
			}},
		{name: "rcptaccess new keeps order before ALL", setup: []string{L + "rcptaccess new a.example ACCEPT"}, line: L + "rcptaccess new b.example ACCEPT",
			check: func(t *testing.T, c *store.Config) {
				if got := store.FormatRAT(c.Listener("IncomingMail").RAT); got != "a.example ACCEPT\nb.example ACCEPT\nALL REJECT\n" {
					t.Errorf("RAT =\n%s", got)
				}
			}},
		{name: "rcptaccess new bad code", line: L + "rcptaccess new example.com ACCEPT --code 550", err: "The response code for ACCEPT must be from 200 to 299"},
		{name: "rcptaccess new bypass on reject", line: L + "rcptaccess new example.com REJECT --bypass_receiving_control", err: "applies to ACCEPT entries only"},
		{name: "rcptaccess new bad entry", line: L + "rcptaccess new 'a@b!.com' ACCEPT", err: `Invalid recipient address "a@b!.com"`},
		{name: "rcptaccess new ALL", line: L + "rcptaccess new ALL ACCEPT", err: "ALL is the default entry"},
		{name: "rcptaccess new duplicate", setup: []string{L + "rcptaccess new example.com ACCEPT"}, line: L + "rcptaccess new Example.com REJECT", err: "example.com is already in the recipient access table"},
		{name: "rcptaccess new bad action", line: L + "rcptaccess new example.com MAYBE", err: `Unknown action "MAYBE": choose ACCEPT or REJECT.`},
		{name: "rcptaccess edit", setup: []string{L + "rcptaccess new example.com ACCEPT --code 250 --text Hi"}, line: L + "rcptaccess edit example.com REJECT",
			check: func(t *testing.T, c *store.Config) {
				if got := c.Listener("IncomingMail").RAT[0]; got != (store.RATEntry{Entry: "example.com", Action: "REJECT"}) {
					t.Errorf("entry = %+v", got)
				}
			}},
		{name: "rcptaccess edit ALL warns", line: L + "rcptaccess edit ALL ACCEPT", out: "Warning: ALL ACCEPT accepts mail for any recipient"},
		{name: "rcptaccess edit missing", line: L + "rcptaccess edit nope.example ACCEPT", err: "nope.example is not in the recipient access table."},
		{name: "rcptaccess delete", setup: []string{L + "rcptaccess new example.com ACCEPT"}, line: L + "rcptaccess delete EXAMPLE.COM",
			check: func(t *testing.T, c *store.Config) {
				if got := store.FormatRAT(c.Listener("IncomingMail").RAT); got != "ALL REJECT\n" {
					t.Errorf("RAT = %s", got)
				}
			}},
		{name: "rcptaccess delete ALL", line: L + "rcptaccess delete ALL", err: "ALL holds the default access and cannot be deleted"},
		{name: "rcptaccess print", setup: []string{L + "rcptaccess new example.com ACCEPT"}, line: L + "rcptaccess print", out: "example.com ACCEPT\nALL REJECT\n"},
		{name: "rcptaccess clear", setup: []string{L + "rcptaccess new example.com ACCEPT", L + "rcptaccess edit ALL ACCEPT"}, line: L + "rcptaccess clear",
			check: func(t *testing.T, c *store.Config) {
				if got := store.FormatRAT(c.Listener("IncomingMail").RAT); got != "ALL ACCEPT\n" {
					t.Errorf("RAT = %s", got)
				}
			}},
		{name: "rcptaccess import needs a file", line: L + "rcptaccess import", err: `The rcptaccess "import" command requires a filename.`},
		{name: "rcptaccess on private", setup: []string{"listenerconfig new Relay --type private --address 127.0.0.1 --port 587"},
			line: "listenerconfig edit Relay rcptaccess print", err: "Listener Relay is private: private listeners have no recipient access table"},
		{name: "rcptaccess unknown op", line: L + "rcptaccess frob", err: `Unknown rcptaccess operation "frob"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := batchSession(t)
			run(t, h, tt.setup...)
			h.Reset()
			before := config(t, h).Clone()
			err := h.S.Execute(tt.line)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error = %v, want %q", err, tt.err)
				}
				if !config(t, h).Equal(before) {
					t.Error("a failed command changed the configuration")
				}
				return
			}
			if err != nil {
				t.Fatalf("error: %v", err)
			}
			if tt.out != "" && !strings.Contains(h.Output(), tt.out) {
				t.Errorf("output does not contain %q:\n%s", tt.out, h.Output())
			}
			if tt.check != nil {
				tt.check(t, config(t, h))
			}
			// Whatever a batch form accepts, commit accepts.
			if err := config(t, h).Validate(); err != nil {
				t.Errorf("the result does not validate: %v", err)
			}
		})
	}
}

// TestHATExportImportRoundTrip is the acceptance test: export a
// listener's HAT, import it into another listener, and the second export
// is identical, and so are the tables.
func TestHATExportImportRoundTrip(t *testing.T) {
	// sender_rate_exceptions names address lists (addresslistconfig).
	cfg := store.Default("", "")
	cfg.AddressLists = []store.AddressList{{Name: "a", Addresses: []string{"a@example.com"}}, {Name: "b", Addresses: []string{"@b.example.com"}}}
	h := shelltest.NewSession(t, registry(), store.NewMemory(cfg))
	const L = "listenerconfig edit IncomingMail hostaccess "
	run(t, h,
		L+"new policy LIMITED ACCEPT --max_message_size=5M --max_concurrency=20 --tls=required --smtp_banner_text='Hi $RemoteIP' --sender_rate_exceptions=a,b",
		L+"new policy REFUSE TCPREFUSE",
		L+"new sendergroup PARTNERS 10.2.0.0/16,.partner.example,10.1.1.1-50,2001:db8::/32,dnslist[bl.example.org],sbrs[-10.0:-3.0],sbrs[none] $LIMITED --comment 'Partner (trusted) networks'",
		L+"new sendergroup BAD 192.0.2.0/24 REFUSE --position 1",
		L+"edit sendergroup ALL --policy $THROTTLED",
		L+"default --max_concurrency=42",
		L+"export hat1.txt",
		"listenerconfig new Second --type public --address 127.0.0.1 --port 2526",
		"listenerconfig edit Second hostaccess import hat1.txt",
		"listenerconfig edit Second hostaccess export hat2.txt",
	)
	dir := h.S.ConfigDir()
	a, err := os.ReadFile(filepath.Join(dir, "hat1.txt"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "hat2.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if string(a) != string(b) {
		t.Errorf("exports differ:\n%s\nvs\n%s", a, b)
	}
	c := config(t, h)
	first, second := c.Listener("IncomingMail").HAT, c.Listener("Second").HAT
	if !reflect.DeepEqual(first.Policies, second.Policies) || !reflect.DeepEqual(first.SenderGroups, second.SenderGroups) {
		t.Errorf("tables differ:\n%+v\nvs\n%+v", first, second)
	}
	// The text does not carry the default policy parameters: the
	// importing listener keeps its own.
	if second.Defaults["max_concurrency"] != "10" {
		t.Errorf("Second's max_concurrency = %s, want its own 10", second.Defaults["max_concurrency"])
	}
	if !strings.Contains(string(a), "PARTNERS:\n    $LIMITED (Partner (trusted) networks)\n    10.2.0.0/16\n") {
		t.Errorf("export:\n%s", a)
	}
	run(t, h, `commit "two listeners"`)
}

func TestRATExportImportRoundTrip(t *testing.T) {
	h := batchSession(t)
	const L = "listenerconfig edit IncomingMail rcptaccess "
	// Files are plain names in the configuration directory.
	path := "rat.txt"
	run(t, h,
		L+"new example.com,.example.com ACCEPT",
		L+"new postmaster@ ACCEPT --code 250 --text 'Welcome postmaster' --bypass_receiving_control",
		L+"new spam@example.com REJECT --code 550 --text 'No such user'",
		L+"export "+path,
		"listenerconfig new Second --type public --address 127.0.0.1 --port 2526",
		"listenerconfig edit Second rcptaccess import "+path,
	)
	if !strings.Contains(h.Output(), "exported to "+path+".") {
		t.Errorf("output: %s", h.Output())
	}
	c := config(t, h)
	if a, b := c.Listener("IncomingMail").RAT, c.Listener("Second").RAT; !reflect.DeepEqual(a, b) {
		t.Errorf("RATs differ:\n%+v\nvs\n%+v", a, b)
	}
}

// TestHATImportErrors: a bad file names FILE:LINE for every problem and
// changes nothing.
func TestHATImportErrors(t *testing.T) {
	h := batchSession(t)
	dir := h.S.ConfigDir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	text := "$P\n    ACCEPT {\n        tls = \"maybe\"\n    }\nG:\n    $Q\n    10.0.0.0/99\n    ok.example\n    bad!\nALL\n    $P\n"
	if err := os.WriteFile(filepath.Join(dir, "bad.txt"), []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	err := h.S.Execute("listenerconfig edit IncomingMail hostaccess import bad.txt")
	want := `The Host Access Table was not imported:
bad.txt:3: tls: "maybe" must be one of off, preferred, required
bad.txt:6: unknown policy $Q (defined policies: $P)
bad.txt:7: A CIDR address is an IP followed by / and a number from 0 to 32: "10.0.0.0/99"
bad.txt:9: Invalid hostname format "bad!"`
	if err == nil || err.Error() != want {
		t.Fatalf("error =\n%v\nwant\n%s", err, want)
	}
	if h.S.Dirty() {
		t.Error("a failed import staged changes")
	}
	// The same through a batch file: the batch runner adds its own
	// FILE:LINE and the import's follow.
	err = h.S.RunBatch("script", strings.NewReader("listenerconfig edit IncomingMail hostaccess import bad.txt\n"))
	if err == nil || !strings.Contains(err.Error(), "script:1: ") || !strings.Contains(err.Error(), "bad.txt:9: ") {
		t.Errorf("batch error = %v", err)
	}
}

func TestReadOnlyUser(t *testing.T) {
	h := batchSession(t)
	h.S.Role = store.RoleReadOnly
	if err := h.S.Execute("listenerconfig print IncomingMail"); err != nil {
		t.Errorf("print: %v", err)
	}
	for _, l := range []string{"listenerconfig edit IncomingMail hostaccess print", "listenerconfig setup", "listenerconfig edit IncomingMail smtpauth"} {
		if err := h.S.Execute(l); err != nil {
			t.Errorf("%s: %v", l, err)
		}
	}
	for _, l := range []string{"listenerconfig delete IncomingMail", "listenerconfig edit IncomingMail hostaccess default --max_concurrency=5", "listenerconfig",
		"listenerconfig setup --max_concurrency 5", "listenerconfig edit IncomingMail smtpauth --smtpauth_allow=on", "listenerconfig edit IncomingMail certificate Mx",
		"listenerconfig new Hole --type blackhole --address 127.0.0.2 --port 25"} {
		if err := h.S.Execute(l); err == nil || !strings.Contains(err.Error(), "access group") {
			t.Errorf("%s: error = %v", l, err)
		}
	}
	if h.S.Dirty() {
		t.Error("a read-only user staged changes")
	}
}

// setupOptions are what "edit NAME setup" completes, sorted.
var setupOptions = []string{"--address=", "--certificate=", "--data_rate_interval=", "--data_timeout=", "--default_domain=", "--hostname=", "--idle_timeout=",
	"--max_concurrency=", "--max_connection_time=", "--min_data_rate=", "--name=", "--port=", "--pressure_idle=", "--reserved_percent="}

func TestCompletion(t *testing.T) {
	h := batchSession(t)
	run(t, h, "listenerconfig new Relay --type private --address 127.0.0.1 --port 587")
	cmd := Commands()[0]
	ctx := &shell.Ctx{S: h.S, Out: io.Discard}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"edit", ""}, "IncomingMail Relay"},
		{[]string{"delete", "In"}, "IncomingMail Relay"},
		{[]string{"edit", "IncomingMail", ""}, "certificate hostaccess rcptaccess setup smtpauth"},
		{[]string{"edit", "Relay", ""}, "certificate hostaccess setup smtpauth"},
		{[]string{"edit", "Relay", "certificate", ""}, "Default Mx"},
		{[]string{"edit", "Relay", "smtpauth", "--smtp"}, "--smtpauth_allow= --smtpauth_relay= --smtpauth_requiretls="},
		{[]string{"edit", "IncomingMail", "hostaccess", ""}, "clear default delete edit export import move new print"},
		{[]string{"edit", "IncomingMail", "hostaccess", "edit", ""}, "policy sendergroup"},
		{[]string{"edit", "IncomingMail", "hostaccess", "edit", "sendergroup", ""}, "ALL ALLOWED_LIST BLOCKED_LIST RELAYLIST SUSPECTLIST UNKNOWNLIST"},
		{[]string{"edit", "IncomingMail", "hostaccess", "delete", "policy", ""}, "$ACCEPTED $BLOCKED $RELAYED $THROTTLED $TRUSTED"},
		{[]string{"edit", "IncomingMail", "hostaccess", "move", ""}, "ALLOWED_LIST BLOCKED_LIST RELAYLIST SUSPECTLIST UNKNOWNLIST"},
		{[]string{"edit", "IncomingMail", "hostaccess", "new", "policy", "P", ""}, "ACCEPT CONTINUE REJECT RELAY TCPREFUSE"},
		{[]string{"edit", "IncomingMail", "rcptaccess", ""}, "clear delete edit export import new print"},
		{[]string{"edit", "IncomingMail", "rcptaccess", "edit", ""}, "ALL"},
		{[]string{"edit", "IncomingMail", "hostaccess", "edit", "policy", "$TRUSTED", "ACCEPT", "--tls="}, "--name= --tls=off --tls=preferred --tls=required"},
		{[]string{"edit", "IncomingMail", "setup", "--idle"}, strings.Join(setupOptions, " ")},
		{[]string{"new", "Hole", "--type="}, "--accept= --address= --hostname= --port= --relay= --type="},
	}
	for _, tt := range tests {
		got := cmd.Complete(ctx, tt.args)
		sort.Strings(got)
		if strings.Join(got, " ") != tt.want {
			t.Errorf("Complete(%q) = %q, want %q", tt.args, got, tt.want)
		}
	}
	got := cmd.Complete(ctx, []string{"edit", "IncomingMail", "hostaccess", "default", ""})
	if len(got) != len(store.HATParams.Specs) || got[0] != "--max_message_size=" {
		t.Errorf("default options = %q", got)
	}
}
