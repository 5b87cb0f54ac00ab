package main

import (
	"net"
	"strconv"

	"seg/internal/metricsd"
	"seg/internal/sshd"
	"seg/mta"
	"seg/mta/smtpd"
	"seg/shell"
)

// endpoints tells the shell where the listeners and the SSH server
// really listen (shell.Endpoints), and the commit check what this
// process holds.
type endpoints struct {
	mta     *mta.MTA
	ssh     *sshd.Server
	metrics *metricsd.Server
}

func (e endpoints) Endpoints() []shell.Endpoint {
	var out []shell.Endpoint
	for _, l := range e.mta.Listening() {
		ep := shell.Endpoint{
			Service:    "listener " + l.Name,
			Configured: net.JoinHostPort(l.Address, strconv.Itoa(l.Port)),
			Listening:  l.Listening,
		}
		if l.State == smtpd.StateFailed || l.State == smtpd.StateMisplaced {
			ep.Problem = mta.ListenerProblem(l)
		}
		out = append(out, ep)
	}
	want, listening, err := e.ssh.Endpoint()
	ep := shell.Endpoint{Service: "ssh", Configured: want, Listening: listening}
	if err != nil {
		if listening != "" {
			ep.Problem = "The SSH server is not listening on " + want + " (" + errText(err, want) + "); still listening on " + listening
		} else {
			ep.Problem = "The SSH server is down: cannot listen on " + want + " (" + errText(err, want) + ")"
		}
	}
	out = append(out, ep)
	if e.metrics == nil {
		return out
	}
	// The metrics endpoint, when configured or still listening.
	want, listening, err = e.metrics.Endpoint()
	if want == "" && listening == "" {
		return out
	}
	ep = shell.Endpoint{Service: "metrics", Configured: want, Listening: listening}
	if err != nil {
		if listening != "" {
			ep.Problem = "The metrics endpoint is not listening on " + want + " (" + errText(err, want) + "); still listening on " + listening
		} else {
			ep.Problem = "The metrics endpoint is down: cannot listen on " + want + " (" + errText(err, want) + ")"
		}
	}
	return append(out, ep)
}

// held maps the addresses this process listens on to their service.
func (e endpoints) held() map[string]string {
	out := map[string]string{}
	for _, ep := range e.Endpoints() {
		if ep.Listening != "" {
			out[ep.Listening] = ep.Service
		}
	}
	return out
}

// errText is a bind error without the "cannot listen on ADDR: " the
// caller says itself.
func errText(err error, addr string) string {
	s := err.Error()
	if p := "cannot listen on " + addr + ": "; len(s) > len(p) && s[:len(p)] == p {
		return s[len(p):]
	}
	return s
}
