package queue

// A stamp is a small record of the caller's state that the writer appends
// to every group commit it writes: the state is then durable no later
// than the messages and delivery results committed with it. seg's
// lifetime counters ride on it (mta/lifetime.go), so the fdatasync that
// makes a 250 durable makes its count durable too, and a crash never
// lowers them. The queue does not read the bytes; recovery hands back the
// last stamp the journal holds.
//
// Stamps cost one small record per fdatasync, not per message. They are
// never live (compaction does not copy them): the newest is always in
// the head segment, which reclaim never deletes.

// recStamp is the record type of a stamp (record.go's list).
const recStamp byte = 6

// Stamper supplies and receives the stamp.
type Stamper interface {
	// Recovered is called once, during Open and before any commit, with
	// the last stamp the journal holds (nil: none).
	Recovered(stamp []byte)
	// Stamp returns the bytes to journal with the commit being written.
	// It runs on the writer goroutine after every record of the batch
	// was handed over, so it sees what their senders did before that.
	Stamp() []byte
}

// stampRequest frames the stamp for the batch being written, or returns
// nil when there is no Stamper.
func (q *Queue) stampRequest() *request {
	if q.stamper == nil {
		return nil
	}
	s := q.stamper.Stamp()
	rec := make([]byte, headerLen, headerLen+1+len(s))
	rec = append(rec, recStamp)
	rec = append(rec, s...)
	return &request{rec: frame(rec), stamp: true}
}
