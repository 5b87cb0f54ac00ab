package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"seg/internal/ctl"
	"seg/store"

	"seg/internal/segtest"
)

// showconfig returns the configuration `seg cli showconfig` prints.
func showconfig(t *testing.T, a *segtest.Appliance) (*store.Config, string) {
	t.Helper()
	out := a.MustCli("showconfig")
	var cfg store.Config
	if err := json.Unmarshal([]byte(out), &cfg); err != nil {
		t.Fatalf("showconfig is not the JSON config tree: %v\n%s", err, out)
	}
	return &cfg, out
}

// unmaskedConfig is the running configuration with its secrets (`seg
// cli showconfig nomask`): a file made of it loads.
func unmaskedConfig(t *testing.T, a *segtest.Appliance) *store.Config {
	t.Helper()
	var cfg store.Config
	if err := json.Unmarshal([]byte(a.MustCli("showconfig nomask")), &cfg); err != nil {
		t.Fatalf("showconfig nomask: %v", err)
	}
	return &cfg
}

func TestFirstStartWritesDefault(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	a := segtest.Open(t, dir)
	a.Start("--hostname", "mx1.example.com")
	m := regexp.MustCompile(`Initial password for user admin: (\S+)`).FindStringSubmatch(a.Stdout())
	if m == nil {
		t.Fatalf("no generated password on stdout:\n%s", a.Stdout())
	}
	pwFile := filepath.Join(dir, "initial-admin-password")
	b, err := os.ReadFile(pwFile)
	if err != nil || strings.TrimSpace(string(b)) != m[1] {
		t.Fatalf("%s: %q, %v; printed %q", pwFile, b, err, m[1])
	}
	for path, mode := range map[string]os.FileMode{
		pwFile: 0o600,
		filepath.Join(dir, "ssh_host_ed25519_key"): 0o600,
		filepath.Join(dir, "seg.sock"):             0o600,
		filepath.Join(dir, "config.db"):            0o600,
		filepath.Join(dir, "logs"):                 0o700 | os.ModeDir,
		filepath.Join(dir, "configuration"):        0o700 | os.ModeDir,
	} {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Mode() &^ os.ModeSocket; got != mode {
			t.Errorf("%s: mode %v, want %v", path, got, mode)
		}
	}
	cfg, _ := showconfig(t, a)
	if cfg.System.Hostname != "mx1.example.com" || len(cfg.Listeners) != 1 || cfg.Listeners[0].Name != "IncomingMail" ||
		cfg.SSH.Port != 2222 || cfg.User("admin") == nil {
		t.Fatalf("not the embedded default: %+v", cfg)
	}
	if rat := cfg.Listeners[0].RAT; len(rat) != 1 || rat[0].Entry != "ALL" || rat[0].Action != "REJECT" {
		t.Fatalf("default RAT %+v, want ALL REJECT", rat)
	}
	key1, _ := os.ReadFile(filepath.Join(dir, "ssh_host_ed25519_key"))
	a.Stop()
	if _, err := os.Stat(filepath.Join(dir, "seg.sock")); !os.IsNotExist(err) {
		t.Errorf("socket left after a clean stop: %v", err)
	}

	// The generated password is the admin's.
	st, err := store.OpenBolt(filepath.Join(dir, "config.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	snap, _ := st.Current()
	ok := store.CheckPassword(snap.Config.User("admin").PasswordHash, m[1])
	st.Close()
	if !ok {
		t.Fatal("the printed password does not match the admin's hash")
	}

	// A restart keeps the configuration and the host key, and prints no
	// password.
	a.Start()
	if strings.Contains(a.Stdout(), "Initial password") {
		t.Errorf("second start printed a password:\n%s", a.Stdout())
	}
	key2, _ := os.ReadFile(filepath.Join(dir, "ssh_host_ed25519_key"))
	if !bytes.Equal(key1, key2) {
		t.Error("host key changed across restarts")
	}
	a.Stop()
}

func TestAdminPasswordFromEnvironment(t *testing.T) {
	dir := t.TempDir()
	a := segtest.Open(t, dir)
	a.Password = "from-the-env"
	r := a.CliInput("", "sshconfig print")
	if r.Code != 0 || strings.Contains(r.Stdout+r.Stderr, "Initial password") {
		t.Fatalf("%s", r)
	}
	if _, err := os.Stat(filepath.Join(dir, "initial-admin-password")); !os.IsNotExist(err) {
		t.Fatalf("password file written for a password from the environment: %v", err)
	}
	st, err := store.OpenBolt(filepath.Join(dir, "config.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	snap, _ := st.Current()
	if !store.CheckPassword(snap.Config.User("admin").PasswordHash, "from-the-env") {
		t.Fatal("admin password is not SEG_ADMIN_PASSWORD")
	}
	// Too short a password is refused, with a reason, and nothing is
	// created.
	a2 := segtest.Open(t, t.TempDir())
	a2.Password = "short"
	r = a2.CliInput("", "sshconfig print")
	if r.Code != 1 || !strings.Contains(r.Stderr, "SEG_ADMIN_PASSWORD") {
		t.Fatalf("short password: %s", r)
	}
}

func TestCLIUsage(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"cli", "--data", dir, "--bogus"},
		{"cli", "--data", dir, "-f", filepath.Join(dir, "missing.txt")},
		{"cli", "--data", dir, "-f", "x", "sshconfig", "print"},
		{"run", "--data", dir, "extra"},
		{"frobnicate"},
		{},
	} {
		if r := segtest.Seg(t, "", nil, args...); r.Code != 2 || r.Stderr == "" {
			t.Errorf("seg %q: want exit 2 with a message, got %s", args, r)
		}
	}
	if r := segtest.Seg(t, "", nil, "version"); r.Code != 0 || r.Stdout != "seg "+version+"\n" {
		t.Errorf("seg version: %s", r)
	}
}

// TestOfflineAndOnline drives `seg cli` against a stopped and a running
// appliance on the same data dir.
func TestOfflineAndOnline(t *testing.T) {
	a := segtest.Open(t, t.TempDir())
	a.Password = "correct horse battery"
	a.Cli("help")
	a.Configure()
	dir := a.Dir

	// Offline: one-shot, batch, exit codes.
	if out := a.MustCli("destconfig", "edit", "DEFAULT", "--max_host_concurrency=321", ";", "commit", "offline change"); !strings.Contains(out, "Changes committed") {
		t.Fatalf("offline commit: %q", out)
	}
	if r := a.CliInput("", "tophosts 1"); r.Code != 1 || !strings.Contains(r.Stderr, "The mail system is not running.") {
		t.Fatalf("offline tophosts: %s", r)
	}

	a.Start()
	cfg, _ := showconfig(t, a)
	if cfg.DestDefault["max_host_concurrency"] != "321" {
		t.Fatalf("the running appliance does not see the offline commit: %v", cfg.DestDefault)
	}
	st, err := os.Stat(filepath.Join(dir, "seg.sock"))
	if err != nil || st.Mode().Perm() != 0o600 || st.Mode()&os.ModeSocket == 0 {
		t.Fatalf("control socket: %v %v", st.Mode(), err)
	}

	// One-shot: several commands, the exit status of a failure, the
	// candidate discarded.
	r := a.CliInput("", "destconfig edit DEFAULT --max_host_concurrency=99 ; bogus ; commit")
	if r.Code != 1 || !strings.Contains(r.Stderr, "Unknown command: bogus") {
		t.Fatalf("failing one-shot: %s", r)
	}
	if cfg, _ := showconfig(t, a); cfg.DestDefault["max_host_concurrency"] != "321" {
		t.Fatal("a failed one-shot changed the configuration")
	}
	r = a.CliInput("", "destconfig edit DEFAULT --max_host_concurrency=99")
	if r.Code != 0 || !strings.Contains(r.Stderr, "uncommitted") {
		t.Fatalf("one-shot without commit should warn: %s", r)
	}
	if r := a.CliInput("", "-u", "nobody", "sshconfig print"); r.Code != 1 || !strings.Contains(r.Stderr, "Unknown user: nobody") {
		t.Fatalf("unknown user: %s", r)
	}

	// Batch files: -f FILE, -f -, and piped stdin; FILE:LINE on errors.
	bad := filepath.Join(t.TempDir(), "bad.txt")
	os.WriteFile(bad, []byte("# a comment\nsshconfig print\nbogus here\ncommit\n"), 0o644)
	r = a.CliInput("", "-f", bad)
	if r.Code != 1 || !strings.Contains(r.Stderr, bad+":3: Unknown command: bogus") || !strings.Contains(r.Stdout, "SSH server") {
		t.Fatalf("bad batch: %s", r)
	}
	good := "destconfig edit DEFAULT --max_host_concurrency=222\ncommit \"from a batch\"\n"
	if r := a.CliInput(good, "-f", "-"); r.Code != 0 {
		t.Fatalf("batch from -f -: %s", r)
	}
	if r := a.CliInput("sshconfig print\nbogus\n"); r.Code != 1 || !strings.Contains(r.Stderr, "-:2: Unknown command") {
		t.Fatalf("piped batch: %s", r)
	}

	// The interactive shell over the socket (what `seg cli` relays from
	// a raw terminal).
	conn, err := ctl.Dial(filepath.Join(dir, "seg.sock"))
	if err != nil {
		t.Fatal(err)
	}
	var term bytes.Buffer
	code, err := ctl.Run(conn, ctl.Hello{User: "admin", Mode: ctl.ModeTerminal, Width: 100, Height: 30},
		strings.NewReader("sshconfig print\rquit\r"), &term, io.Discard, nil)
	if err != nil || code != 0 {
		t.Fatalf("terminal session: %d %v", code, err)
	}
	if !strings.Contains(term.String(), "seg.localdomain> ") || !strings.Contains(term.String(), "SSH server: address 127.0.0.1 port") ||
		!strings.Contains(term.String(), "\r\n") {
		t.Fatalf("terminal output %q", term.String())
	}

	// cli_logs has every command with user, source and result.
	logPath := filepath.Join(dir, "logs", "cli_logs")
	for _, want := range []string{
		"Info: User admin (offline) executed batch command: 'commit 'offline change'' result: ok",
		"Info: User admin (socket) logged in",
		"Info: User admin (socket) executed batch command: 'bogus here' result: Unknown command: bogus",
		"Info: User admin (socket) executed command: 'sshconfig print' result: ok",
		"Info: User admin (socket) logged out of CLI session",
	} {
		segtest.Wait(t, 10*time.Second, "cli_logs line "+want, func() bool { return fileContains(logPath, want) })
	}

	// SIGHUP reopens the log: after an external rotation, lines go to a
	// new file that starts with the AsyncOS header.
	if err := os.Rename(logPath, logPath+".old"); err != nil {
		t.Fatal(err)
	}
	a.Signal(syscall.SIGHUP)
	segtest.Wait(t, 10*time.Second, "a new cli_logs after SIGHUP", func() bool { return fileContains(logPath, "Info: Begin Logfile") })
	a.MustCli("sshconfig print")
	segtest.Wait(t, 10*time.Second, "a command in the reopened cli_logs", func() bool { return fileContains(logPath, "'sshconfig print' result: ok") })

	a.Stop()

	// Stopped: offline again, with what the running appliance committed.
	if cfg, _ := showconfig(t, a); cfg.DestDefault["max_host_concurrency"] != "222" {
		t.Fatalf("offline after stop: %v", cfg.DestDefault)
	}

	// A crash leaves the socket behind: seg cli goes offline, and the
	// next start replaces the stale socket.
	a.Start()
	a.Kill()
	if _, err := os.Stat(filepath.Join(dir, "seg.sock")); err != nil {
		t.Fatalf("expected a stale socket after SIGKILL: %v", err)
	}
	if r := a.CliInput("", "sshconfig print"); r.Code != 0 {
		t.Fatalf("offline over a stale socket: %s", r)
	}
	a.Start()
	a.MustCli("sshconfig print")
	a.Stop()
}

// fullConfig writes testdata/full-config.txt with ports filled in.
func fullConfig(t *testing.T, smtp, relay int) string {
	t.Helper()
	b, err := os.ReadFile("testdata/full-config.txt")
	if err != nil {
		t.Fatal(err)
	}
	s := strings.NewReplacer("{{SMTP_PORT}}", fmt.Sprint(smtp), "{{RELAY_PORT}}", fmt.Sprint(relay)).Replace(string(b))
	path := filepath.Join(t.TempDir(), "full-config.txt")
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// checkFullConfig asserts that cfg holds what full-config.txt builds.
func checkFullConfig(t *testing.T, cfg *store.Config, smtp, relay int) {
	t.Helper()
	in, out := cfg.Listener("IncomingMail"), cfg.Listener("OutgoingMail")
	if in == nil || out == nil || len(cfg.Listeners) != 2 {
		t.Fatalf("listeners: %+v", cfg.Listeners)
	}
	if in.Port != smtp || in.Hostname != "mx.example.com" || in.MaxConcurrency != 200 {
		t.Errorf("IncomingMail setup: %+v", in)
	}
	if out.Type != store.ListenerPrivate || out.Port != relay {
		t.Errorf("OutgoingMail: %+v", out)
	}
	if p := in.HAT.Policy("$PARTNER"); p == nil || p.Behavior != "ACCEPT" || p.Params["max_msgs_per_session"] != "100" || p.Params["tls"] != "preferred" {
		t.Errorf("$PARTNER policy: %+v", p)
	}
	if g := in.HAT.SenderGroup("PARTNERS"); g == nil || g.Policy != "$PARTNER" || strings.Join(g.Members, ",") != "192.0.2.0/24,.partner.example.net" {
		t.Errorf("PARTNERS: %+v", g)
	}
	if g := in.HAT.SenderGroup("BLOCKLISTED"); g == nil || g.Policy != "$BLOCKED" {
		t.Errorf("BLOCKLISTED: %+v", g)
	}
	if g := in.HAT.SenderGroup("BLOCKED_LIST"); g == nil || !strings.Contains(strings.Join(g.Members, ","), "203.0.113.0/24") {
		t.Errorf("BLOCKED_LIST: %+v", g)
	}
	if g := out.HAT.SenderGroup("APPSERVERS"); g == nil || g.Policy != "$RELAYED" {
		t.Errorf("APPSERVERS: %+v", g)
	}
	var rat []string
	for _, e := range in.RAT {
		rat = append(rat, e.Entry+" "+e.Action)
	}
	if got := strings.Join(rat, ", "); got != "spam@example.com REJECT, example.com ACCEPT, .example.com ACCEPT, postmaster@example.org ACCEPT, ALL REJECT" {
		t.Errorf("RAT: %s", got)
	}
	if len(cfg.Destinations) != 3 || cfg.DestDefault["max_host_concurrency"] != "100" {
		t.Errorf("destconfig: %+v DEFAULT %v", cfg.Destinations, cfg.DestDefault)
	}
	if d := cfg.Destination("example.com"); d == nil || d.Params["bounce_profile"] != "slow" || d.Params["use_tls"] != "required" {
		t.Errorf("destconfig example.com: %+v", d)
	}
	if b := cfg.BounceProfile("slow"); b == nil || b.Params["max_retries"] != "10" {
		t.Errorf("bounce profile slow: %+v", b)
	}
	if len(cfg.System.Routes) != 2 || strings.Join(cfg.System.Routes[0].Hosts, ",") != "127.0.0.1:2601,127.0.0.1:2602" {
		t.Errorf("smtproutes: %+v", cfg.System.Routes)
	}
	if cfg.System.DNS.UseSystem || strings.Join(cfg.System.DNS.Servers, ",") != "127.0.0.1:5353,127.0.0.2:5353" {
		t.Errorf("dnsconfig: %+v", cfg.System.DNS)
	}
	if z := cfg.System.SBRS.Zones; len(z) != 2 || z[0] != (store.SBRSZone{Zone: "bl.example.org", Weight: -6.5}) || z[1].Weight != 2 {
		t.Errorf("sbrsconfig: %+v", cfg.System.SBRS)
	}
	if u := cfg.User("ops"); u == nil || u.Role != store.RoleOperator || len(u.SSHKeys) != 1 {
		t.Errorf("user ops: %+v", u)
	}
}

// TestAcceptanceFullConfiguration is the acceptance test: a batch
// file builds a full configuration through `seg cli -f`, with the
// appliance stopped and running; showconfig shows it; a batch failing
// on line 3 reports FILE:3, exits 1 and changes nothing.
func TestAcceptanceFullConfiguration(t *testing.T) {
	smtp, relay, sshPort := segtest.FreePort(t), segtest.FreePort(t), segtest.FreePort(t)
	batch := fullConfig(t, smtp, relay)
	badBatch := filepath.Join(t.TempDir(), "bad.txt")
	os.WriteFile(badBatch, []byte(strings.Join([]string{
		"destconfig new bad.example --max_host_concurrency=5",
		"smtproutes new bad.example 127.0.0.1:2700",
		"destconfig edit DEFAULT --max_host_concurrency=lots",
		"commit \"never\"",
	}, "\n")+"\n"), 0o644)

	apply := func(t *testing.T, a *segtest.Appliance) string {
		r := a.CliInput("", "-f", batch)
		if r.Code != 0 || strings.Count(r.Stdout, "Changes committed") != 2 {
			t.Fatalf("applying %s: %s", batch, r)
		}
		cfg, text := showconfig(t, a)
		checkFullConfig(t, cfg, smtp, relay)
		r = a.CliInput("", "-f", badBatch)
		if r.Code != 1 || !strings.HasPrefix(r.Stderr, badBatch+":3: ") {
			t.Fatalf("bad batch: want %s:3: on stderr and exit 1, got %s", badBatch, r)
		}
		if _, after := showconfig(t, a); after != text {
			t.Fatal("a failed batch changed showconfig")
		}
		return text
	}

	var stopped, running string
	t.Run("stopped", func(t *testing.T) {
		a := segtest.Open(t, t.TempDir())
		a.Password = "correct horse battery"
		a.Cli("help")
		a.MustCli(fmt.Sprintf("sshconfig setup --port %d ; commit", sshPort))
		stopped = apply(t, a)
	})
	t.Run("running", func(t *testing.T) {
		a := segtest.Open(t, t.TempDir())
		a.Password = "correct horse battery"
		a.Cli("help")
		a.MustCli(fmt.Sprintf("sshconfig setup --port %d ; commit", sshPort))
		a.Start()
		running = apply(t, a)
		a.Stop()
	})
	// Password hashes and private keys are masked in showconfig, so both
	// trees print the same but for the certificate each appliance
	// generated (Default).
	certPEM := regexp.MustCompile(`"cert_pem": "[^"]*"`)
	stopped, running = certPEM.ReplaceAllString(stopped, ""), certPEM.ReplaceAllString(running, "")
	if stopped != "" && running != "" && stopped != running {
		t.Error("the same batch built different configurations offline and online")
	}
}

func TestJoinArgs(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"destconfig edit DEFAULT --x=1 ; commit"}, "destconfig edit DEFAULT --x=1 ; commit"},
		{[]string{"commit", "raise limit"}, "commit 'raise limit'"},
		{[]string{"tophosts", "1", ";", "status"}, "tophosts 1 ; status"},
		{[]string{"userconfig", "edit", "admin", "--sshkey", "ssh-ed25519 AAAA x@y"}, "userconfig edit admin --sshkey 'ssh-ed25519 AAAA x@y'"},
		{[]string{"commit", "it's \"done\""}, `commit "it's \"done\""`},
		{[]string{"commit", ""}, "commit ''"},
	} {
		if got := joinArgs(tc.args); got != tc.want {
			t.Errorf("joinArgs(%q) = %q, want %q", tc.args, got, tc.want)
		}
	}
}

