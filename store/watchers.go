package store

import "sync"

// Watchers is the fan-out behind Store.Watch, shared by every backend
// (core here, the cluster node in store/clusterstore): each watcher's
// channel holds the latest snapshot only, so a slow reader never blocks
// a commit and always sees the newest revision. The zero value is ready.
type Watchers struct {
	mu     sync.Mutex
	chans  map[int]chan *Snapshot
	nextID int
	closed bool
}

// Watch subscribes; the returned func unsubscribes and closes the
// channel. After Close the channel comes closed.
func (w *Watchers) Watch() (<-chan *Snapshot, func()) {
	ch := make(chan *Snapshot, 1)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed { // closed store: nothing will ever come
		close(ch)
		return ch, func() {}
	}
	if w.chans == nil {
		w.chans = map[int]chan *Snapshot{}
	}
	id := w.nextID
	w.nextID++
	w.chans[id] = ch
	return ch, func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		if c, ok := w.chans[id]; ok {
			delete(w.chans, id)
			close(c)
		}
	}
}

// Notify replaces whatever each watcher has not read yet with s.
func (w *Watchers) Notify(s *Snapshot) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, ch := range w.chans {
		for sent := false; !sent; {
			select {
			case ch <- s:
				sent = true
			default: // an unread older snapshot: drop it
				select {
				case <-ch:
				default:
				}
			}
		}
	}
}

// Close closes every watcher's channel; later Watch calls get a closed
// one.
func (w *Watchers) Close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for id, ch := range w.chans {
		delete(w.chans, id)
		close(ch)
	}
	w.closed = true
}

// NewSnapshot is a snapshot a store outside this package hands out (the
// cluster node's effective configurations). cfg must be fresh memory
// that nobody else holds or changes afterwards: its typed parameters are
// decoded here, once, as core does for its own snapshots.
func NewSnapshot(rev Revision, cfg *Config) *Snapshot {
	cfg.decodeParams()
	return &Snapshot{Revision: rev, Config: cfg}
}
