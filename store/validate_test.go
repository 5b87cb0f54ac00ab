package store

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

const testSSHKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGfN0y6oQ4JbQv4Z1lXbGQ0n3r0m3tJ6c7Fjv0kq8P7a ops@example.com"

func problemsOf(t *testing.T, c *Config) []string {
	t.Helper()
	err := c.Validate()
	if err == nil {
		return nil
	}
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Validate returned %T, want *ValidationError", err)
	}
	return ve.Problems
}

func TestValidateDefault(t *testing.T) {
	if p := problemsOf(t, testConfig()); p != nil {
		t.Fatalf("default config: %q", p)
	}
	c := testConfig()
	c.Users[0].SSHKeys = []string{testSSHKey}
	c.Metrics.Address = "127.0.0.1:9100"
	c.DestSetup.CertFile, c.DestSetup.KeyFile = "client.pem", "client.key"
	c.TDC = TDC{Enabled: true, IntakeAddress: "intake@tdc.example.com"}
	c.Incoming = append([]MailPolicy{{Name: "Sales", Recipients: []string{"@example.com"}, TDC: TDCCustom, TDCAddress: "j@tdc.example.com"},
		{Name: "Support", Recipients: []string{"@support.example.com"}, TDC: TDCInherit}}, c.Incoming...)
	c.Destinations = []Destination{{Domain: "example.org", Params: Params{"recipient_limit": "10", "recipient_minutes": "5"}}}
	c.System.Routes = []SMTPRoute{{Domain: ".example.net", Hosts: []string{"relay.example.net:2525", "[::1]:25"}}, {Domain: "ALL", Hosts: []string{"/dev/null"}}}
	if p := problemsOf(t, c); p != nil {
		t.Fatalf("valid config: %q", p)
	}
}

