package store

import (
	"net/netip"
	"strings"
	"testing"
)

func TestParseMemberForms(t *testing.T) {
	tests := []struct {
		in, canon string
		kind      MemberKind
	}{
		{"10.1.1.1", "10.1.1.1", MemberIP},
		{"10.1.1.", "10.1.1.0/24", MemberPrefix},
		{"10.1.1", "10.1.1.0/24", MemberPrefix},
		{"10.1.", "10.1.0.0/16", MemberPrefix},
		{"10.1", "10.1.0.0/16", MemberPrefix},
		{"10.", "10.0.0.0/8", MemberPrefix},
		{"10", "10.0.0.0/8", MemberPrefix},
		{"10.1.1.1-50", "10.1.1.1-50", MemberRange},
		{"10.1.1-5.", "10.1.1-5.", MemberRange},
		{"10.1.1-5", "10.1.1-5.", MemberRange},
		{"10.1-5.", "10.1-5.", MemberRange},
		{"10.1-5", "10.1-5.", MemberRange},
		{"10-20.", "10-20.", MemberRange},
		{"10-20", "10-20.", MemberRange},
		{"10.1.1.0-255", "10.1.1.0/24", MemberPrefix},
		{"10.1.1.7-7", "10.1.1.7", MemberIP},
		{"10.1.1.5-10.1.2.7", "10.1.1.5-10.1.2.7", MemberRange},
		{"10.1.1.0/24", "10.1.1.0/24", MemberPrefix},
		{"10.1.1.9/24", "10.1.1.0/24", MemberPrefix},
		{"10/8", "10.0.0.0/8", MemberPrefix},
		{"10.1./16", "10.1.0.0/16", MemberPrefix},
		{"10.1.1.1/32", "10.1.1.1", MemberIP},
		{"0.0.0.0/0", "0.0.0.0/0", MemberPrefix},
		{"2001:db8::1", "2001:db8::1", MemberIP},
		{"2001:0DB8:0000::0001", "2001:db8::1", MemberIP},
		{"2001:db8::/32", "2001:db8::/32", MemberPrefix},
		{"2001:db8::1-2001:db8::9", "2001:db8::1-2001:db8::9", MemberRange},
		{"::ffff:10.1.1.1", "10.1.1.1", MemberIP},
		{"MX.Example.COM", "mx.example.com", MemberHost},
		{"mx.example.com.", "mx.example.com", MemberHost},
		{".Example.com", ".example.com", MemberDomain},
		{"dnslist[zen.spamhaus.org]", "dnslist[zen.spamhaus.org]", MemberDNSList},
		{"DNSLIST[Bl.Example]", "dnslist[bl.example]", MemberDNSList},
		{"sbrs[-10.0:-3.0]", "sbrs[-10.0:-3.0]", MemberSBRS},
		{"SBRS[-1:10]", "sbrs[-1.0:10.0]", MemberSBRS},
		{"sbrs[-1.5:2.25]", "sbrs[-1.5:2.25]", MemberSBRS},
		{"sbrs[none]", "sbrs[none]", MemberSBRS},
		{"SBRS[None]", "sbrs[none]", MemberSBRS},
		{"SBO:1234", "SBO:1234", MemberSBO},
		{"all", "ALL", MemberAll},
	}
	for _, tt := range tests {
		m, err := ParseMember(tt.in)
		if err != nil {
			t.Errorf("ParseMember(%q): %v", tt.in, err)
			continue
		}
		if m.Kind != tt.kind || m.String() != tt.canon {
			t.Errorf("ParseMember(%q) = kind %d %q, want kind %d %q", tt.in, m.Kind, m.String(), tt.kind, tt.canon)
		}
		again, err := ParseMember(m.String())
		if err != nil || again != m {
			t.Errorf("re-parse of %q: %+v, %v; want %+v", m.String(), again, err, m)
		}
	}
}

func TestParseMemberErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"10.1.1.300", `Invalid IP or IP range "10.1.1.300"`},
		{"10.1.1.1.", `Invalid IP or IP range "10.1.1.1."`},
		{"1.2.3.4.5", `Invalid IP or IP range`},
		{"10.1.1.50-1", `Invalid IP or IP range`},
		{"10.1-2.3.4", `Invalid IP or IP range`},
		{"10..1.1", `Invalid IP or IP range`},
		{"10.1.1.0/33", `A CIDR address is an IP followed by / and a number from 0 to 32`},
		{"10.1.1.0/x", `A CIDR address is an IP followed by / and a number from 0 to 32`},
		{"2001:db8::/129", `A CIDR address is an IP followed by / and a number from 0 to 128`},
		{"2001:db8::g", `Invalid IP or IP range`},
		{"fe80::1%eth0", `Invalid IP or IP range`},
		{"2001:db8::9-2001:db8::1", `Invalid IP or IP range`},
		{"2001:db8::1-10.0.0.1", `Invalid IP or IP range`},
		{"host:25", `Invalid IP or IP range`},
		{"bad host", `Invalid hostname format "bad host"`},
		{"-bad.example", `Invalid hostname format`},
		{"ex*ample.com", `Invalid hostname format`},
		{".", `Invalid hostname format`},
		{"dnslist[]", `Invalid hostname format`},
		{"dnslist[zone", `Invalid DNS list`},
		{"sbrs[3:1]", `Invalid SBRS range`},
		{"sbrs[-11:1]", `Invalid SBRS range`},
		{"sbrs[1e1:2]", `Invalid SBRS range`},
		{"sbrs[nan:1]", `Invalid SBRS range`},
		{"SBO:x", `Invalid SenderBase network owner`},
		{"", `empty`},
	}
	for _, tt := range tests {
		_, err := ParseMember(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseMember(%q) error = %v, want %q", tt.in, err, tt.want)
		}
	}
}

