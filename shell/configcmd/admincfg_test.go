package configcmd

import (
	"testing"

	"seg/store"
)

func TestSshconfigBatch(t *testing.T) {
	b := newBatch(t)
	if got := b.ok("sshconfig print"); got != "SSH server: address 127.0.0.1 port 2222\n" {
		t.Errorf("print: %q", got)
	}
	b.ok("sshconfig setup --port 2200")
	b.ok("sshconfig setup --address ::1")
	if got := b.cfg().SSH; got != (store.SSHConfig{Address: "::1", Port: 2200}) {
		t.Errorf("ssh = %+v", got)
	}
	b.commit()
	b.fail("sshconfig setup --port 2525 --address 127.0.0.1", "127.0.0.1 port 2525 is already used by listener IncomingMail.")
	b.fail("sshconfig setup --port 2525 --address 0.0.0.0", "already used by listener IncomingMail")
	b.fail("sshconfig setup --port 0", "The port must be a number from 1 to 65535")
	b.fail("sshconfig setup --address localhost", `"localhost" is not an IP address`)
	b.fail("sshconfig setup", "Usage: sshconfig setup")
	b.fail("sshconfig setup --user x", "Unknown option --user")
	b.fail("sshconfig frob", `Unknown sshconfig operation "frob"`)
}

func TestMetricsconfigBatch(t *testing.T) {
	b := newBatch(t)
	if got := b.ok("metricsconfig print"); got != "Metrics endpoint: disabled\n" {
		t.Errorf("print: %q", got)
	}
	b.ok("metricsconfig setup --address 127.0.0.1:9100")
	if got := b.cfg().Metrics.Address; got != "127.0.0.1:9100" {
		t.Errorf("metrics = %q", got)
	}
	if got := b.ok("metricsconfig print"); got != "Metrics endpoint: 127.0.0.1:9100\n" {
		t.Errorf("print: %q", got)
	}
	b.commit()
	b.fail("sshconfig setup --port 9100", "already used by the metrics endpoint")
	b.fail("metricsconfig setup --address 127.0.0.1:2222", "127.0.0.1:2222 is already used by the SSH server.")
	b.fail("metricsconfig setup --address localhost:9100", `"localhost" is not an IP address`)
	b.fail("metricsconfig setup --address 127.0.0.1", "must be IP:PORT")
	b.fail("metricsconfig setup --off --address 127.0.0.1:1", "Usage: metricsconfig setup")
	b.fail("metricsconfig setup", "Usage: metricsconfig setup")
	b.ok("metricsconfig setup --address [::1]:9101")
	if got := b.cfg().Metrics.Address; got != "[::1]:9101" {
		t.Errorf("metrics = %q", got)
	}
	b.ok("metricsconfig setup --off")
	if got := b.cfg().Metrics.Address; got != "" {
		t.Errorf("metrics = %q", got)
	}
	b.commit()
}

func TestAdminTranscripts(t *testing.T) {
	transcript(t, "sshconfig.txt")
	transcript(t, "metricsconfig.txt")
}