func TestValidateProblems(t *testing.T) {
	out := func(c *Config) *Listener {
		l := NewListener("Out", ListenerPrivate, "127.0.0.1", 2526)
		c.Listeners = append(c.Listeners, l)
		return &c.Listeners[len(c.Listeners)-1]
	}
	in := func(c *Config) *Listener { return &c.Listeners[0] }
	cases := []struct {
		name   string
		mutate func(c *Config)
		want   string
	}{
		{"hostname", func(c *Config) { c.System.Hostname = "bad_host" }, `hostname "bad_host": not a valid host name`},
		{"dns server", func(c *Config) { c.System.DNS.Servers = []string{"127.0.0.1"} }, `dns: server "127.0.0.1": must be HOST:PORT`},
		{"dns none", func(c *Config) { c.System.DNS.UseSystem = false }, `dns: no DNS servers given`},
		{"route domain", func(c *Config) { c.System.Routes = []SMTPRoute{{Domain: "ex ample", Hosts: []string{"h"}}} }, `route "ex ample": not a valid domain`},
		{"route dup", func(c *Config) {
			c.System.Routes = []SMTPRoute{{Domain: "a.com", Hosts: []string{"h"}}, {Domain: "A.com", Hosts: []string{"h"}}}
		}, `route "A.com": domain is listed twice`},
		{"route host", func(c *Config) { c.System.Routes = []SMTPRoute{{Domain: "a.com", Hosts: []string{"h:99999"}}} }, `route "a.com": host "h:99999": port "99999" must be a number from 1 to 65535`},
		{"alerts", func(c *Config) { c.System.AlertRecipients = []string{"nobody"} }, `alerts: "nobody" is not a valid email address`},
		{"listener clash", func(c *Config) { out(c).Port = 2525 }, `listener "Out": port 2525 is already used by listener "IncomingMail" on 127.0.0.1`},
		{"listener any clash", func(c *Config) { l := out(c); l.Address, l.Port = "0.0.0.0", 2525 }, `listener "Out": port 2525 is already used by listener "IncomingMail" on 127.0.0.1`},
		{"listener ssh clash", func(c *Config) { out(c).Port = 2222 }, `listener "Out": port 2222 is already used by SSH on 127.0.0.1`},
		{"listener metrics clash", func(c *Config) { c.Metrics.Address = "0.0.0.0:2526"; out(c) }, `listener "Out": port 2526 is already used by the metrics endpoint on 0.0.0.0`},
		{"listener dup name", func(c *Config) { out(c).Name = "incomingmail" }, `listener "incomingmail": name is already used by listener "IncomingMail"`},
		{"listener name", func(c *Config) { out(c).Name = "Out box" }, `listener "Out box": Invalid listener name "Out box": use letters, digits, _ and -.`},
		{"listener name length", func(c *Config) { out(c).Name = strings.Repeat("L", 10000) }, `listener "LLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLL"... (10000 characters): A listener name has at most 64 characters (this one has 10000).`},
		{"HAT group name length", func(c *Config) { in(c).HAT.SenderGroups[1].Name = strings.Repeat("g", 65) }, `listener "IncomingMail": HAT sender group "gggggggggggggggggggggggggggggggggggggggg"... (65 characters): Invalid sender group name "gggggggggggggggggggggggggggggggggggggggg"... (65 characters): at most 64 characters`},
		{"HAT policy name length", func(c *Config) { in(c).HAT.Policies[0].Name = "$" + strings.Repeat("p", 65) }, `listener "IncomingMail": HAT policy "$ppppppppppppppppppppppppppppppppppppppp"... (66 characters): Invalid policy name "$ppppppppppppppppppppppppppppppppppppppp"... (66 characters): at most 64 characters follow the $`},
		{"policy name length", func(c *Config) {
			c.Incoming = append([]MailPolicy{{Name: strings.Repeat("m", 65), Recipients: []string{"@a.com"}}}, c.Incoming...)
		}, `incoming policy "mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm"... (65 characters): A policy name has 1 to 64 characters.`},
		{"policy name chars", func(c *Config) {
			c.Incoming = append([]MailPolicy{{Name: "Sales team", Recipients: []string{"@a.com"}}}, c.Incoming...)
		}, `incoming policy "Sales team": Policy names may contain only letters, digits, '_', '-' and '.' (not " ").`},
		{"listener type", func(c *Config) { in(c).Type = "secret" }, `listener "IncomingMail": type "secret" must be public, private or blackhole`},
		{"listener address", func(c *Config) { in(c).Address = "localhost" }, `listener "IncomingMail": address "localhost" is not an IP address`},
		{"listener port", func(c *Config) { in(c).Port = 70000 }, `listener "IncomingMail": port 70000 must be from 1 to 65535`},
		{"listener concurrency", func(c *Config) { in(c).MaxConcurrency = 0 }, `listener "IncomingMail": max_concurrency 0 must be at least 1`},
		{"HAT default missing", func(c *Config) { delete(in(c).HAT.Defaults, "tls") }, `listener "IncomingMail": HAT default policy: parameter tls is missing`},
		{"HAT default not canonical", func(c *Config) { in(c).HAT.Defaults["max_message_size"] = "10M" }, `listener "IncomingMail": HAT default policy: max_message_size: value "10M" is not in canonical form ("10485760")`},
		{"HAT default bad", func(c *Config) { in(c).HAT.Defaults["tls"] = "maybe" }, `listener "IncomingMail": HAT default policy: tls: "maybe" must be one of off, preferred, required`},
		{"HAT policy unknown param", func(c *Config) { in(c).HAT.Policies[0].Params = Params{"max_size": "1024"} }, `listener "IncomingMail": HAT policy "$ACCEPTED": unknown HAT parameter "max_size"`},
		{"HAT policy name", func(c *Config) { in(c).HAT.Policies[0].Name = "ACCEPTED" }, `listener "IncomingMail": HAT policy "ACCEPTED": Invalid policy name`},
		{"HAT policy dup", func(c *Config) { in(c).HAT.Policies[1].Name = "$accepted" }, `listener "IncomingMail": HAT policy "$accepted": name is already used by policy "$ACCEPTED"`},
		{"HAT behavior", func(c *Config) { in(c).HAT.Policies[0].Behavior = "ALLOW" }, `listener "IncomingMail": HAT policy "$ACCEPTED": behavior "ALLOW" must be one of ACCEPT, REJECT, TCPREFUSE, RELAY, CONTINUE`},
		{"HAT unknown policy", func(c *Config) { in(c).HAT.SenderGroups[1].Policy = "$NOPE" }, `listener "IncomingMail": HAT sender group "ALLOWED_LIST": unknown policy "$NOPE"`},
		{"HAT group dup", func(c *Config) { in(c).HAT.SenderGroups[2].Name = "allowed_list" }, `listener "IncomingMail": HAT sender group "allowed_list": name is already used by sender group "ALLOWED_LIST"`},
		{"HAT member", func(c *Config) { in(c).HAT.SenderGroups[1].Members = []string{"10.0.0.0/99"} }, `listener "IncomingMail": HAT sender group "ALLOWED_LIST": member "10.0.0.0/99": `},
		{"HAT ALL member early", func(c *Config) { in(c).HAT.SenderGroups[1].Members = []string{"ALL"} }, `listener "IncomingMail": HAT sender group "ALLOWED_LIST": member ALL belongs to the last sender group (ALL) only`},
		{"HAT ALL last", func(c *Config) { g := in(c).HAT.SenderGroups; in(c).HAT.SenderGroups = g[:len(g)-1] }, `listener "IncomingMail": HAT sender group "UNKNOWNLIST": the last sender group must be ALL with the single member ALL`},
		{"RAT private", func(c *Config) { out(c).RAT = DefaultRAT() }, `listener "Out": RAT: private listeners have no recipient access table`},
		{"RAT entry", func(c *Config) {
			in(c).RAT = append([]RATEntry{{Entry: "a@@b", Action: RATAccept}}, in(c).RAT...)
		}, `listener "IncomingMail": RAT entry "a@@b": Invalid recipient address`},
		{"RAT action", func(c *Config) {
			in(c).RAT = append([]RATEntry{{Entry: "example.com", Action: "RELAY"}}, in(c).RAT...)
		}, `listener "IncomingMail": RAT entry "example.com": action "RELAY" must be ACCEPT or REJECT`},
		{"RAT code", func(c *Config) {
			in(c).RAT = append([]RATEntry{{Entry: "example.com", Action: RATReject, Code: 250}}, in(c).RAT...)
		}, `listener "IncomingMail": RAT entry "example.com": The response code for REJECT must be from 400 to 599`},
		{"RAT last", func(c *Config) { in(c).RAT = []RATEntry{{Entry: "example.com", Action: RATAccept}} }, `listener "IncomingMail": RAT: the last entry must be ALL`},
		{"dest default missing", func(c *Config) { delete(c.DestDefault, "use_tls") }, `destconfig DEFAULT: parameter use_tls is missing`},
		{"dest cert path", func(c *Config) { c.DestSetup.CertFile, c.DestSetup.KeyFile = "/etc/ssl/client.pem", "client.key" },
			`destconfig setup: the certificate file "/etc/ssl/client.pem" must be a file name in the configuration directory`},
		{"dest key dotdot", func(c *Config) { c.DestSetup.CertFile, c.DestSetup.KeyFile = "client.pem", "../ssh_host_ed25519_key" },
			`destconfig setup: the key file "../ssh_host_ed25519_key" must be a file name in the configuration directory`},
		{"listener key path", func(c *Config) { in(c).CertFile, in(c).KeyFile = "server.pem", "/etc/shadow" },
			`listener "IncomingMail": the key file "/etc/shadow" must be a file name in the configuration directory`},
		{"dest DEFAULT domain", func(c *Config) { c.Destinations = []Destination{{Domain: "default"}} }, `destconfig "default": DEFAULT is the default entry, not a domain`},
		{"dest dup", func(c *Config) {
			c.Destinations = []Destination{{Domain: "a.com"}, {Domain: "A.COM"}}
		}, `destconfig "A.COM": domain is already listed as "a.com"`},
		{"dest recipient minutes", func(c *Config) {
			c.Destinations = []Destination{{Domain: "a.com", Params: Params{"recipient_limit": "5"}}}
		}, `destconfig "a.com": recipient_limit needs recipient_minutes (1-60)`},
		{"dest default recipient minutes", func(c *Config) { c.DestDefault["recipient_limit"] = "5" },
			`destconfig DEFAULT: recipient_limit needs recipient_minutes (1-60)`},
		{"HAT dmarc profile", func(c *Config) { in(c).HAT.Policies[0].Params = Params{"dmarc_profile": "Strict"} },
			`listener "IncomingMail": HAT policy "$ACCEPTED": dmarc_profile names DMARC profile "Strict", which does not exist`},
		{"HAT default dmarc profile", func(c *Config) { in(c).HAT.Defaults["dmarc_profile"] = "Gone" },
			`listener "IncomingMail": HAT default policy: dmarc_profile names DMARC profile "Gone", which does not exist`},
		{"dest bounce profile", func(c *Config) { c.DestDefault["bounce_profile"] = "Gone" }, `destconfig DEFAULT: bounce_profile: no bounce profile named "Gone"`},
		{"bounce default first", func(c *Config) {
			c.Bounce = append([]BounceProfile{{Name: "p1"}}, c.Bounce...)
		}, `bounce profile "Default": must exist and come first`},
		{"bounce default complete", func(c *Config) { delete(c.Bounce[0].Params, "max_retries") }, `bounce profile "Default": parameter max_retries is missing`},
		{"bounce unknown key", func(c *Config) {
			c.Bounce = append(c.Bounce, BounceProfile{Name: "p1", Params: Params{"retries": "3"}})
		}, `bounce profile "p1": unknown bounceconfig parameter "retries"`},
		{"bounce dup", func(c *Config) { c.Bounce = append(c.Bounce, BounceProfile{Name: "default"}) }, `bounce profile "default": name is already used by bounce profile "Default"`},
		{"policy last DEFAULT", func(c *Config) { c.Incoming[0].Name = "Other" }, `incoming policies: the last policy must be DEFAULT`},
		{"policy DEFAULT members", func(c *Config) { c.Outgoing[0].Senders = []string{"@a.com"} }, `outgoing policy "DEFAULT": DEFAULT matches every message and has no senders or recipients`},
		{"policy no recipients", func(c *Config) {
			c.Incoming = append([]MailPolicy{{Name: "Sales", Senders: []string{"@a.com"}}}, c.Incoming...)
		}, `incoming policy "Sales": needs at least one recipient`},
		{"policy member", func(c *Config) {
			c.Incoming = append([]MailPolicy{{Name: "Sales", Recipients: []string{"example.com"}}}, c.Incoming...)
		}, `incoming policy "Sales": recipient: "example.com" is not a valid policy member`},
		{"policy dup", func(c *Config) {
			c.Incoming = append([]MailPolicy{{Name: "S", Recipients: []string{"@a.com"}}, {Name: "s", Recipients: []string{"@b.com"}}}, c.Incoming...)
		}, `incoming policy "s": name is already used by policy "S"`},
		{"policy tdc custom", func(c *Config) { c.Incoming[0].TDC = TDCCustom }, `incoming policy "DEFAULT": TDC custom address "" is not a valid email address`},
		{"policy tdc value", func(c *Config) { c.Incoming[0].TDC = "on" }, `incoming policy "DEFAULT": TDC "on" must be off, default, custom or inherit`},
		{"listener setup max_concurrency", func(c *Config) { c.ListenerSetup.MaxConcurrency = -1 }, `listener setup: max_concurrency -1 must be from 0 (no global limit) to 50000`},
		{"listener setup max_concurrency high", func(c *Config) { c.ListenerSetup.MaxConcurrency = 50001 }, `listener setup: max_concurrency 50001 must be from 0`},
		{"policy tdc default inherits", func(c *Config) { c.Incoming[0].TDC = TDCInherit }, `incoming policy "DEFAULT": the DEFAULT policy has no policy to inherit its TDC setting from`},
		{"policy tdc outgoing inherits", func(c *Config) { c.Outgoing[0].TDC = TDCInherit }, `outgoing policy "DEFAULT": the Threat Defense Connector applies to incoming mail only`},
		{"policy tdc outgoing", func(c *Config) { c.Outgoing[0].TDC = TDCDefault }, `outgoing policy "DEFAULT": the Threat Defense Connector applies to incoming mail only`},
		{"policy tdc default intake", func(c *Config) { c.TDC.Enabled = true; c.Incoming[0].TDC = TDCDefault }, `incoming policy "DEFAULT": TDC default needs the message intake address`},
		{"tdc intake", func(c *Config) { c.TDC.Enabled = true }, `tdc: enabled without a message intake address`},
		{"tdc intake syntax", func(c *Config) { c.TDC.IntakeAddress = "intake" }, `tdc: intake address "intake" is not a valid email address`},
		{"user dup", func(c *Config) { c.Users = append(c.Users, User{Name: "admin", Role: RoleGuest}) }, `user "admin": name is listed twice`},
		{"user role", func(c *Config) { c.Users = append(c.Users, User{Name: "bob", Role: "root"}) }, `user "bob": role "root" must be one of admin, operator, readonly, guest`},
		{"no admin", func(c *Config) { c.Users[0].Role = RoleOperator }, `users: at least one user must have the admin role`},
		{"ssh key", func(c *Config) { c.Users[0].SSHKeys = []string{"ssh-rsa notbase64"} }, `user "admin": SSH key 1: not an authorized_keys line`},
		{"smtp auth no password", func(c *Config) { c.Users = append(c.Users, User{Name: "bob", Role: RoleGuest, SMTPAuth: true}) }, `user "bob": the SMTP AUTH right needs a password`},
		{"ssh address", func(c *Config) { c.SSH.Address = "any" }, `ssh: address "any" is not an IP address`},
		{"ssh port", func(c *Config) { c.SSH.Port = 0 }, `ssh: port 0 must be from 1 to 65535`},
		{"metrics address", func(c *Config) { c.Metrics.Address = "localhost:9100" }, `metrics: address "localhost:9100": "localhost" is not an IP address`},
		{"metrics ssh clash", func(c *Config) { c.Metrics.Address = "127.0.0.1:2222" }, `metrics: port 2222 is already used by SSH on 127.0.0.1`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := testConfig()
			tc.mutate(c)
			ps := problemsOf(t, c)
			for _, p := range ps {
				if strings.HasPrefix(p, tc.want) {
					return
				}
			}
			t.Fatalf("want a problem starting %q, got %q", tc.want, ps)
		})
	}
}

