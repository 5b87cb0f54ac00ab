package segtest

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"

	"golang.org/x/sys/unix"
)

// StartConsole runs `seg run --data DIR --console` with a pseudo-terminal
// as its standard input and output (its standard error goes to Stderr and Output),
// returns once the control socket answers, and gives the terminal to
// drive the console shell with.
func (a *Appliance) StartConsole() *Terminal {
	a.t.Helper()
	if a.Running() {
		a.t.Fatal("segtest: StartConsole: the appliance is already running")
	}
	master, slave, err := openPTY()
	if err != nil {
		a.t.Fatalf("segtest: opening a pty: %v", err)
	}
	a.t.Cleanup(func() { master.Close() })
	cmd := exec.Command(a.bin, "run", "--data", a.Dir, "--console")
	out := &output{}
	_, stderr := out.streams()
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, stderr
	a.run(cmd, out)
	slave.Close() // the child has its own copy
	return NewTerminal(master, master)
}

// consoleRows is the console's height: tall enough that no test output
// is paged (a test of paging sets its own size, see OpenPTY).
const consoleRows = 1000

// openPTY opens a pseudo-terminal pair (posix_openpt, unlockpt,
// ptsname), 80 columns by consoleRows.
func openPTY() (master, slave *os.File, err error) {
	return OpenPTY(consoleRows, 80)
}

// OpenPTY opens a pseudo-terminal pair of rows x cols: a program given
// slave as its terminal (ssh -tt, seg cli) sees that window size.
func OpenPTY(rows, cols uint16) (master, slave *os.File, err error) {
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, err
	}
	fd := int(m.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		m.Close()
		return nil, nil, fmt.Errorf("unlockpt: %w", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		m.Close()
		return nil, nil, fmt.Errorf("ptsname: %w", err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		m.Close()
		return nil, nil, err
	}
	if err := unix.IoctlSetWinsize(int(s.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: rows, Col: cols}); err != nil {
		m.Close()
		s.Close()
		return nil, nil, fmt.Errorf("setting the window size: %w", err)
	}
	return m, s, nil
}
