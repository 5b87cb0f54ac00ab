package dmarcreport

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// journal keeps the records durably in a directory:
//
//	current.jsonl          records collected since the last cut, one JSON line each
//	batch-NANOS.jsonl      a cut: the records of one reporting run
//	batch-NANOS.done       the reports of that batch already queued, one key a line
//
// add writes a record with one write(2) before it returns, so a process
// crash or restart loses none (the kernel has it). A syncer goroutine
// fsyncs current.jsonl right after, coalescing the records written
// meanwhile into one fsync: a power loss can lose the records whose
// fsync had not completed (those written in the last fsync's duration,
// typically milliseconds), never one whose fsync had. A torn last line is
// cut off when the journal is opened again.
//
// A batch leaves the directory only once every report made from it is
// durably in the queue (queue.Enqueue fsyncs); a crash in between sends
// the reports not yet marked done again at the next run: at least once,
// never lost.
type journal struct {
	dir string

	mu   sync.Mutex
	f    *os.File // current.jsonl, append only
	size int64

	kick chan struct{}
	quit chan struct{}
	done chan struct{}
	// warn logs an fsync failure (mail_logs Warning): the records stay
	// in the kernel, and the next fsync tries again.
	warn func(format string, args ...any)
}

const currentName = "current.jsonl"

func openJournal(dir string, warn func(string, ...any)) (*journal, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	j := &journal{dir: dir, warn: warn, kick: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	if err := j.openCurrent(); err != nil {
		return nil, err
	}
	go j.syncer()
	return j, nil
}

// openCurrent opens current.jsonl for appending, first cutting off a
// torn last line (a write cut short by a crash or power loss).
func (j *journal) openCurrent() error {
	path := filepath.Join(j.dir, currentName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return err
	}
	data, err := io.ReadAll(f)
	if err != nil {
		f.Close()
		return err
	}
	keep := int64(bytes.LastIndexByte(data, '\n') + 1)
	if keep != int64(len(data)) {
		if err := f.Truncate(keep); err != nil {
			f.Close()
			return err
		}
	}
	if _, err := f.Seek(keep, io.SeekStart); err != nil {
		f.Close()
		return err
	}
	j.f, j.size = f, keep
	return nil
}

// add appends one record; it is in the kernel when add returns, on disk
// once the syncer's next fsync completes.
func (j *journal) add(r Record) error {
	line, err := json.Marshal(r)
	if err != nil {
		return err
	}
	line = append(line, '\n')
	j.mu.Lock()
	if j.f == nil {
		j.mu.Unlock()
		return errors.New("dmarcreport: the record journal is closed")
	}
	n, err := j.f.Write(line)
	j.size += int64(n)
	j.mu.Unlock()
	if err != nil {
		return err
	}
	select {
	case j.kick <- struct{}{}:
	default:
	}
	return nil
}

func (j *journal) syncer() {
	defer close(j.done)
	for {
		select {
		case <-j.kick:
		case <-j.quit:
			return
		}
		j.mu.Lock()
		f := j.f
		j.mu.Unlock()
		if f == nil {
			continue
		}
		// A cut may close f meanwhile; it fsyncs f itself first.
		if err := f.Sync(); err != nil && !errors.Is(err, os.ErrClosed) {
			j.warn("DMARC: could not fsync the aggregate report records: %v", err)
		}
	}
}

// cut makes the records collected so far a batch named for nanos, and
// starts a new current file; "" when there was nothing to cut.
func (j *journal) cut(nanos int64) (string, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return "", errors.New("dmarcreport: the record journal is closed")
	}
	if j.size == 0 {
		return "", nil
	}
	if err := j.f.Sync(); err != nil {
		return "", err
	}
	if err := j.f.Close(); err != nil {
		return "", err
	}
	j.f = nil
	name := fmt.Sprintf("batch-%019d", nanos)
	for exists(filepath.Join(j.dir, name+".jsonl")) { // two cuts in one clock tick
		nanos++
		name = fmt.Sprintf("batch-%019d", nanos)
	}
	if err := os.Rename(filepath.Join(j.dir, currentName), filepath.Join(j.dir, name+".jsonl")); err != nil {
		// Keep collecting into the file that could not be renamed.
		if oerr := j.openCurrent(); oerr != nil {
			return "", errors.Join(err, oerr)
		}
		return "", err
	}
	if err := syncDir(j.dir); err != nil {
		return "", err
	}
	f, err := os.OpenFile(filepath.Join(j.dir, currentName), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return "", err
	}
	j.f, j.size = f, 0
	return name, syncDir(j.dir)
}

// batches lists the batches waiting to be reported, oldest first.
func (j *journal) batches() ([]string, error) {
	m, err := filepath.Glob(filepath.Join(j.dir, "batch-*.jsonl"))
	if err != nil {
		return nil, err
	}
	out := make([]string, len(m))
	for i, p := range m {
		out[i] = strings.TrimSuffix(filepath.Base(p), ".jsonl")
	}
	sort.Strings(out)
	return out, nil
}

// read returns a batch's records; bad counts lines that did not parse
// (a torn line of an older seg is the only way to get one).
func (j *journal) read(batch string) (recs []Record, bad int, err error) {
	f, err := os.Open(filepath.Join(j.dir, batch+".jsonl"))
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		var r Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			bad++
			continue
		}
		recs = append(recs, r)
	}
	return recs, bad, sc.Err()
}

// doneKeys are the reports of a batch already queued.
func (j *journal) doneKeys(batch string) (map[string]bool, error) {
	data, err := os.ReadFile(filepath.Join(j.dir, batch+".done"))
	if errors.Is(err, os.ErrNotExist) {
		return map[string]bool{}, nil
	}
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, l := range strings.Split(string(data), "\n") {
		if l != "" {
			out[l] = true
		}
	}
	return out, nil
}

// markDone records, durably, that the report key of a batch is queued.
func (j *journal) markDone(batch, key string) error {
	f, err := os.OpenFile(filepath.Join(j.dir, batch+".done"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return err
	}
	_, err = f.WriteString(key + "\n")
	if err == nil {
		err = f.Sync()
	}
	return errors.Join(err, f.Close())
}

// remove drops a batch whose reports are all queued.
func (j *journal) remove(batch string) error {
	err := os.Remove(filepath.Join(j.dir, batch+".jsonl"))
	if rerr := os.Remove(filepath.Join(j.dir, batch+".done")); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
		err = errors.Join(err, rerr)
	}
	return errors.Join(err, syncDir(j.dir))
}

func (j *journal) close() error {
	close(j.quit)
	<-j.done
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return nil
	}
	err := j.f.Sync()
	err = errors.Join(err, j.f.Close())
	j.f = nil
	return err
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	return errors.Join(err, d.Close())
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
