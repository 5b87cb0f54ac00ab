package tracking

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Defaults for zero Options fields.
const (
	DefaultCommitInterval = 500 * time.Millisecond
	DefaultMaxPending     = 8192
)

// maxRetained bounds the lines kept for a retry while commits fail (a
// full disk).
const maxRetained = 1 << 20

// Options tunes an Index.
type Options struct {
	// Log is the base name of the log it indexes (default "mail_logs");
	// its rotated files are Log.@STAMP.s.
	Log string
	// CommitInterval bounds how long a line waits for its commit.
	CommitInterval time.Duration
	// MaxPending lines waiting start a commit before the interval ends.
	MaxPending int
	// Location reads the stamps of lines indexed from the files at Open
	// (default time.Local, the log writer's).
	Location *time.Location
	// Logf reports problems (a failed commit); nil: dropped.
	Logf func(format string, args ...any)
}

// Index is the tracking index of one log. Its Line and Renamed are the
// writer's hooks; its queries read the database and the log files.
type Index struct {
	dir  string
	opts Options
	db   *bolt.DB

	mu      sync.Mutex
	pending []event
	spare   []event // the committer's last batch, reused: no growth per line
	closed  bool
	kick    chan struct{}
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
	// committed is signalled after each commit (Sync waits on it).
	synced *sync.Cond
	seq    uint64 // events handed to the committer so far
	upTo   uint64 // events committed so far
}

// event is a line written or a file renamed, in the writer's order.
type event struct {
	name    string
	off     int64
	end     int64
	t       time.Time
	msg     string
	ino     fileID // the file's inode, for a line at offset 0
	renamed bool
	newName string
}

// fileID is a file's device and inode.
type fileID struct{ Dev, Ino uint64 }

// Open opens (or creates) dir/tracking.db and catches up with the log
// files in dir: whatever they hold beyond what the index has, it indexes
// now. Call it before the writer opens the log.
func Open(dir string, opts Options) (*Index, error) {
	if opts.Log == "" {
		opts.Log = "mail_logs"
	}
	if opts.CommitInterval <= 0 {
		opts.CommitInterval = DefaultCommitInterval
	}
	if opts.MaxPending <= 0 {
		opts.MaxPending = DefaultMaxPending
	}
	if opts.Location == nil {
		opts.Location = time.Local
	}
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("tracking index: %w", err)
	}
	db, err := bolt.Open(filepath.Join(dir, "tracking.db"), 0o640, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("tracking index: %w", err)
	}
	ix := &Index{dir: dir, opts: opts, db: db, kick: make(chan struct{}, 1),
		stop: make(chan struct{}), done: make(chan struct{})}
	ix.synced = sync.NewCond(&ix.mu)
	if err := ix.catchUp(); err != nil {
		db.Close()
		return nil, fmt.Errorf("tracking index: %w", err)
	}
	go ix.run()
	return ix, nil
}

// Line is the writer's hook for each line: name is the file's base name,
// off the line's offset in it and end the offset after its newline, t its
// stamp and msg the text after "Level: ". It only queues the line.
func (ix *Index) Line(name string, off, end int64, t time.Time, msg string) {
	if name != ix.opts.Log {
		return
	}
	e := event{name: name, off: off, end: end, t: t, msg: msg}
	if off == 0 {
		// A new file: its inode finds it again after a rename that was
		// not reported.
		e.ino, _ = inode(filepath.Join(ix.dir, name))
	}
	ix.push(e)
}

// Renamed is the one rotation notification: the file oldName in the log
// directory is now newName ("" when it was removed). Paths are accepted;
// only the base names count.
func (ix *Index) Renamed(oldName, newName string) {
	if b := filepath.Base(oldName); b != ix.opts.Log && !strings.HasPrefix(b, ix.opts.Log+".@") {
		return // another log's file
	}
	if newName != "" {
		newName = filepath.Base(newName)
	}
	ix.push(event{renamed: true, name: filepath.Base(oldName), newName: newName})
}

func (ix *Index) push(e event) {
	ix.mu.Lock()
	if ix.closed {
		ix.mu.Unlock()
		return
	}
	ix.pending = append(ix.pending, e)
	ix.seq++
	n := len(ix.pending)
	ix.mu.Unlock()
	if n >= ix.opts.MaxPending || e.renamed {
		select {
		case ix.kick <- struct{}{}:
		default:
		}
	}
}

