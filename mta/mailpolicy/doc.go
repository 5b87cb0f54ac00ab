// Package mailpolicy is the mail-policy split (SPEC 2): which recipients of a
// received message match which mail policy, of the incoming table, or of
// the outgoing one for mail received under RELAY. mta/smtpd splits each
// message after DATA: the part of the first policy in table order keeps
// the MID and its RIDs, every other part becomes a message of its own
// with a new MID and RIDs from 0, and each is logged in AsyncOS's words
// (LogSplit, LogMatched).
//
// What a policy then does with its part is its consumers' business, not
// this package's: mta/tdc journals the parts whose policy says so, and
// mta/mta.go wires it into mta/smtpd (smtpd.Deps.Journal), so that
// neither the split nor smtpd depends on the Threat Defense Connector or
// on delivery.
package mailpolicy
