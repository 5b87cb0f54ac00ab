package store

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// DomainKeys is the domainkeys command's configuration (SPEC 12): the
// private keys seg signs relayed mail with, and the signing profiles
// that say which From: addresses each key signs for, with which d= and
// s=. A private key is a secret as certconfig's keys are: showconfig and
// an operator's saveconfig mask it, and no command prints it.
type DomainKeys struct {
	Keys     []DKIMKey     `json:"keys,omitempty"`
	Profiles []DKIMProfile `json:"profiles,omitempty"` // in match order
}

// DKIM key algorithms (RFC 6376 section 3.3; Ed25519: RFC 8463).
const (
	DKIMRSA     = "rsa"
	DKIMEd25519 = "ed25519"
)

// DKIMKey is one signing key: the private key in PKCS #8 PEM.
type DKIMKey struct {
	Name       string    `json:"name"`
	Algorithm  string    `json:"algorithm"` // DKIMRSA or DKIMEd25519
	PrivateKey string    `json:"private_key"`
	Created    time.Time `json:"created"`
}

// DKIMProfile is one signing profile. Users, when set, are the From:
// addresses it signs (policy member forms, see MatchMember); without
// them it signs mail whose From: domain is Domain itself (not its
// subdomains: a user list entry @.example.com signs those).
type DKIMProfile struct {
	Name     string `json:"name"`
	Domain   string `json:"domain"`   // d=
	Selector string `json:"selector"` // s=
	Key      string `json:"key"`      // a DKIMKey's name
	// Headers are the header fields signed (h=); empty: DefaultDKIMHeaders.
	Headers []string `json:"headers,omitempty"`
	// Canon is header/body canonicalisation (RFC 6376 section 3.4); "":
	// DefaultDKIMCanon.
	Canon string   `json:"canonicalization,omitempty"`
	Users []string `json:"users,omitempty"`
}

// DefaultDKIMHeaders are the fields signed when a profile names none:
// RFC 6376 section 5.4.1's recommended set, with Message-ID and the MIME
// fields that say how the body is read. A field listed but absent is
// still in h= (section 5.4.2), so adding one later breaks the signature.
var DefaultDKIMHeaders = []string{
	"From", "Sender", "Reply-To", "Subject", "Date", "Message-ID", "To", "Cc",
	"MIME-Version", "Content-Type", "Content-Transfer-Encoding",
	"Resent-Date", "Resent-From", "Resent-Sender", "Resent-To", "Resent-Cc",
	"In-Reply-To", "References",
	"List-Id", "List-Help", "List-Unsubscribe", "List-Subscribe", "List-Post", "List-Owner", "List-Archive",
}

// DefaultDKIMCanon is the canonicalisation when a profile names none:
// relaxed for both, which survives the whitespace and folding changes of
// relays on the way (RFC 6376 section 3.4).
const DefaultDKIMCanon = "relaxed/relaxed"

// DKIMCanons are the accepted header/body canonicalisations.
var DKIMCanons = []string{"relaxed/relaxed", "relaxed/simple", "simple/relaxed", "simple/simple"}

// Limits of the key store. RFC 8301 section 3.2: signers MUST use RSA
// keys of at least 1024 bits and SHOULD use 2048; larger keys need TXT
// records that some DNS providers refuse.
const (
	DefaultDKIMBits = 2048
	MaxDKIMKeys     = 100
	MaxDKIMProfiles = 1000
	MaxDKIMKeyPEM   = 16 << 10
)

// DKIMBits are the RSA key sizes seg generates and accepts.
var DKIMBits = []int{1024, 2048, 3072, 4096}

// Key returns the named key (case-insensitive) or nil.
func (d *DomainKeys) Key(name string) *DKIMKey {
	for i := range d.Keys {
		if equalFold(d.Keys[i].Name, name) {
			return &d.Keys[i]
		}
	}
	return nil
}

// Profile returns the named profile (case-insensitive) or nil.
func (d *DomainKeys) Profile(name string) *DKIMProfile {
	for i := range d.Profiles {
		if equalFold(d.Profiles[i].Name, name) {
			return &d.Profiles[i]
		}
	}
	return nil
}

