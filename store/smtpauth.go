package store

// The values of smtpauth_allow (FlowSettings.SMTPAuthAllow, SPEC 10).
const (
	SMTPAuthOff      = "off"      // AUTH is neither offered nor accepted
	SMTPAuthOn       = "on"       // offered; mail without it is taken too
	SMTPAuthRequired = "required" // MAIL before a successful AUTH is refused
)
