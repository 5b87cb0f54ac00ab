package shell

import "strings"

// auditLine is line as cli_logs records it: the values of the command's
// SecretOpts (bvconfig new --text) replaced by the mask, so that a secret
// typed on the command line does not end up in a log that outlives it.
func (s *Session) auditLine(line string) string {
	words, err := Tokenize(line)
	if err != nil || len(words) == 0 || s.Commands == nil {
		return line
	}
	cmd, ok := s.Commands.Lookup(words[0])
	if !ok || len(cmd.SecretOpts) == 0 {
		return line
	}
	masked := false
	for i := 1; i < len(words); i++ {
		for _, o := range cmd.SecretOpts {
			switch w := words[i]; {
			case w == "--"+o && i+1 < len(words):
				i++
				words[i], masked = maskedHash, true
			case strings.HasPrefix(w, "--"+o+"="):
				words[i], masked = "--"+o+"="+maskedHash, true
			}
		}
	}
	if !masked {
		return line
	}
	return strings.Join(words, " ")
}
