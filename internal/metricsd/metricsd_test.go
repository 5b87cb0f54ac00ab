package metricsd

import (
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"seg/internal/segtest"
	"seg/store"
)

type env struct {
	st   store.Store
	srv  *Server
	mu   sync.Mutex
	logs []string
}

func start(t *testing.T, addr string) *env {
	t.Helper()
	cfg := store.Default("seg.test", "")
	cfg.Metrics.Address = addr
	e := &env{st: store.NewMemory(cfg)}
	e.srv = &Server{Store: e.st, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok "+r.URL.Path)
	}), Logf: func(f string, a ...any) {
		e.mu.Lock()
		e.logs = append(e.logs, strings.TrimSpace(f))
		e.mu.Unlock()
	}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.srv.Run(ctx) }()
	<-e.srv.Ready()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return e
}

func (e *env) commit(t *testing.T, addr string) {
	t.Helper()
	cur, err := e.st.Current()
	if err != nil {
		t.Fatal(err)
	}
	cfg := cur.Config.Clone()
	cfg.Metrics.Address = addr
	if _, err := e.st.Commit(store.CommitRequest{Base: cur.Revision.Number, Config: cfg, User: "admin", Role: store.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
}

func get(addr string) (string, error) {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + addr + "/metrics")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func free(t *testing.T) string {
	return "127.0.0.1:" + strconv.Itoa(segtest.FreePort(t))
}

// The endpoint follows commits: a new address, then off, then on again.
func TestFollowsCommits(t *testing.T) {
	a, b := free(t), free(t)
	e := start(t, a)
	if body, err := get(a); err != nil || body != "ok /metrics" {
		t.Fatalf("GET on %s: %q, %v", a, body, err)
	}
	e.commit(t, b)
	segtest.Wait(t, 5*time.Second, "serving on the new address", func() bool { _, err := get(b); return err == nil })
	if _, err := get(a); err == nil {
		t.Errorf("still serving on the old address %s", a)
	}
	e.commit(t, "")
	segtest.Wait(t, 5*time.Second, "off", func() bool { _, err := get(b); return err != nil })
	if w, l, err := e.srv.Endpoint(); w != "" || l != "" || err != nil {
		t.Errorf("off: Endpoint() = %q, %q, %v", w, l, err)
	}
	e.commit(t, a)
	segtest.Wait(t, 5*time.Second, "on again", func() bool { _, err := get(a); return err == nil })
}

// An address taken by another program: reported, the old one kept, and
// bound once it comes free.
func TestBusyAddressKeepsOldAndRetries(t *testing.T) {
	a := free(t)
	e := start(t, a)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	taken := busy.Addr().String()
	e.commit(t, taken)
	segtest.Wait(t, 5*time.Second, "the bind failure", func() bool {
		_, _, err := e.srv.Endpoint()
		return err != nil
	})
	w, l, err := e.srv.Endpoint()
	if w != taken || l != a || !strings.Contains(err.Error(), "cannot listen on "+taken+": address already in use") {
		t.Errorf("Endpoint() = %q, %q, %v", w, l, err)
	}
	if _, err := get(a); err != nil {
		t.Errorf("the old address stopped serving: %v", err)
	}
	busy.Close()
	segtest.Wait(t, 3*RebindInterval, "the retry", func() bool { _, err := get(taken); return err == nil })
	if _, l, err := e.srv.Endpoint(); l != taken || err != nil {
		t.Errorf("after the retry: listening %q, %v", l, err)
	}
}

// 127.0.0.1:P to 0.0.0.0:P: the socket holding the port moves itself.
func TestSamePortWider(t *testing.T) {
	a := free(t)
	e := start(t, a)
	_, port, _ := net.SplitHostPort(a)
	e.commit(t, "0.0.0.0:"+port)
	segtest.Wait(t, 5*time.Second, "the move", func() bool {
		_, l, err := e.srv.Endpoint()
		return err == nil && l == "0.0.0.0:"+port
	})
	if _, err := get(a); err != nil {
		t.Errorf("not serving after the move: %v", err)
	}
}