// KeyUsers are the names of the profiles that sign with the named key.
func (d *DomainKeys) KeyUsers(key string) []string {
	var out []string
	for _, p := range d.Profiles {
		if equalFold(p.Key, key) {
			out = append(out, p.Name)
		}
	}
	return out
}

// HeaderList is the profile's h= list.
func (p *DKIMProfile) HeaderList() []string {
	if len(p.Headers) == 0 {
		return DefaultDKIMHeaders
	}
	return p.Headers
}

// Canonicalization is the profile's header and body canonicalisation.
func (p *DKIMProfile) Canonicalization() (header, body string) {
	c := p.Canon
	if c == "" {
		c = DefaultDKIMCanon
	}
	header, body, _ = strings.Cut(c, "/")
	return header, body
}

// ProfileFor returns the profile that signs mail from addr (the From:
// header's address): the first profile in order whose user list matches
// it, else the first without a user list whose domain is addr's domain;
// nil when none does.
func (d *DomainKeys) ProfileFor(addr string) *DKIMProfile {
	for i := range d.Profiles {
		if p := &d.Profiles[i]; len(p.Users) > 0 && matchAny(p.Users, addr) {
			return p
		}
	}
	_, domain, ok := splitAddress(addr)
	if !ok || domain == "" {
		return nil
	}
	for i := range d.Profiles {
		if p := &d.Profiles[i]; len(p.Users) == 0 && equalFold(p.Domain, domain) {
			return p
		}
	}
	return nil
}

// CanonDKIMUser validates one user list entry and returns it in policy
// member form: user@example.com, @example.com or example.com (a domain),
// @.example.com or .example.com (its subdomains), user@ (any domain).
func CanonDKIMUser(s string) (string, error) {
	m := strings.TrimSpace(s)
	if m != "" && !strings.Contains(m, "@") {
		m = "@" + m // AsyncOS writes domains without the @
	}
	c, err := CanonPolicyMember(m)
	if err != nil {
		return "", fmt.Errorf("%s is not a valid user entry; use user@example.com, example.com, .example.com (its subdomains) or user@", Excerpt(s))
	}
	return c, nil
}

// ParseDKIMKey parses a PEM private key (PKCS #8, or PKCS #1 for RSA)
// and returns it with its algorithm.
func ParseDKIMKey(text string) (crypto.Signer, string, error) {
	b, _ := pem.Decode([]byte(text))
	if b == nil {
		return nil, "", errors.New("no PEM private key (-----BEGIN PRIVATE KEY-----)")
	}
	var (
		k   any
		err error
	)
	switch b.Type {
	case "PRIVATE KEY":
		k, err = x509.ParsePKCS8PrivateKey(b.Bytes)
	case "RSA PRIVATE KEY":
		k, err = x509.ParsePKCS1PrivateKey(b.Bytes)
	default:
		return nil, "", fmt.Errorf("a PEM %s block is not a private key", Excerpt(b.Type))
	}
	if err != nil {
		return nil, "", errors.New("the private key cannot be read")
	}
	switch k := k.(type) {
	case *rsa.PrivateKey:
		if bits := k.N.BitLen(); bits < DKIMBits[0] || bits > DKIMBits[len(DKIMBits)-1] {
			return nil, "", fmt.Errorf("an RSA key of %d bits; DKIM needs %d to %d (RFC 8301)", bits, DKIMBits[0], DKIMBits[len(DKIMBits)-1])
		}
		return k, DKIMRSA, nil
	case ed25519.PrivateKey:
		return k, DKIMEd25519, nil
	}
	return nil, "", fmt.Errorf("a %T key; DKIM signs with RSA or Ed25519", k)
}

