package smtpd

import (
	"crypto"
	"fmt"
	"net/mail"
	"strings"

	"github.com/emersion/go-msgauth/dkim"

	"seg/store"
)

// DKIM signing of relayed mail (SPEC 12, RFC 6376; Ed25519: RFC 8463).
// The profile is the one domainkeys gives the From: header's address
// (store.DomainKeys.ProfileFor: its user lists first, then its exact
// domain; a subdomain only through a user list entry such as
// @.example.com). Signing happens once, in Data, over the message as it
// leaves: every header field seg adds is in place by then, and nothing
// after it (the queue, delivery, journal copies) touches the header.

// dkimKeys are a snapshot's parsed signing keys, by key name (lower
// case); a key that does not parse has its error instead (validation
// refuses such a key, so that is a store written by hand).
type dkimKeys map[string]dkimKey

type dkimKey struct {
	signer crypto.Signer
	err    error
}

// compileDKIMKeys parses the snapshot's keys, taking those whose PEM
// text prev already parsed from prev: a commit that changes no key parses
// none, and no message parses one. It returns the keys by name and the
// cache for the next snapshot (keyed by the key material).
func compileDKIMKeys(d *store.DomainKeys, prev map[string]crypto.Signer) (dkimKeys, map[string]crypto.Signer) {
	keys := make(dkimKeys, len(d.Keys))
	next := make(map[string]crypto.Signer, len(d.Keys))
	for _, k := range d.Keys {
		signer, ok := prev[k.PrivateKey]
		var err error
		if !ok {
			signer, _, err = store.ParseDKIMKey(k.PrivateKey)
		}
		if err == nil {
			next[k.PrivateKey] = signer
		}
		keys[strings.ToLower(k.Name)] = dkimKey{signer, err}
	}
	return keys, next
}

// dkimSign returns the DKIM-Signature field for a message received under
// a RELAY policy, or relayed by a client after SMTP AUTH, with
// dkim_signing on (SPEC 12), nil when it is not signed. hdr is every
// header field seg adds, data the message as the client sent it: the
// message leaves as hdr+data, so the signature covers exactly that.
func (s *session) dkimSign(hdr, data []byte) []byte {
	in := s.info
	if !in.dec.Flow.DKIMSigning || (in.dec.Behavior != store.BehaviorRelay && !s.c.authRelays()) {
		return nil
	}
	from, ok := fromAddress(data)
	if !ok {
		s.log().Info("MID %d DKIM: cannot sign - no valid From: header", s.mid)
		return nil
	}
	p := in.cfg.DomainKeys.ProfileFor(from)
	if p == nil {
		s.log().Info("MID %d DKIM: cannot sign - no profile matches %s", s.mid, logSafe(from))
		return nil
	}
	sig, err := signDKIM(p, in.dkim[strings.ToLower(p.Key)], hdr, data)
	if err != nil {
		s.log().Warning("MID %d DKIM: cannot sign - profile %s: %v", s.mid, p.Name, err)
		return nil
	}
	s.log().Info("MID %d DKIM: signed d=%s s=%s", s.mid, p.Domain, p.Selector)
	return sig
}

// signDKIM signs hdr+data with the profile and its parsed key.
func signDKIM(p *store.DKIMProfile, key dkimKey, hdr, data []byte) ([]byte, error) {
	if key.err != nil {
		return nil, key.err
	}
	if key.signer == nil {
		return nil, fmt.Errorf("key %s does not exist", p.Key)
	}
	hc, bc := p.Canonicalization()
	sg, err := dkim.NewSigner(&dkim.SignOptions{
		Domain:                 p.Domain,
		Selector:               p.Selector,
		Signer:                 key.signer,
		HeaderCanonicalization: dkim.Canonicalization(hc),
		BodyCanonicalization:   dkim.Canonicalization(bc),
		HeaderKeys:             p.HeaderList(),
	})
	if err != nil {
		return nil, err
	}
	sg.Write(hdr) // errors come back from Close
	sg.Write(data)
	if err := sg.Close(); err != nil {
		return nil, err
	}
	return []byte(sg.Signature()), nil
}

// fromAddress is the address of the message's From: field (RFC 5322
// section 3.6.2), the first when it names several.
func fromAddress(data []byte) (string, bool) {
	v, ok := firstHeader(data, "From")
	if !ok {
		return "", false
	}
	list, err := mail.ParseAddressList(v)
	if err != nil || len(list) == 0 {
		return "", false
	}
	return list[0].Address, true
}