func TestValidateListsEveryProblem(t *testing.T) {
	c := testConfig()
	c.System.Hostname = "-bad"
	c.Listeners[0].HAT.SenderGroups[0].Policy = "$NOPE"
	c.DestDefault["max_host_concurrency"] = "0"
	c.Users[0].Role = RoleGuest
	c.SSH.Port = 2525
	want := []string{
		`hostname "-bad": not a valid host name (letters, digits and hyphens, in dot-separated labels)`,
		`listener "IncomingMail": port 2525 is already used by SSH on 127.0.0.1`,
		`listener "IncomingMail": HAT sender group "RELAYLIST": unknown policy "$NOPE"`,
		`destconfig DEFAULT: max_host_concurrency: value must be between 1 and 1000`,
		`users: at least one user must have the admin role`,
	}
	got := problemsOf(t, c)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for i := 0; i < 5; i++ { // map iteration must not reorder anything
		if again := problemsOf(t, c); !reflect.DeepEqual(again, got) {
			t.Fatalf("second run differs: %q", again)
		}
	}
}

func TestExportedChecks(t *testing.T) {
	for s, want := range map[string]bool{"example.com": true, "a-b.c0": true, "localhost": true, "-a.com": false, "a..com": false, "": false, "a_b.com": false, strings.Repeat("a", 64) + ".com": false} {
		if ValidDomain(s) != want {
			t.Errorf("ValidDomain(%q) = %v", s, !want)
		}
	}
	for s, want := range map[string]bool{"j@example.com": true, "j.k+tag@example.com": true, "j@[192.0.2.1]": true, "j@": false, "@example.com": false, "j..k@example.com": false, "j@exa mple.com": false,
		`"j k"@example.com`: true, `"jk"@example.com`: false, "j@example.com.": false, "j\x00@example.com": false, "\"j\rk\"@example.com": false,
		strings.Repeat("j", 65) + "@example.com": false, "j@[IPv6:2001:db8::1]": true, "j@xn--zz.example": false} {
		if ValidAddress(s) != want {
			t.Errorf("ValidAddress(%q) = %v", s, !want)
		}
	}
	for s, ok := range map[string]bool{"127.0.0.1:53": true, "[::1]:53": true, "dns.example.com:5353": true, "::1:53": false, "127.0.0.1": false, "127.0.0.1:0": false, "bad_host:53": false} {
		if err := ValidHostPort(s); (err == nil) != ok {
			t.Errorf("ValidHostPort(%q) = %v", s, err)
		}
	}
}
