package smtpd

import (
	"net/netip"
	"strings"
	"testing"
)

// bannerReplacer is how the banner variables were expanded before
// bannerVars scanned for them: the reference it must match.
func bannerReplacer(text, hostname string, ip netip.Addr, rdns string) string {
	remoteHost := rdns
	if remoteHost == "" {
		remoteHost = ip.String()
	}
	return strings.NewReplacer("$Hostname", hostname, "$RemoteIP", ip.String(), "$RemoteHost", remoteHost).Replace(text)
}

func TestBannerVarsIsReplacer(t *testing.T) {
	ip := netip.MustParseAddr("192.0.2.7")
	texts := []string{"", "$Hostname ESMTP", "plain", "$", "$$Hostname", "$Hostnames", "$Remote", "$RemoteHostname ($RemoteIP)",
		"$RemoteIPv6 $RemoteHost$RemoteIP$", "a$b$Hostname$c", "$hostname", "x $RemoteHos"}
	for _, text := range texts {
		for _, rdns := range []string{"", "host.example", "$Hostname"} {
			if got, want := bannerVars(text, "mx.test", ip, rdns), bannerReplacer(text, "mx.test", ip, rdns); got != want {
				t.Errorf("bannerVars(%q, rdns %q) = %q, the Replacer gives %q", text, rdns, got, want)
			}
		}
	}
}

func FuzzBannerVars(f *testing.F) {
	f.Add("$Hostname ESMTP", "mx.test", "")
	f.Add("$RemoteHost ($RemoteIP) $$", "h", "r.example")
	f.Fuzz(func(t *testing.T, text, hostname, rdns string) {
		ip := netip.MustParseAddr("2001:db8::1")
		if got, want := bannerVars(text, hostname, ip, rdns), bannerReplacer(text, hostname, ip, rdns); got != want {
			t.Fatalf("bannerVars(%q, %q, %q) = %q, the Replacer gives %q", text, hostname, rdns, got, want)
		}
	})
}
