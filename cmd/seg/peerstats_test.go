package main

import (
	"context"
	"testing"
	"time"

	"seg/internal/mailapi"
	"seg/internal/segtest"
	"seg/mta"
	"seg/mta/dns"
	"seg/mta/maillog"
	"seg/store"
)

// The provider the cluster node publishes: this machine's statistics,
// named by the running configuration's hostname, following a change of
// it.
func TestPeerStatsProvider(t *testing.T) {
	cfg := store.Default("m1.example.test", "")
	for i := range cfg.Listeners {
		cfg.Listeners[i].Port = segtest.FreePort(t)
	}
	st := store.NewMemory(cfg)
	dir := t.TempDir()
	m, err := mta.Start(mta.Options{
		DataDir: dir, LogDir: dir, Store: st, Log: &maillog.Memory{},
		Resolvers: func(*store.Config) dns.Resolver { return &dns.Fake{} },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		m.Close(ctx)
	})
	stats := peerStatsProvider(m, st)
	read := func() mailapi.PeerStats {
		t.Helper()
		b, err := stats()
		if err != nil {
			t.Fatal(err)
		}
		p, err := mailapi.DecodePeerStats(b)
		if err != nil {
			t.Fatalf("decoding %s: %v", b, err)
		}
		return p
	}
	if p := read(); p.Machine != "m1.example.test" || p.SystemStatus != "Online" {
		t.Errorf("machine %q status %q, want m1.example.test Online", p.Machine, p.SystemStatus)
	}
	cur, err := st.Current()
	if err != nil {
		t.Fatal(err)
	}
	next := cur.Config.Clone()
	next.System.Hostname = "m9.example.test"
	if _, err := st.Commit(store.CommitRequest{Base: cur.Revision.Number, Config: next, User: "admin", Role: "admin"}); err != nil {
		t.Fatal(err)
	}
	if p := read(); p.Machine != "m9.example.test" {
		t.Errorf("after sethostname the machine is %q, want m9.example.test", p.Machine)
	}
}