func TestCtimeLogFormat(t *testing.T) {
	// The cli_logs of an offline run use the AsyncOS file form.
	a := segtest.Open(t, t.TempDir())
	a.MustCli("sshconfig print")
	b, err := os.ReadFile(filepath.Join(a.Dir, "logs", "cli_logs"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	stamp := `^[A-Z][a-z]{2} [A-Z][a-z]{2} [ 123][0-9] \d\d:\d\d:\d\d \d{4} `
	want := []string{
		stamp + `Info: Begin Logfile$`,
		stamp + `Info: Version: ` + regexp.QuoteMeta(version) + ` SN: [0-9A-F]{12}-[0-9A-F]{8}$`,
		stamp + `Info: Time offset from UTC: -?\d+ seconds$`,
		stamp + `Info: User admin \(offline\) logged in$`,
		stamp + `Info: User admin \(offline\) executed batch command: 'sshconfig print' result: ok$`,
		stamp + `Info: User admin \(offline\) logged out of CLI session$`,
	}
	if len(lines) != len(want) {
		t.Fatalf("cli_logs:\n%s", b)
	}
	for i, re := range want {
		if !regexp.MustCompile(re).MatchString(lines[i]) {
			t.Errorf("line %d %q does not match %s", i+1, lines[i], re)
		}
	}
}
