// Command authdns is the DNS server of bench/relay.sh's sender
// authentication rounds: it serves the zone-file lines given as
// arguments over UDP and TCP on one loopback address, so that seg's SPF,
// DKIM and DMARC lookups cross a real DNS exchange as in production.
// Names it does not know get NXDOMAIN; a known name without records of
// the asked type gets an empty answer.
//
// Usage: authdns -addr 127.0.0.1:5353 'client.test. 300 IN TXT "v=spf1 ip4:127.0.0.0/8 -all"' ...
package main

import (
	"flag"
	"log"
	"strings"

	mdns "github.com/miekg/dns"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:5353", "address to serve on (loopback)")
	flag.Parse()
	zone := map[string][]mdns.RR{}
	for _, line := range flag.Args() {
		rr, err := mdns.NewRR(line)
		if err != nil {
			log.Fatalf("authdns: bad record %q: %v", line, err)
		}
		name := strings.ToLower(rr.Header().Name)
		zone[name] = append(zone[name], rr)
	}
	h := mdns.HandlerFunc(func(w mdns.ResponseWriter, q *mdns.Msg) {
		m := new(mdns.Msg)
		m.SetReply(q)
		m.Authoritative = true
		if len(q.Question) == 1 {
			qq := q.Question[0]
			rrs, known := zone[strings.ToLower(qq.Name)]
			if !known {
				m.Rcode = mdns.RcodeNameError
			}
			for _, rr := range rrs {
				if rr.Header().Rrtype == qq.Qtype {
					m.Answer = append(m.Answer, rr)
				}
			}
		}
		w.WriteMsg(m)
	})
	errc := make(chan error, 2)
	for _, n := range []string{"udp", "tcp"} {
		srv := &mdns.Server{Addr: *addr, Net: n, Handler: h}
		go func() { errc <- srv.ListenAndServe() }()
	}
	log.Fatal(<-errc)
}
