package store

import (
	"time"
)

// BounceVerification is bvconfig's key store (SPEC 11): the keys that
// sign and verify prvs= tags (mta/bounceverify), and how long a key that
// a newer one replaced still verifies. The secrets are as sensitive as
// password hashes: showconfig masks them, saveconfig writes them only
// for an admin, and bvconfig print never shows them. Operators may
// change the keys (not AdminOnly): they are mail configuration, not
// accounts.
type BounceVerification struct {
	Keys []BVKey `json:"keys,omitempty"` // oldest first; the last one signs
	// OldKeyDays is how many days a key still verifies after a newer key
	// was created; 0 means DefaultOldKeyDays.
	OldKeyDays int `json:"old_key_days,omitempty"`
}

// BVKey is one bounce verification key. Number (0-9) is the digit the
// tag carries (BATV's K), so that the verifier picks the key without
// trying each.
type BVKey struct {
	Name    string    `json:"name"`
	Number  int       `json:"number"`
	Secret  string    `json:"secret"`
	Created time.Time `json:"created"`
}

// Limits of the key store.
const (
	DefaultOldKeyDays = 7
	MaxOldKeyDays     = 365
	MaxBVKeys         = 10 // one per tag digit
	MaxBVSecret       = 1024
)

// OldKeyDaysOrDefault is OldKeyDays, or DefaultOldKeyDays when unset.
func (b *BounceVerification) OldKeyDaysOrDefault() int {
	if b.OldKeyDays <= 0 {
		return DefaultOldKeyDays
	}
	return b.OldKeyDays
}

// Key returns the named key (case-insensitive) or nil.
func (b *BounceVerification) Key(name string) *BVKey {
	for i := range b.Keys {
		if equalFold(b.Keys[i].Name, name) {
			return &b.Keys[i]
		}
	}
	return nil
}

// FreeNumber is the lowest tag digit no key uses, or -1 when all ten are
// taken.
func (b *BounceVerification) FreeNumber() int {
	used := map[int]bool{}
	for _, k := range b.Keys {
		used[k.Number] = true
	}
	for n := 0; n < MaxBVKeys; n++ {
		if !used[n] {
			return n
		}
	}
	return -1
}

func (c *Config) validateBounceVerification(p *problems) {
	b := &c.BounceVerification
	if b.OldKeyDays < 0 || b.OldKeyDays > MaxOldKeyDays {
		p.add("bvconfig: old_key_days %d is out of range (1-%d)", b.OldKeyDays, MaxOldKeyDays)
	}
	if len(b.Keys) > MaxBVKeys {
		p.add("bvconfig: %d keys; at most %d", len(b.Keys), MaxBVKeys)
	}
	names, nums := map[string]bool{}, map[int]bool{}
	for i, k := range b.Keys {
		obj := "bvconfig key " + Excerpt(k.Name)
		if !ValidAddressListName(k.Name) {
			p.add("bvconfig: key name %s: letters, digits, '_' and '-', at most 64, starting with a letter", Excerpt(k.Name))
		}
		if n := lowerASCII(k.Name); names[n] {
			p.add("%s: the name is used twice", obj)
		} else {
			names[n] = true
		}
		if k.Number < 0 || k.Number >= MaxBVKeys {
			p.add("%s: number %d is out of range (0-9)", obj, k.Number)
		} else if nums[k.Number] {
			p.add("%s: number %d is used twice", obj, k.Number)
		}
		nums[k.Number] = true
		if k.Secret == "" || len(k.Secret) > MaxBVSecret {
			p.add("%s: the secret must have 1 to %d characters", obj, MaxBVSecret)
		}
		if k.Created.IsZero() {
			p.add("%s: no creation time", obj)
		} else if i > 0 && k.Created.Before(b.Keys[i-1].Created) {
			p.add("%s: keys must be in creation order (the newest last)", obj)
		}
	}
}
