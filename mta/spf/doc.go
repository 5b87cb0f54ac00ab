// Package spf checks a client's authority to send for a domain: SPF
// (RFC 7208) for the HELO and MAIL FROM identities, and Sender ID (RFC
// 4406, "SIDF") for the MAIL FROM and the Purported Responsible Address
// (RFC 4407), at the conformance levels AsyncOS offers (spf_conformance).
//
// The records are read and evaluated by blitiri.com.ar/go/spf; this
// package adds what the library leaves to its caller: seg's resolver
// (every lookup through mta/dns, cached with its TTL), a deadline on every
// check so that a silent DNS server gives TempError rather than a hung
// session, the identities, and the Sender ID rules, which it applies by
// showing the library a resolver view (scope.go) rather than by parsing
// records itself.
//
// Checks are pure functions of the DNS answers: no state survives a
// call, so sessions never wait on each other.
package spf