// NewDKIMKey makes a key entry from a parsed key, stored as PKCS #8.
func NewDKIMKey(name string, key crypto.Signer, created time.Time) (DKIMKey, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return DKIMKey{}, err
	}
	text := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	_, alg, err := ParseDKIMKey(text)
	if err != nil {
		return DKIMKey{}, err
	}
	return DKIMKey{Name: name, Algorithm: alg, PrivateKey: text, Created: created}, nil
}

// GenerateDKIMKey makes a new key: RSA of bits (0: DefaultDKIMBits) or
// Ed25519.
func GenerateDKIMKey(name, alg string, bits int, created time.Time) (DKIMKey, error) {
	var key crypto.Signer
	switch alg {
	case DKIMRSA, "":
		if bits == 0 {
			bits = DefaultDKIMBits
		}
		if !slices.Contains(DKIMBits, bits) {
			return DKIMKey{}, fmt.Errorf("RSA keys have 1024, 2048, 3072 or 4096 bits, not %d", bits)
		}
		k, err := rsa.GenerateKey(rand.Reader, bits)
		if err != nil {
			return DKIMKey{}, err
		}
		key = k
	case DKIMEd25519:
		if bits != 0 {
			return DKIMKey{}, errors.New("Ed25519 keys have no size to choose")
		}
		_, k, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return DKIMKey{}, err
		}
		key = k
	default:
		return DKIMKey{}, fmt.Errorf("unknown key type %s (rsa or ed25519)", Excerpt(alg))
	}
	return NewDKIMKey(name, key, created)
}

// DKIMPublicKey is the p= value of the key's DNS record (RFC 6376
// section 3.6.1): the RSA public key as SubjectPublicKeyInfo DER, what
// opendkim-genkey publishes and every verifier reads; the raw 32 octets
// of an Ed25519 key (RFC 8463 section 4.2); in base64.
func DKIMPublicKey(k *DKIMKey) (string, error) {
	key, _, err := ParseDKIMKey(k.PrivateKey)
	if err != nil {
		return "", err
	}
	var der []byte
	switch pub := key.Public().(type) {
	case ed25519.PublicKey:
		der = pub
	default:
		if der, err = x509.MarshalPKIXPublicKey(pub); err != nil {
			return "", err
		}
	}
	return base64.StdEncoding.EncodeToString(der), nil
}

// DKIMRecord is the text of the TXT record to publish at
// SELECTOR._domainkey.DOMAIN for a key (RFC 6376 section 3.6.1).
func DKIMRecord(k *DKIMKey) (string, error) {
	p, err := DKIMPublicKey(k)
	if err != nil {
		return "", err
	}
	return "v=DKIM1; k=" + k.Algorithm + "; p=" + p, nil
}

// CheckDKIMName validates a key or profile name: a letter, then
// letters, digits, '_' and '-', at most 64.
func CheckDKIMName(kind, name string) error {
	if !ValidAddressListName(name) {
		return fmt.Errorf("%s is not a valid %s name (a letter, then letters, digits, '_' or '-', at most %d)", shortName(name), kind, MaxNameLength)
	}
	return nil
}

// ValidHeaderName reports whether s is a header field name (RFC 5322
// section 3.6.8: printable ASCII but ':').
func ValidHeaderName(s string) bool {
	if s == "" || len(s) > 76 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 33 || s[i] > 126 || s[i] == ':' {
			return false
		}
	}
	return true
}

func (c *Config) validateDomainKeys(p *problems) {
	*p = append(*p, c.DomainKeys.Problems()...)
}

