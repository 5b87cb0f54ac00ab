package main

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"seg/internal/netbind"
	"seg/store"
)

// bindCheck is the config store's CommitCheck: a commit that moves a
// listener, the SSH server or the metrics endpoint to an address that
// cannot be bound is refused with the address and the OS's reason,
// before the revision is written (SPEC 3: a commit that cannot take
// effect is refused). Each new address is bound and released at once.
//
// held maps the addresses this process itself listens on to the service
// holding each ("listener NAME", "ssh", "metrics"; nil offline). A port
// one of seg's own sockets holds is not a conflict when the same kind of
// service takes it over: validation has already checked that the new
// configuration gives each port to one service, so the holder moves away
// in the same commit, and the MTA rebinds its listeners together (two
// may swap ports) as the SSH server and the metrics endpoint rebind
// themselves. Between the MTA, the SSH server and the metrics endpoint
// there is no such coordination (each applies the commit on its own),
// so a port passing from one to another is refused with advice to move
// it in two commits.
//
// Between this check and the reload another program may still take the
// port; then the service keeps its old address and says so (status,
// listenerconfig, sshconfig and metricsconfig print).
func bindCheck(held func() map[string]string) store.CommitCheck {
	return func(cur, next *store.Config) error {
		var ours map[string]string
		if held != nil {
			ours = held()
		}
		var problems []string
		try := func(what, addr string) {
			err := netbind.Try(addr)
			if err == nil {
				return
			}
			holder := heldBy(ours, addr)
			switch {
			case holder == "":
				problems = append(problems, fmt.Sprintf("%s: cannot listen on %s: %v", what, addr, err))
			case holder == what || kind(holder) == "listener" && kind(what) == "listener":
				// Moving within the MTA or within the SSH server.
			default:
				problems = append(problems, fmt.Sprintf("%s: cannot listen on %s: the port is in use by %s until this commit applies; move %s to another port in a separate commit first",
					what, addr, holder, holder))
			}
		}
		for _, l := range next.Listeners {
			old := cur.Listener(l.Name)
			if old != nil && old.Address == l.Address && old.Port == l.Port {
				continue
			}
			try("listener "+l.Name, net.JoinHostPort(l.Address, strconv.Itoa(l.Port)))
		}
		if next.SSH != cur.SSH {
			try("ssh", net.JoinHostPort(next.SSH.Address, strconv.Itoa(next.SSH.Port)))
		}
		if a := next.Metrics.Address; a != "" && a != cur.Metrics.Address {
			try("metrics", a)
		}
		if len(problems) > 0 {
			return &store.ValidationError{Problems: problems}
		}
		return nil
	}
}

// kind is the first word of a service name: "listener", "ssh" or
// "metrics".
func kind(service string) string {
	k, _, _ := strings.Cut(service, " ")
	return k
}

// heldBy returns the service of ours whose address overlaps addr (the
// same port, and the same IP or either one the wildcard), or "".
func heldBy(ours map[string]string, addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return ""
	}
	ip := net.ParseIP(host)
	for o, service := range ours {
		oh, op, err := net.SplitHostPort(o)
		if err != nil || op != port {
			continue
		}
		oip := net.ParseIP(oh)
		if ip == nil || oip == nil || ip.Equal(oip) || ip.IsUnspecified() || oip.IsUnspecified() {
			return service
		}
	}
	return ""
}
