package clusterstore

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// A machine registers under an etcd lease: its live key disappears
// leaseTTL after it stops refreshing (it is down, or cut off from etcd).
// It refreshes every refreshInterval, which also republishes its
// statistics, so a peer's figures are at most that old.
const (
	leaseTTL        = 5 // seconds
	refreshInterval = 2 * time.Second
)

// liveKey is what a machine publishes under its lease (clusterconfig
// list, tophosts --cluster, status --cluster).
type liveKey struct {
	Address string          `json:"address,omitempty"`
	Applied int             `json:"applied"`
	Error   string          `json:"error,omitempty"` // why it runs an older revision
	Stats   json.RawMessage `json:"stats,omitempty"` // mailapi.PeerStats
}

// leaseLoop keeps the live key; its calls are also how the machine
// notices that etcd went away or came back.
func (m *member) leaseLoop() {
	defer m.wg.Done()
	var lease clientv3.LeaseID
	t := time.NewTicker(m.n.refresh)
	defer t.Stop()
	for {
		err := m.publish(&lease)
		if m.ctx.Err() != nil {
			break
		}
		m.setReachable(err)
		select {
		case <-m.ctx.Done():
		case <-t.C:
			continue
		case <-m.republish:
			continue
		}
		break
	}
	if lease != 0 {
		// Gone at once rather than after the TTL; best effort.
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		m.cli.Revoke(ctx, lease)
		cancel()
	}
}

func (m *member) publish(lease *clientv3.LeaseID) error {
	ctx, cancel := context.WithTimeout(m.ctx, opTimeout)
	defer cancel()
	if *lease != 0 {
		if _, err := m.cli.KeepAliveOnce(ctx, *lease); errors.Is(err, rpctypes.ErrLeaseNotFound) {
			*lease = 0 // expired while etcd was away
		} else if err != nil {
			return err
		}
	}
	if *lease == 0 {
		g, err := m.cli.Grant(ctx, leaseTTL)
		if err != nil {
			return err
		}
		*lease = g.ID
	}
	v := liveKey{Applied: m.cur.Load().rev.Number, Error: m.applyError()}
	if f := m.n.address.Load(); f != nil && *f != nil {
		v.Address = (*f)()
	}
	if f := m.n.stats.Load(); f != nil && *f != nil {
		if b, err := (*f)(); err != nil {
			m.n.logf("Cluster %s: statistics not published: %v", m.ms.Name, err)
		} else if json.Valid(b) {
			v.Stats = b
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = m.cli.Put(ctx, m.k.live(m.machine()), string(b), clientv3.WithLease(*lease))
	return err
}
