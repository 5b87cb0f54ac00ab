package delivery

import (
	"net"
	"testing"

	mdns "github.com/miekg/dns"
)

func startDNS(t *testing.T, records []string) string {
	t.Helper()
	zone := map[string][]mdns.RR{}
	for _, r := range records {
		rr, err := mdns.NewRR(r)
		if err != nil {
			t.Fatalf("bad RR %q: %v", r, err)
		}
		n := mdns.CanonicalName(rr.Header().Name)
		zone[n] = append(zone[n], rr)
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &mdns.Server{PacketConn: pc, Handler: mdns.HandlerFunc(func(w mdns.ResponseWriter, req *mdns.Msg) {
		q := req.Question[0]
		m := new(mdns.Msg)
		m.SetReply(req)
		rrs, ok := zone[mdns.CanonicalName(q.Name)]
		if !ok {
			m.Rcode = mdns.RcodeNameError
		}
		for _, rr := range rrs {
			if rr.Header().Rrtype == q.Qtype {
				m.Answer = append(m.Answer, rr)
			}
		}
		w.WriteMsg(m)
	})}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	go srv.ActivateAndServe()
	<-started
	t.Cleanup(func() { srv.Shutdown() })
	return pc.LocalAddr().String()
}
