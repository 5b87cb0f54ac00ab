package shell

import "strings"

// Endpoint is where one of the appliance's services listens: an SMTP
// listener ("listener NAME"), the SSH server ("ssh") or the metrics
// endpoint ("metrics"). A commit whose address cannot be bound is
// refused, but a bind can still fail later (at start-up, or when another
// program takes the port between the check and the reload); then the
// service keeps its old address, or is down, and the shell says so
// wherever it prints the address.
type Endpoint struct {
	Service    string // "listener NAME", "ssh" or "metrics"
	Configured string // host:port of the running configuration
	Listening  string // host:port really bound; "" when not listening
	// Problem is a one-line account of why Configured is not what is
	// bound; "" when all is well.
	Problem string
}

// Endpoints reports the services' endpoints. cmd/seg implements it over
// the MTA and the SSH server; offline there is none.
type Endpoints interface {
	Endpoints() []Endpoint
}

// EndpointProblem returns the problem of the named service ("ssh",
// "listener NAME"; names fold case), or "" when it has none or the
// appliance is not running.
func (s *Session) EndpointProblem(service string) string {
	if s.Endpoints == nil {
		return ""
	}
	for _, e := range s.Endpoints.Endpoints() {
		if strings.EqualFold(e.Service, service) {
			return e.Problem
		}
	}
	return ""
}
