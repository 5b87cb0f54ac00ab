package segtest

import (
	"net"
	"strings"
	"testing"

	mdns "github.com/miekg/dns"
)

// NewDNS serves the given records (zone-file lines such as
// "mx.test. 60 IN MX 10 mx1.mx.test.") over UDP and TCP on 127.0.0.1 and
// returns "127.0.0.1:PORT", for `dnsconfig setup --servers`. Names it
// does not know get NXDOMAIN; a known name without records of the asked
// type gets an empty answer (NODATA).
func NewDNS(t testing.TB, records ...string) string {
	t.Helper()
	return newDNS(t, dnsFaults{}, records)
}

// NewDNSNoAnswer is NewDNS that never answers a question for a name
// under the domain silent: a DNS server that does not respond, which the
// client can only time out on.
func NewDNSNoAnswer(t testing.TB, silent string, records ...string) string {
	t.Helper()
	return newDNS(t, dnsFaults{silentUnder: "." + strings.ToLower(mdns.CanonicalName(silent))}, records)
}

// NewFailingDNS is NewDNS with names that fail: every question about a
// name in servfail is answered SERVFAIL (RCODE 2), and one about a name in
// silent gets no answer at all, so the asker times out. Names are written
// without the trailing dot.
func NewFailingDNS(t testing.TB, servfail, silent []string, records ...string) string {
	t.Helper()
	f := dnsFaults{names: map[string]int{}}
	for _, n := range servfail {
		f.names[strings.ToLower(mdns.Fqdn(n))] = mdns.RcodeServerFailure
	}
	for _, n := range silent {
		f.names[strings.ToLower(mdns.Fqdn(n))] = noAnswer
	}
	return newDNS(t, f, records)
}

// dnsFaults are the questions a test DNS server answers badly.
type dnsFaults struct {
	silentUnder string         // ".domain.": no answer for names under it
	names       map[string]int // exact name (FQDN): RCODE to answer, or noAnswer
	// authentic, when set, says which answers carry the AD bit
	// (dnssec.go).
	authentic func(name string) bool
}

const noAnswer = -1

func newDNS(t testing.TB, f dnsFaults, records []string) string {
	t.Helper()
	zone := map[string][]mdns.RR{}
	for _, r := range records {
		rr, err := mdns.NewRR(r)
		if err != nil {
			t.Fatalf("dns: bad record %q: %v", r, err)
		}
		n := strings.ToLower(mdns.CanonicalName(rr.Header().Name))
		zone[n] = append(zone[n], rr)
	}
	h := mdns.HandlerFunc(func(w mdns.ResponseWriter, req *mdns.Msg) {
		m := new(mdns.Msg)
		m.SetReply(req)
		m.Authoritative = true
		if len(req.Question) == 1 {
			q := req.Question[0]
			name := strings.ToLower(mdns.CanonicalName(q.Name))
			if f.silentUnder != "" && strings.HasSuffix(name, f.silentUnder) {
				return
			}
			if rc, ok := f.names[name]; ok {
				if rc == noAnswer {
					return
				}
				m.Rcode = rc
				w.WriteMsg(m)
				return
			}
			rrs, ok := zone[name]
			if !ok {
				m.Rcode = mdns.RcodeNameError
			}
			for _, rr := range rrs {
				if rr.Header().Rrtype == q.Qtype {
					m.Answer = append(m.Answer, rr)
				}
			}
			m.AuthenticatedData = f.authentic != nil && f.authentic(name) && wantsDNSSEC(req)
		}
		w.WriteMsg(m)
	})
	// The same port for both transports: a truncated UDP answer is
	// retried over TCP on it.
	var pc net.PacketConn
	var ln net.Listener
	for try := 0; ; try++ {
		var err error
		pc, err = net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("dns: %v", err)
		}
		ln, err = net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			break
		}
		pc.Close()
		if try == 20 {
			t.Fatalf("dns: no port free for both UDP and TCP: %v", err)
		}
	}
	for _, srv := range []*mdns.Server{{PacketConn: pc, Handler: h}, {Listener: ln, Handler: h}} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		go srv.ActivateAndServe()
		<-started
		t.Cleanup(func() { srv.Shutdown() })
	}
	return pc.LocalAddr().String()
}
