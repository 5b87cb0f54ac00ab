// Package tracking is message tracking's index (SPEC 13, findevent): from
// MID, ICID, DCID, envelope sender, recipients, Message-ID, subject and
// time to the mail_logs lines (file and byte offset) that tell a
// message's life, so that `findevent --mid N` reads a few lines at known
// offsets instead of scanning every log file.
//
// # Feeding
//
// The index is fed by the mail_logs writer as it writes (internal/aslog's
// Observer): Line gets each line's file name, offset and message, under
// the writer's lock, and only appends it to a pending batch; it never
// touches the disk (one stat when a new file begins). A committer
// goroutine parses the batch and stores it in one bbolt transaction — one
// fsync — every CommitInterval (or sooner when MaxPending lines wait), so
// the mail path pays no fsync and no parsing per line.
//
// # Crashes
//
// A crash loses at most the batch not yet committed (the last
// CommitInterval of lines), never the log lines themselves. Each file's
// record keeps the offset up to which it is indexed, committed in the
// same transaction as the entries; Open reads every mail_logs file from
// that offset to its end and indexes what is missing before the writer
// opens the log, so the index catches up from the log at start. A lost
// index (tracking.db deleted) is rebuilt the same way, from offset 0. Lines
// the log itself lost (its writer's buffer, SPEC 8) can leave entries that
// point past the file's end or at lines written after the restart: every
// line read back is checked to begin at a line start and to name the ID
// it was found under, so such entries are skipped, never shown. A commit
// that fails (a full disk) stores nothing; its lines wait for the next
// commit, ahead of those logged since.
//
// # Rotation and retention
//
// Files are identified by a number, with their current name and inode in
// a record; entries name the number, so a rename changes one record.
// Renamed(old, new) is the one notification the index takes: base names
// in the log directory (paths accepted), new "" when the file was
// removed. cmd/seg calls it from the log subscriptions' rotation hook
// (aslog.Rotation: From -> To, then each of Removed -> "") for size and
// time rollover and rollovernow alike. The record of the file now at new
// takes that name, found by inode, so a notification that arrives after
// the new file's first lines, or twice, is harmless; a new file begun
// under a name the index still gives an older record finds that record's
// file by inode too, so a rename nobody reported (logrotate and SIGHUP)
// is followed. After each notification, and at Open, files the index
// knows that are gone from the directory are pruned. Each file's
// entries live in their own bucket, so pruning a file is one bucket
// deletion.
//
// # Layout (bbolt, logs/tracking.db)
//
//	files            id(4) -> fileRecord (name, inode, indexed-to offset, first and last time)
//	f{id}/mid        MID(8)  -> offsets of the lines naming the MID (uvarint deltas)
//	f{id}/icid       ICID(8) -> offsets of the connection's lines that name no MID
//	f{id}/dcid       DCID(8) -> offsets of the delivery connection's lines that name no MID
//	f{id}/gen        parent MID(8) child MID(8) -> nil (DSNs, journal copies)
//	f{id}/msg        MID(8) -> message summary (time, ICID, from, recipients, subject, Message-ID)
//	f{id}/from, /to, /subj, /msgid   value 0x00 MID(8) -> nil (regular expressions scan these keys)
package tracking
