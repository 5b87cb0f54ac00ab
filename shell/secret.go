package shell

// Secrets typed at a question (passwords, key text) are read without
// echo on a terminal, as AsyncOS does; a session reading a script or a
// pipe has no screen to hide them from and reads them as ordinary lines.

// PasswordReader is implemented by readers that can read a line without
// echoing it (the terminal).
type PasswordReader interface {
	ReadPassword(prompt string) (string, error)
}

// ReadSecret prints question after a blank line and reads one answer with
// the "[]> " prompt, hidden when the reader can hide it. Errors are the
// reader's (io.EOF at end of input, ErrInterrupt on Ctrl-C).
func ReadSecret(c *Ctx, question string) (string, error) {
	c.Printf("\n%s\n", question)
	if pr, ok := c.S.In.(PasswordReader); ok {
		return pr.ReadPassword("[]> ")
	}
	return c.S.In.ReadLine("[]> ")
}
