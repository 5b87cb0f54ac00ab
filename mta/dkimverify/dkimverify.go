// Package dkimverify verifies the DKIM signatures of a received message
// (RFC 6376 section 6) with github.com/emersion/go-msgauth/dkim, asking
// the key records (RFC 6376 section 3.6.2) through seg's resolver seam,
// and says what each signature's outcome is in the words mail_logs uses
// (AsyncOS's) and in the words of RFC 8601 (Authentication-Results).
package dkimverify

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"unicode"

	"github.com/emersion/go-msgauth/dkim"

	"seg/internal/msgheader"
	"seg/mta/dns"
)

// MaxSignatures is how many signatures of one message are verified: the
// first ones in header order. Each costs a key lookup and a hash of the
// body, and a message may carry any number of signatures; RFC 6376
// section 6.1 lets a verifier stop early. Five covers the author's
// domain, an ESP and a mailing list or two, which is what real mail
// carries.
const MaxSignatures = 5

// RFC 8601 section 2.7.1 result words (dkim method).
const (
	Pass      = "pass"
	Fail      = "fail"      // the signature or the body hash did not verify
	Policy    = "policy"    // a signature seg will not accept (l= tag)
	PermError = "permerror" // no key, a malformed signature or key
	TempError = "temperror" // the key lookup failed for now
)

// Result is one signature's outcome.
type Result struct {
	// Domain, Selector and Identifier are the signature's d=, s= and i=
	// (i= defaults to "@" d=, RFC 6376 section 3.5), whitespace removed.
	Domain, Selector, Identifier string
	// Result is the RFC 8601 word.
	Result string
	// Reason is what happened, in mail_logs' words: "signature
	// verified", "body hash did not verify", "no key for signature",
	// "signature did not verify", "key unavailable", or go-msgauth's
	// description of a malformed signature or key.
	Reason string
}

// Verify checks msg's DKIM-Signature fields, the first MaxSignatures of
// them; skipped is how many more there were. No signature: no results.
// A nil r fails every key lookup temporarily. ctx bounds the lookups.
func Verify(ctx context.Context, r dns.Resolver, msg []byte) (results []Result, skipped int) {
	sigs := msgheader.All(msg, "DKIM-Signature")
	if len(sigs) == 0 {
		return nil, 0
	}
	if len(sigs) > MaxSignatures {
		skipped = len(sigs) - MaxSignatures
		sigs = sigs[:MaxSignatures]
	}
	results = make([]Result, len(sigs))
	for i, f := range sigs {
		results[i] = identity(f.Value())
	}
	verifs, err := dkim.VerifyWithOptions(bytes.NewReader(msg), &dkim.VerifyOptions{
		LookupTXT:        lookupTXT(ctx, r),
		MaxVerifications: MaxSignatures,
	})
	if (err != nil && !errors.Is(err, dkim.ErrTooManySignatures)) || len(verifs) != len(results) {
		// The message could not be read as the library reads it (no
		// end of header, say): every signature is unverifiable.
		for i := range results {
			results[i].Result, results[i].Reason = PermError, "message header could not be read"
		}
		return results, skipped
	}
	for i, v := range verifs {
		results[i].Result, results[i].Reason = classify(v.Err)
	}
	return results, skipped
}

// classify turns a go-msgauth verification error into the RFC 8601
// word and the mail_logs reason.
func classify(err error) (result, reason string) {
	if err == nil {
		return Pass, "signature verified"
	}
	msg := strings.TrimPrefix(err.Error(), "dkim: ")
	switch {
	case dkim.IsTempFail(err):
		return TempError, "key unavailable"
	case dkim.IsPermFail(err):
		if strings.HasPrefix(msg, "no key for signature") {
			return PermError, "no key for signature"
		}
		return PermError, msg
	case strings.HasPrefix(msg, "body hash did not verify"):
		return Fail, "body hash did not verify"
	case strings.HasPrefix(msg, "signature did not verify"):
		return Fail, "signature did not verify"
	case strings.Contains(msg, "body length tag"):
		return Policy, msg
	}
	return Fail, msg
}

// identity reads d=, s= and i= from a DKIM-Signature value (tag=value
// list, RFC 6376 section 3.2); tags it cannot find stay empty.
func identity(v string) Result {
	var r Result
	for _, tv := range strings.Split(v, ";") {
		t, val, ok := strings.Cut(tv, "=")
		if !ok {
			continue
		}
		val = stripSpace(val)
		switch strings.TrimSpace(t) {
		case "d":
			r.Domain = val
		case "s":
			r.Selector = val
		case "i":
			r.Identifier = val
		}
	}
	if r.Identifier == "" && r.Domain != "" {
		r.Identifier = "@" + r.Domain
	}
	return r
}

func stripSpace(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

// lookupTXT adapts the resolver to go-msgauth, which tells a temporary
// failure from a missing key by the net.Error it gets back: a temporary
// DNS failure (and a nil resolver, and the deadline) must give temperror,
// NXDOMAIN and no records permerror (RFC 6376 section 6.1.2).
func lookupTXT(ctx context.Context, r dns.Resolver) func(string) ([]string, error) {
	return func(name string) ([]string, error) {
		if r == nil {
			return nil, &net.DNSError{Err: "no DNS resolver", Name: name, IsTemporary: true}
		}
		txt, err := r.LookupTXT(ctx, name)
		if err == nil {
			return txt, nil
		}
		if dns.IsNotFound(err) {
			return nil, &net.DNSError{Err: err.Error(), Name: name, IsNotFound: true}
		}
		return nil, &net.DNSError{Err: err.Error(), Name: name, IsTemporary: true}
	}
}
