package smtpd

import (
	"math"
	"strconv"
	"strings"

	"seg/internal/address"
)

// The ESMTP parameters of MAIL and RCPT (RFC 5321 section 4.1.2), checked
// in the order given: the first one seg cannot take is answered.
// Extensions seg does not offer are refused with 504 (command parameter
// not implemented), parameters no extension defines with 500.

// mailParams checks MAIL's parameters and returns the declared SIZE (0:
// none). SIZE is RFC 1870's (1*20DIGIT; a size above any limit is the
// session's 552, not a syntax error), BODY RFC 6152's 7BIT or 8BITMIME,
// and AUTH RFC 4954 section 5's, taken and ignored.
func mailParams(ps []address.Param) (int64, *smtpError) {
	var size int64
	for _, p := range ps {
		switch k := strings.ToUpper(p.Keyword); k {
		case "SIZE":
			n, err := strconv.ParseUint(p.Value, 10, 64)
			if err != nil && !isRangeErr(err) {
				return 0, smtpErr(501, enhancedCode{5, 5, 4}, "Unable to parse SIZE as an integer")
			}
			size = int64(min(n, math.MaxInt64))
		case "BODY":
			switch strings.ToUpper(p.Value) {
			case "7BIT", "8BITMIME":
			case "BINARYMIME":
				return 0, smtpErr(504, enhancedCode{5, 5, 4}, "BINARYMIME is not implemented")
			default:
				return 0, smtpErr(501, enhancedCode{5, 5, 4}, "Unknown BODY value")
			}
		case "AUTH":
			if err := authParam(p.Value); err != nil {
				return 0, err
			}
		case "SMTPUTF8", "REQUIRETLS", "RET", "ENVID":
			return 0, smtpErr(504, enhancedCode{5, 5, 4}, k+" is not implemented")
		default:
			return 0, smtpErr(500, enhancedCode{5, 5, 4}, "Unknown MAIL FROM argument")
		}
	}
	return size, nil
}

// isRangeErr: ParseUint's "too large", for 20 digits over 2^64.
func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// authParam checks MAIL's AUTH=: "<>" or a mailbox, in xtext (RFC 3461
// section 4: "+" and two upper-case hex digits stand for a byte).
func authParam(v string) *smtpError {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] != '+' {
			b.WriteByte(v[i])
			continue
		}
		if i+2 >= len(v) || !isUpperHex(v[i+1]) || !isUpperHex(v[i+2]) {
			return smtpErr(500, enhancedCode{5, 5, 4}, "Malformed AUTH parameter value")
		}
		n, _ := strconv.ParseUint(v[i+1:i+3], 16, 8)
		b.WriteByte(byte(n))
		i += 2
	}
	switch s := b.String(); {
	case s == "":
		return smtpErr(500, enhancedCode{5, 5, 4}, "Malformed AUTH parameter value")
	case s == "<>":
		return nil
	default:
		if _, err := address.Parse(s); err != nil {
			return smtpErr(500, enhancedCode{5, 5, 4}, "Malformed AUTH parameter mailbox")
		}
	}
	return nil
}

func isUpperHex(c byte) bool { return '0' <= c && c <= '9' || 'A' <= c && c <= 'F' }

// rcptParams checks RCPT's parameters: seg offers no extension that
// defines one (DSN's NOTIFY and ORCPT, RRVS, DELIVERBY, MT-PRIORITY).
func rcptParams(ps []address.Param) *smtpError {
	for _, p := range ps {
		switch k := strings.ToUpper(p.Keyword); k {
		case "NOTIFY", "ORCPT", "RRVS", "MT-PRIORITY":
			return smtpErr(504, enhancedCode{5, 5, 4}, k+" is not implemented")
		case "BY":
			return smtpErr(504, enhancedCode{5, 5, 4}, "DELIVERBY is not implemented")
		default:
			return smtpErr(500, enhancedCode{5, 5, 4}, "Unknown RCPT TO argument")
		}
	}
	return nil
}
