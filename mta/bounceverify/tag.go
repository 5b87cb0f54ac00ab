// Package bounceverify makes and checks bounce verification tags (SPEC
// 10 and 11): an envelope sender user@domain leaves as
// prvs=KDDDSSSSSS=user@domain, and a bounce (MAIL FROM:<>) comes back to
// that address. The layout is BATV's (draft-levine-smtp-batv-01 section
// 4.1): K is the key number (one digit), DDD the last three digits of
// the day number (days since 1970-01-01, UTC) on which the tag expires,
// and SSSSSS the first three octets, in hex, of an HMAC of "KDDD" and
// the address. Where BATV uses HMAC-SHA1, seg uses HMAC-SHA256 (RFC
// 2104, FIPS 180-4), truncated the same way.
package bounceverify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"seg/store"
)

// TagDays is how long a tag is valid: it expires TagDays days after the
// day it was made (AsyncOS's seven-day grace period).
const TagDays = 7

// prefix is BATV's tag-type for "private signature" (draft section 4.1).
const prefix = "prvs="

// Tag is a parsed tag.
type Tag struct {
	Key  int    // K: the key number, 0-9
	Day  int    // DDD: the expiry day number modulo 1000
	Sig  string // SSSSSS: six hex digits, lower case
	Orig string // the untagged address, "user@domain"
}

// Day is the BATV day number of t: whole days since 1970-01-01 UTC.
func Day(t time.Time) int { return int(t.Unix() / 86400) }

// Parse reads a tagged address, "prvs=KDDDSSSSSS=user@domain" (the
// prefix in any case). ok is false for an address without the prefix;
// tagged is true when the prefix is there (then !ok means malformed).
func Parse(addr string) (t Tag, tagged, ok bool) {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return Tag{}, false, false
	}
	local, domain := addr[:at], addr[at+1:]
	if len(local) < len(prefix) || !strings.EqualFold(local[:len(prefix)], prefix) {
		return Tag{}, false, false
	}
	val, user, found := strings.Cut(local[len(prefix):], "=")
	if !found || len(val) != 10 || user == "" || domain == "" {
		return Tag{}, true, false
	}
	for i := 0; i < 4; i++ {
		if val[i] < '0' || val[i] > '9' {
			return Tag{}, true, false
		}
	}
	sig := strings.ToLower(val[4:])
	if _, err := hex.DecodeString(sig); err != nil {
		return Tag{}, true, false
	}
	return Tag{
		Key:  int(val[0] - '0'),
		Day:  int(val[1]-'0')*100 + int(val[2]-'0')*10 + int(val[3]-'0'),
		Sig:  sig,
		Orig: user + "@" + domain,
	}, true, true
}

// sig is the six hex digits for the key number and day field kd
// ("KDDD") and the address. The address is compared without case: a
// bounce may come back with the domain, or the whole address, in another
// case than it left with.
func sig(kd, addr, secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(kd))
	m.Write([]byte(strings.ToLower(addr)))
	return hex.EncodeToString(m.Sum(nil)[:3])
}

func kdField(key, day int) string {
	d := day % 1000
	return string([]byte{byte('0' + key), byte('0' + d/100), byte('0' + d/10%10), byte('0' + d%10)})
}

// Sign returns addr ("user@domain") tagged with key, expiring on the
// given day number (Day(now)+TagDays for a tag made now). An address
// that is already tagged is returned as it is (AsyncOS does not tag
// twice).
func Sign(addr string, day int, key store.BVKey) string {
	if _, tagged, _ := Parse(addr); tagged {
		return addr
	}
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return addr
	}
	kd := kdField(key.Number, day)
	return prefix + kd + sig(kd, addr, key.Secret) + "=" + addr
}

// SignNow tags addr with the newest key of bv, valid for TagDays from
// now; ok is false when bv has no key.
func SignNow(bv *store.BounceVerification, addr string, now time.Time) (string, bool) {
	if len(bv.Keys) == 0 {
		return addr, false
	}
	return Sign(addr, Day(now)+TagDays, bv.Keys[len(bv.Keys)-1]), true
}

// Reasons Verify gives for a tag it refuses.
const (
	ReasonUntagged   = "untagged"
	ReasonMalformed  = "malformed tag"
	ReasonUnknownKey = "unknown key"
	ReasonOldKey     = "key retired"
	ReasonExpired    = "tag expired"
	ReasonSignature  = "bad signature"
)

// Verify checks addr's tag against the keys of bv at now. It returns the
// untagged address and ok for a valid, unexpired tag; otherwise why not.
// A key that a newer one replaced verifies for bv's old-key days after
// the newer key's creation.
func Verify(bv *store.BounceVerification, addr string, now time.Time) (orig string, ok bool, reason string) {
	t, tagged, valid := Parse(addr)
	switch {
	case !tagged:
		return addr, false, ReasonUntagged
	case !valid:
		return addr, false, ReasonMalformed
	}
	idx := -1
	for i, k := range bv.Keys {
		if k.Number == t.Key {
			idx = i
		}
	}
	if idx < 0 {
		return addr, false, ReasonUnknownKey
	}
	key := bv.Keys[idx]
	if idx < len(bv.Keys)-1 {
		grace := time.Duration(bv.OldKeyDaysOrDefault()) * 24 * time.Hour
		if !now.Before(bv.Keys[idx+1].Created.Add(grace)) {
			return addr, false, ReasonOldKey
		}
	}
	// The tag carries its expiry day modulo 1000: valid from today up to
	// TagDays ahead (a tag made now expires Day(now)+TagDays).
	if left := (t.Day - Day(now)%1000 + 1000) % 1000; left > TagDays {
		return addr, false, ReasonExpired
	}
	want := sig(kdField(t.Key, t.Day), t.Orig, key.Secret)
	if !hmac.Equal([]byte(want), []byte(t.Sig)) {
		return addr, false, ReasonSignature
	}
	return t.Orig, true, ""
}