// Sync commits the lines queued so far and returns when they are
// committed (queries call it, so that they see every line written).
func (ix *Index) Sync() {
	ix.mu.Lock()
	want := ix.seq
	if ix.closed || ix.upTo >= want {
		ix.mu.Unlock()
		return
	}
	ix.mu.Unlock()
	select {
	case ix.kick <- struct{}{}:
	default:
	}
	ix.mu.Lock()
	for ix.upTo < want && !ix.closed {
		ix.synced.Wait()
	}
	ix.mu.Unlock()
}

// Close commits what is pending and closes the database.
func (ix *Index) Close() error {
	var err error
	ix.once.Do(func() {
		close(ix.stop)
		<-ix.done
		ix.mu.Lock()
		ix.closed = true
		ix.synced.Broadcast()
		ix.mu.Unlock()
		err = ix.db.Close()
	})
	return err
}

// run is the committer.
func (ix *Index) run() {
	defer close(ix.done)
	t := time.NewTicker(ix.opts.CommitInterval)
	defer t.Stop()
	for {
		select {
		case <-ix.stop:
			ix.commit()
			return
		case <-t.C:
		case <-ix.kick:
		}
		ix.commit()
	}
}

// commit stores the pending events in one transaction.
func (ix *Index) commit() {
	ix.mu.Lock()
	batch := ix.pending
	ix.pending, ix.spare = ix.spare[:0], nil
	seq := ix.seq
	ix.mu.Unlock()
	if len(batch) > 0 {
		if err := ix.db.Update(func(tx *bolt.Tx) error { return ix.apply(tx, batch) }); err != nil {
			// Nothing was stored (the transaction rolled back): the
			// batch waits for the next commit, ahead of the lines
			// logged since, up to maxRetained lines; beyond that the
			// lines are left to the next start's catch-up.
			ix.opts.Logf("tracking index: %v", err)
			ix.mu.Lock()
			retry := len(batch)+len(ix.pending) <= maxRetained
			if retry {
				ix.pending = append(batch, ix.pending...)
			}
			// Queries waiting in Sync go on with what is stored.
			ix.upTo = seq
			ix.synced.Broadcast()
			ix.mu.Unlock()
			if retry {
				return
			}
		}
	}
	clear(batch) // let the strings go
	ix.mu.Lock()
	ix.spare = batch[:0]
	ix.upTo = seq
	ix.synced.Broadcast()
	ix.mu.Unlock()
}

// apply stores a batch of events, in order.
func (ix *Index) apply(tx *bolt.Tx, batch []event) error {
	w, err := newWriter(tx)
	if err != nil {
		return err
	}
	for _, e := range batch {
		if e.renamed {
			if err := w.flush(); err != nil {
				return err
			}
			if err := ix.rename(w, e.newName); err != nil {
				return err
			}
			continue
		}
		id := w.current(e.name)
		if e.off == 0 || id == 0 {
			if id, err = ix.newFile(w, e.name, e.ino, e.t); err != nil {
				return err
			}
		}
		w.add(id, e.off, e.end, e.t, parseLine(e.msg))
	}
	return w.flush()
}

// rename applies a rotation notification: the record of the file now
// at newName (by inode) takes that name — so a notification that comes
// after the new file's first lines, or twice, does no harm — then files
// gone from the directory (retention; newName "") are pruned.
func (ix *Index) rename(w *writer, newName string) error {
	if newName != "" {
		if ino, err := inode(filepath.Join(ix.dir, newName)); err == nil {
			for id, r := range w.files {
				if (fileID{r.Dev, r.Ino}) == ino && r.Name != newName {
					r.Name = newName
					if err := w.putFile(id, r); err != nil {
						return err
					}
				}
			}
		}
	}
	return ix.pruneGone(w)
}

// pruneGone drops the files the index knows that are no longer in the
// directory. The live file's record is left alone: the writer renames it
// and then creates its successor, so between the two it is missing for a
// moment, and the committer runs beside the writer. Its record is
// replaced by newFile when the successor's first line comes (or by the
// next start's catch-up).
func (ix *Index) pruneGone(w *writer) error {
	for id, r := range w.files {
		if r.Name == ix.opts.Log {
			continue
		}
		if _, err := os.Lstat(filepath.Join(ix.dir, r.Name)); errors.Is(err, os.ErrNotExist) {
			if err := w.drop(id); err != nil {
				return err
			}
		}
	}
	return nil
}

