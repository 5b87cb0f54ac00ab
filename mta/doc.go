// Package mta is seg's embedded mail transfer agent: listeners with HAT
// and RAT (mta/smtpd), the durable queue (mta/queue), delivery
// (mta/delivery), DNS (mta/dns), counters (mta/counters), mail_logs
// (mta/maillog). This package wires them together and serves the shell's
// MailSystem.
package mta
