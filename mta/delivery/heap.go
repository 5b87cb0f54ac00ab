package delivery

// itemHeap is a binary min-heap of items that keeps each item's position
// (through pos) so that any item can be removed in O(log n). A
// destination keeps two: waiting items by next attempt, and all items by
// age (for the Oldest gauge).
type itemHeap struct {
	items []*item
	less  func(a, b *item) bool
	pos   func(*item) *int // the item's index field for this heap; -1 when absent
}

func (h *itemHeap) Len() int { return len(h.items) }

func (h *itemHeap) peek() *item {
	if len(h.items) == 0 {
		return nil
	}
	return h.items[0]
}

func (h *itemHeap) push(it *item) {
	if *h.pos(it) >= 0 {
		return
	}
	h.items = append(h.items, it)
	*h.pos(it) = len(h.items) - 1
	h.up(len(h.items) - 1)
}

func (h *itemHeap) remove(it *item) {
	i := *h.pos(it)
	if i < 0 || i >= len(h.items) || h.items[i] != it {
		return
	}
	last := len(h.items) - 1
	h.swap(i, last)
	h.items[last] = nil
	h.items = h.items[:last]
	*h.pos(it) = -1
	if i < last {
		h.down(i)
		h.up(i)
	}
}

func (h *itemHeap) pop() *item {
	it := h.peek()
	if it != nil {
		h.remove(it)
	}
	return it
}

func (h *itemHeap) swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	*h.pos(h.items[i]) = i
	*h.pos(h.items[j]) = j
}

func (h *itemHeap) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !h.less(h.items[i], h.items[p]) {
			return
		}
		h.swap(i, p)
		i = p
	}
}

func (h *itemHeap) down(i int) {
	n := len(h.items)
	for {
		l, small := 2*i+1, i
		if l < n && h.less(h.items[l], h.items[small]) {
			small = l
		}
		if r := l + 1; r < n && h.less(h.items[r], h.items[small]) {
			small = r
		}
		if small == i {
			return
		}
		h.swap(i, small)
		i = small
	}
}
