package shell

// Operations that many config commands share, in one shape each.

// PrintOp is a "print" operation: no arguments, text printed (after a
// blank line in the menu, as AsyncOS separates its screens).
func PrintOp[T any](desc string, text func(c *Ctx, t T) string) Operation[T] {
	return Operation[T]{Name: "print", Desc: desc,
		Batch: func(c *Ctx, t T, args []string) error {
			if len(args) != 0 {
				return ErrUsage
			}
			c.Printf("%s", text(c, t))
			return nil
		},
		Menu: func(c *Ctx, t T) error {
			c.Printf("\n%s", text(c, t))
			return nil
		}}
}

// OneName is a batch handler that takes exactly one word (a name, after
// UserWords' checks) and hands it to f.
func OneName[T any](f func(c *Ctx, t T, name string) error) func(c *Ctx, t T, args []string) error {
	return func(c *Ctx, t T, args []string) error {
		words, err := UserWords(args)
		if err != nil {
			return err
		}
		if len(words) != 1 {
			return ErrUsage
		}
		return f(c, t, words[0])
	}
}