// newFile starts a file record for name; a record already under that
// name is a file renamed without notice: found again by its inode, or
// dropped.
func (ix *Index) newFile(w *writer, name string, ino fileID, t time.Time) (uint32, error) {
	if old := w.current(name); old != 0 {
		r := w.files[old]
		if p, ok := ix.findInode(fileID{r.Dev, r.Ino}); ok && p != name {
			r.Name = p
			if err := w.putFile(old, r); err != nil {
				return 0, err
			}
		} else if err := w.drop(old); err != nil {
			return 0, err
		}
	}
	return w.create(fileRecord{Name: name, Dev: ino.Dev, Ino: ino.Ino, First: t.Unix()})
}

// logNames lists the log's files in the directory, oldest first.
func (ix *Index) logNames() []string {
	old, _ := filepath.Glob(filepath.Join(ix.dir, ix.opts.Log+".@*.s"))
	sort.Strings(old)
	names := make([]string, 0, len(old)+1)
	for _, p := range old {
		names = append(names, filepath.Base(p))
	}
	if _, err := os.Lstat(filepath.Join(ix.dir, ix.opts.Log)); err == nil {
		names = append(names, ix.opts.Log)
	}
	return names
}

// findInode returns the name of the log file with that inode.
func (ix *Index) findInode(want fileID) (string, bool) {
	for _, n := range ix.logNames() {
		if id, err := inode(filepath.Join(ix.dir, n)); err == nil && id == want {
			return n, true
		}
	}
	return "", false
}

// catchUp matches the files in the directory with the records by inode
// (renames while seg was down), drops records of files gone, and indexes
// every file from where its record ends to the file's end.
func (ix *Index) catchUp() error {
	return ix.db.Update(func(tx *bolt.Tx) error {
		w, err := newWriter(tx)
		if err != nil {
			return err
		}
		byIno := map[fileID]uint32{}
		for id, r := range w.files {
			byIno[fileID{r.Dev, r.Ino}] = id
		}
		seen := map[uint32]bool{}
		for _, name := range ix.logNames() {
			p := filepath.Join(ix.dir, name)
			ino, err := inode(p)
			if err != nil {
				continue
			}
			id, known := byIno[ino]
			from := int64(0)
			if known {
				r := w.files[id]
				seen[id] = true
				if r.Name != name {
					r.Name = name
					if err := w.putFile(id, r); err != nil {
						return err
					}
				}
				from = r.Next
				if st, err := os.Stat(p); err == nil && st.Size() < from {
					// The file lost lines the index has (a crash
					// before the log reached the disk): index it anew.
					if err := w.drop(id); err != nil {
						return err
					}
					known, from = false, 0
				}
			}
			if !known {
				if id, err = w.create(fileRecord{Name: name, Dev: ino.Dev, Ino: ino.Ino}); err != nil {
					return err
				}
				seen[id] = true
			}
			if err := ix.indexFile(w, id, p, from); err != nil {
				return err
			}
		}
		for id := range w.files {
			if !seen[id] {
				if err := w.drop(id); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// indexFile indexes the lines of path from offset from to its end.
func (ix *Index) indexFile(w *writer, id uint32, path string, from int64) error {
	f, err := os.Open(path)
	if err != nil {
		return nil // gone meanwhile: pruned at the next start
	}
	defer f.Close()
	if _, err := f.Seek(from, io.SeekStart); err != nil {
		return err
	}
	r := bufio.NewReaderSize(f, 256<<10)
	off := from
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			// A last line without its newline is still being written:
			// the writer's hook will not report it again, but it has
			// no newline yet, so it is left for the next start.
			break
		}
		end := off + int64(len(line))
		t, msg, ok := splitLine(strings.TrimSuffix(line, "\n"), ix.opts.Location)
		if ok {
			w.add(id, off, end, t, parseLine(msg))
		} else {
			w.advance(id, end)
		}
		off = end
		if w.size() > 1<<20 {
			if err := w.flush(); err != nil {
				return err
			}
		}
	}
	return w.flush()
}

// inode returns path's device and inode.
func inode(path string) (fileID, error) {
	st, err := os.Stat(path)
	if err != nil {
		return fileID{}, err
	}
	if s, ok := st.Sys().(*syscall.Stat_t); ok {
		return fileID{uint64(s.Dev), uint64(s.Ino)}, nil
	}
	return fileID{}, errors.New("no inode")
}
