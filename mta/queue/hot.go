package queue

// A message is usually delivered moments after its commit, and its body
// is then still in the record the writer just wrote: the entry keeps
// that slice (hot) until the first Body call takes it, so the first
// delivery attempt needs no pread, no new buffer and no copy (readBody
// was 5 KB of allocation and a syscall per relayed 4 KiB message). A
// caller owns what Body returns, as with a fresh read: hot is handed
// out once and dropped. Bodies kept wait for a Body call at most
// hotMax bytes in all, so a backlog does not pin its bodies in memory.

// hotMax bounds the bytes of bodies kept hot.
const hotMax = 8 << 20

// keepHotLocked keeps body as e's hot copy when there is room. The caller
// holds q.mu; body is the body's bytes inside the record just committed.
func (q *Queue) keepHotLocked(e *entry, body []byte) {
	if e.wrap != nil || e.hot != nil || q.hotBytes+int64(len(body)) > hotMax {
		return
	}
	if _, live := q.msgs[e.msg.MID]; !live {
		return // finished at once (every recipient final)
	}
	e.hot = body[:len(body):len(body)] // an append by the taker copies
	q.hotBytes += int64(len(body))
}

// takeHotLocked returns e's hot body and forgets it (nil: none).
func (q *Queue) takeHotLocked(e *entry) []byte {
	b := e.hot
	if b != nil {
		e.hot = nil
		q.hotBytes -= int64(len(b))
	}
	return b
}
