// Package dns is the MTA's only way to the DNS (STYLE 4): a Resolver
// interface, a real implementation on github.com/miekg/dns that asks the
// configured servers (dnsconfig) with a small TTL cache, and Fake, a
// map-backed Resolver for unit tests.
package dns

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// MX is one mail exchanger record.
type MX struct {
	Host string // without the trailing dot; "." (RFC 7505 null MX) stays "."
	Pref uint16
}

// Resolver answers the lookups the MTA needs. Names are given without a
// trailing dot; lookups return an *Error on failure.
type Resolver interface {
	LookupMX(ctx context.Context, domain string) ([]MX, error)
	// LookupIP returns the A and AAAA addresses of host.
	LookupIP(ctx context.Context, host string) ([]netip.Addr, error)
	LookupPTR(ctx context.Context, addr netip.Addr) ([]string, error)
	// LookupTXT returns one string per TXT record, its character-strings
	// concatenated (RFC 7208 section 3.3).
	LookupTXT(ctx context.Context, name string) ([]string, error)
	// LookupTLSA returns the TLSA records of name (RFC 6698), and whether
	// the answer was authentic: DNSSEC-validated, as the AD bit of a
	// resolver marked trusted says (RFC 6840 section 5.8, RFC 7672
	// section 2.1.1). DANE uses only authentic records.
	LookupTLSA(ctx context.Context, name string) ([]TLSA, bool, error)
}

// TLSA is one TLSA record (RFC 6698 section 2.1).
type TLSA struct {
	Usage        uint8  // 0 PKIX-TA, 1 PKIX-EE, 2 DANE-TA, 3 DANE-EE
	Selector     uint8  // 0 the whole certificate, 1 its SubjectPublicKeyInfo
	MatchingType uint8  // 0 exact, 1 SHA-256, 2 SHA-512
	Data         []byte // the certificate association data
}

// Code classifies a failed lookup.
type Code int

// Lookup failure codes. NXDomain and NoRecords are permanent answers; the
// rest are temporary (the next attempt may succeed).
const (
	NXDomain  Code = iota // RCODE 3: the name does not exist
	NoRecords             // the name exists but has no records of the type
	ServFail              // RCODE 2, or any other unexpected RCODE
	Refused               // RCODE 5
	Timeout               // no answer in time
	NetError              // could not reach any server
)

var codeText = [...]string{
	NXDomain:  "NXDomain",
	NoRecords: "no records",
	ServFail:  "SERVFAIL",
	Refused:   "REFUSED",
	Timeout:   "timeout",
	NetError:  "network error",
}

func (c Code) String() string {
	if c >= 0 && int(c) < len(codeText) {
		return codeText[c]
	}
	return fmt.Sprintf("code %d", int(c))
}

// Error is a failed lookup. Check it with errors.As, or with IsNotFound
// and IsTemporary.
type Error struct {
	Name string // the name looked up
	Type string // "MX", "A", "AAAA", "A/AAAA", "PTR", "TXT", "TLSA"
	Code Code
	Err  error // underlying network error, if any
}

func (e *Error) Error() string {
	s := fmt.Sprintf("lookup %s (%s): %s", e.Name, e.Type, e.Code)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Temporary reports whether asking again later may give an answer.
func (e *Error) Temporary() bool { return e.Code != NXDomain && e.Code != NoRecords }

// NotFound reports a permanent negative answer (NXDOMAIN or no records).
func (e *Error) NotFound() bool { return !e.Temporary() }

// IsNotFound reports whether err is a permanent negative DNS answer.
func IsNotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.NotFound()
}

// IsTemporary reports whether err is a temporary DNS failure. Errors that
// are not *Error (a cancelled context, say) count as temporary.
func IsTemporary(err error) bool {
	var e *Error
	if errors.As(err, &e) {
		return e.Temporary()
	}
	return err != nil
}

// canon lower-cases a name and drops the trailing dot.
func canon(name string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(name)), ".")
}
