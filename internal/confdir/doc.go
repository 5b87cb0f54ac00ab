// Package confdir is seg's one rule for the files that admin commands
// read and write: imports and exports (hostaccess, rcptaccess,
// destconfig, smtproutes), saveconfig and loadconfig, `userconfig
// --password-file`, and the certificate and key files that destconfig
// setup (and, later, listener TLS) names.
//
// Those files live in DATA/configuration, where AsyncOS keeps them, and
// nowhere else. The appliance often runs as root, and its admin shell
// is reached by users of every role; a path argument that could leave the
// directory turned "import" into "read any file" and "export" into
// "write any file" (issue 8). So:
//
//   - A file is named by a plain name: no "/", not "." or "..", not
//     starting with "." (temporary files are hidden names), no control
//     characters, at most 255 bytes. Subdirectories are not supported:
//     the directory is flat, as on AsyncOS, and a plain name cannot be
//     made to mean anything else. CheckName is the test; the store uses it
//     to validate the file names a configuration holds (DestSetup and
//     Listener CertFile/KeyFile), so loadconfig cannot point them
//     elsewhere either.
//   - Names resolve inside the directory through os.Root, which refuses
//     to leave it. Symbolic links are refused outright, even ones that
//     point inside: the file is checked with Lstat before it is opened
//     and again, on the opened descriptor, with fstat (same file, still a
//     regular file), so a link swapped in meanwhile is caught.
//   - Only regular files are read. A FIFO or device is refused from its
//     Lstat without being opened; the open itself uses O_NONBLOCK, so a
//     FIFO swapped in at the last moment cannot block it, and fstat then
//     refuses it.
//   - Every read has a size cap, checked against the size and enforced
//     while reading (a file that grows is cut off at cap+1 bytes and
//     refused), and a deadline: the caller gets an error after Timeout
//     even if the read itself is stuck (a hung network file system).
//   - Writes go to a hidden temporary file (mode 0600) in the directory,
//     are synced, and are renamed over the name, so a reader never sees
//     half a file and a symbolic link at the name is replaced, never
//     written through. A name that exists and is not a regular file is
//     refused. The only directory ever created is DATA/configuration
//     itself (its parent must exist).
//
// Errors are *Error values whose text names the file and the problem and
// never quotes the file's content.
package confdir