func TestMemberMatchIP(t *testing.T) {
	tests := []struct {
		member, ip string
		want       bool
	}{
		{"10.1.1.1", "10.1.1.1", true},
		{"10.1.1.1", "10.1.1.2", false},
		{"10.1.1.", "10.1.1.200", true},
		{"10.1.1.", "10.1.2.0", false},
		{"10.1.1.1-50", "10.1.1.50", true},
		{"10.1.1.1-50", "10.1.1.51", false},
		{"10.1.1.1-50", "10.1.1.0", false},
		{"10.1.1-5.", "10.1.5.255", true},
		{"10.1.1-5.", "10.1.6.0", false},
		{"10.0.0.0/8", "10.200.3.4", true},
		{"10.0.0.0/8", "11.0.0.0", false},
		{"10.0.0.0/8", "::ffff:10.1.2.3", true},
		{"2001:db8::/32", "2001:db8:1::5", true},
		{"2001:db8::/32", "2001:db9::5", false},
		{"2001:db8::1-2001:db8::9", "2001:db8::9", true},
		{"2001:db8::1-2001:db8::9", "2001:db8::a", false},
		{"10.1.1.5-10.1.2.7", "10.1.1.255", true},
		{"ALL", "192.0.2.1", true},
		{"mx.example.com", "192.0.2.1", false},
		{"sbrs[none]", "192.0.2.1", false},
	}
	for _, tt := range tests {
		m, err := ParseMember(tt.member)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.MatchIP(netip.MustParseAddr(tt.ip)); got != tt.want {
			t.Errorf("%s.MatchIP(%s) = %v, want %v", tt.member, tt.ip, got, tt.want)
		}
	}
}

func TestMemberNeedsDNS(t *testing.T) {
	for s, want := range map[string]bool{
		"10.1.1.1": false, "10.1.1.0/24": false, "10.1.1.1-5": false, "ALL": false, "SBO:1": false,
		"mx.example.com": true, ".example.com": true, "dnslist[bl.example]": true, "sbrs[none]": true,
	} {
		m, err := ParseMember(s)
		if err != nil {
			t.Fatal(err)
		}
		if m.NeedsDNS() != want {
			t.Errorf("%s.NeedsDNS() = %v, want %v", s, !want, want)
		}
	}
}

func TestParseMembers(t *testing.T) {
	ms, err := ParseMembers("10.1.1.1, .example.com  sbrs[none],")
	if err != nil || len(ms) != 3 || ms[1].String() != ".example.com" {
		t.Fatalf("ParseMembers = %v, %v", ms, err)
	}
	if _, err := ParseMembers(" , "); err == nil {
		t.Error("ParseMembers of nothing: no error")
	}
	if _, err := ParseMembers("10.1.1.1,10.1.1.999"); err == nil || !strings.Contains(err.Error(), "10.1.1.999") {
		t.Errorf("ParseMembers with a bad member: %v", err)
	}
}

func FuzzParseMember(f *testing.F) {
	for _, s := range []string{"10.1.1.1", "10.1.1.", "10.1.1-5.", "10.1.1.1-50", "10/8", "2001:db8::/32",
		"2001:db8::1-2001:db8::9", "mx.example.com", ".example.com", "dnslist[bl.example]",
		"sbrs[-10.0:-3.0]", "sbrs[none]", "SBO:12", "ALL", "1.2.3.4-5.6.7.8", "::ffff:1.2.3.4/128"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMember(s)
		if err != nil {
			return
		}
		again, err := ParseMember(m.String())
		if err != nil {
			t.Fatalf("%q -> %q does not re-parse: %v", s, m.String(), err)
		}
		if again != m {
			t.Fatalf("%q -> %q re-parses to %+v, want %+v", s, m.String(), again, m)
		}
		if again.String() != m.String() {
			t.Fatalf("String not stable: %q vs %q", again.String(), m.String())
		}
	})
}