// Problems checks the keys and profiles on their own (the rest of the
// configuration plays no part), for commit's validation and for the
// domainkeys command, which refuses a change that makes one at once.
func (d *DomainKeys) Problems() []string {
	var list problems
	p := &list
	if len(d.Keys) > MaxDKIMKeys {
		p.add("domainkeys: %d keys; at most %d", len(d.Keys), MaxDKIMKeys)
	}
	if len(d.Profiles) > MaxDKIMProfiles {
		p.add("domainkeys: %d profiles; at most %d", len(d.Profiles), MaxDKIMProfiles)
	}
	seen := map[string]bool{}
	for _, k := range d.Keys {
		obj := "domainkeys key " + Excerpt(k.Name)
		if err := CheckDKIMName("key", k.Name); err != nil {
			p.add("%s: %v", obj, err)
		}
		if n := lowerASCII(k.Name); seen[n] {
			p.add("%s: the name is used twice", obj)
		} else {
			seen[n] = true
		}
		switch _, alg, err := ParseDKIMKey(k.PrivateKey); {
		case k.PrivateKey == MaskedKey:
			p.add("%s: the private key is masked (a file saved by a non-admin); import the key again", obj)
		case len(k.PrivateKey) > MaxDKIMKeyPEM:
			p.add("%s: the private key is over %d octets", obj, MaxDKIMKeyPEM)
		case err != nil:
			p.add("%s: %v", obj, err)
		case alg != k.Algorithm:
			p.add("%s: the key is %s, not %s", obj, alg, Excerpt(k.Algorithm))
		}
		if k.Created.IsZero() {
			p.add("%s: no creation time", obj)
		}
	}
	seen = map[string]bool{}
	signs := map[string]string{} // domain and user list -> profile
	for _, pr := range d.Profiles {
		obj := "domainkeys profile " + Excerpt(pr.Name)
		if err := CheckDKIMName("profile", pr.Name); err != nil {
			p.add("%s: %v", obj, err)
		}
		if n := lowerASCII(pr.Name); seen[n] {
			p.add("%s: the name is used twice", obj)
		} else {
			seen[n] = true
		}
		if !ValidDomain(pr.Domain) {
			p.add("%s: domain %s is not a valid domain name", obj, Excerpt(pr.Domain))
		}
		// RFC 6376 section 3.1: a selector is one or more DNS labels.
		if !ValidDomain(pr.Selector) || len(pr.Selector)+len("._domainkey.")+len(pr.Domain) > 253 {
			p.add("%s: selector %s is not a valid selector (DNS labels: letters, digits and hyphens, separated by dots)", obj, Excerpt(pr.Selector))
		}
		if d.Key(pr.Key) == nil {
			p.add("%s: key %s does not exist (domainkeys key print lists them)", obj, Excerpt(pr.Key))
		}
		if err := CheckDKIMHeaders(pr.Headers); err != nil && len(pr.Headers) > 0 {
			p.add("%s: %v", obj, err)
		}
		if pr.Canon != "" && !slices.Contains(DKIMCanons, pr.Canon) {
			p.add("%s: canonicalization %s is not one of %s", obj, Excerpt(pr.Canon), strings.Join(DKIMCanons, ", "))
		}
		users := make([]string, 0, len(pr.Users))
		for _, u := range pr.Users {
			cu, err := CanonDKIMUser(u)
			if err != nil {
				p.add("%s: %v", obj, err)
			} else if cu != u {
				p.add("%s: user entry %s is not in its canonical form %s", obj, Excerpt(u), Excerpt(cu))
			}
			users = append(users, cu)
		}
		slices.Sort(users)
		key := lowerASCII(pr.Domain) + " " + strings.Join(slices.Compact(users), ",")
		if other, ok := signs[key]; ok {
			p.add("%s: profile %s already signs for domain %s with the same user list", obj, Excerpt(other), Excerpt(pr.Domain))
		} else {
			signs[key] = pr.Name
		}
	}
	return list
}

// CheckDKIMHeaders validates a profile's header list: field names with
// From among them (RFC 6376 section 5.4: From MUST be signed). A name
// may be listed twice: one more than the message has "oversigns" it, so
// that a field of that name added later breaks the signature (section
// 8.15).
func CheckDKIMHeaders(h []string) error {
	if len(h) > 64 {
		return fmt.Errorf("%d headers; at most 64", len(h))
	}
	from := false
	for _, f := range h {
		if !ValidHeaderName(f) {
			return fmt.Errorf("header %s is not a header field name", Excerpt(f))
		}
		from = from || lowerASCII(f) == "from"
	}
	if !from {
		return errors.New("the header list must include From (RFC 6376 section 5.4)")
	}
	return nil
}
