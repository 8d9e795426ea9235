// iteration.go — oracle: what Go 1.19 guarantees when a map changes during a range.
//
// Each scenario ranges over a map while the loop body deletes and inserts, and counts:
//   kept           entries present from start to end (never deleted)
//   kept_produced  how many of them the range produced (the spec: all, exactly once)
//   dup            entries produced more than once (the spec: 0)
//   deleted_after  entries produced after they were deleted (the spec: 0)
// Entries added during the range may or may not be produced; their number depends on the hash
// and is not printed. Keys come from splitmix64, as in the C++ tests. Scenarios:
//   delete-half    N=5000; the first step deletes half of the keys
//   delete-step    N=5000; step i deletes key i of the initial list (while i < N/2)
//   insert-grow    N=1000; every step inserts 8 new keys: the map doubles several times
//   mid-grow       N=833: the range starts with a doubling grow just started; every step
//                  deletes key i and inserts 2 new keys
//   same-size      N=100 churned (delete one, insert one) until a same-size grow is in
//                  progress, then every step deletes key i (i < N/2) and inserts one
package main

import (
	"fmt"
	"unsafe"
)

type hmap struct {
	count      int
	flags      uint8
	B          uint8
	noverflow  uint16
	hash0      uint32
	buckets    unsafe.Pointer
	oldbuckets unsafe.Pointer
}

func header(m map[uint64]uint64) *hmap { return *(**hmap)(unsafe.Pointer(&m)) }

type splitmix struct{ s uint64 }

func (r *splitmix) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

type scenario struct {
	name  string
	n     int
	setup func(m map[uint64]uint64, keys []uint64, r *splitmix)
	step  func(m map[uint64]uint64, keys []uint64, i int, r *splitmix, deleted map[uint64]bool)
}

func main() {
	del := func(m map[uint64]uint64, k uint64, deleted map[uint64]bool) {
		if _, ok := m[k]; ok {
			delete(m, k)
			deleted[k] = true
		}
	}
	scenarios := []scenario{
		{"delete-half", 5000, nil, func(m map[uint64]uint64, keys []uint64, i int, r *splitmix, d map[uint64]bool) {
			if i == 0 {
				for _, k := range keys[:len(keys)/2] {
					del(m, k, d)
				}
			}
		}},
		{"delete-step", 5000, nil, func(m map[uint64]uint64, keys []uint64, i int, r *splitmix, d map[uint64]bool) {
			if i < len(keys)/2 {
				del(m, keys[i], d)
			}
		}},
		{"insert-grow", 1000, nil, func(m map[uint64]uint64, keys []uint64, i int, r *splitmix, d map[uint64]bool) {
			for j := 0; j < 8; j++ {
				m[r.next()|1<<63] = 2
			}
		}},
		{"mid-grow", 833, nil, func(m map[uint64]uint64, keys []uint64, i int, r *splitmix, d map[uint64]bool) {
			if i < len(keys)/2 {
				del(m, keys[i], d)
			}
			m[r.next()|1<<63] = 2
			m[r.next()|1<<63] = 2
		}},
		{"same-size", 100, func(m map[uint64]uint64, keys []uint64, r *splitmix) {
			live := append([]uint64(nil), keys...)
			for header(m).oldbuckets == nil || header(m).flags&8 == 0 {
				j := int(r.next() % uint64(len(live)))
				delete(m, live[j])
				live[j] = r.next() &^ (1 << 63)
				m[live[j]] = 1
			}
			copy(keys, live)
		}, func(m map[uint64]uint64, keys []uint64, i int, r *splitmix, d map[uint64]bool) {
			if i < len(keys)/2 {
				del(m, keys[i], d)
			}
			m[r.next()|1<<63] = 2
		}},
	}
	for _, s := range scenarios {
		run(s)
	}
}

func run(s scenario) {
	r := splitmix{42}
	m := map[uint64]uint64{}
	keys := make([]uint64, s.n)
	for i := range keys {
		keys[i] = r.next() &^ (1 << 63) // initial keys: top bit clear; added keys: set
		m[keys[i]] = 1
	}
	if s.setup != nil {
		s.setup(m, keys, &r)
	}
	initial := map[uint64]bool{}
	for k := range m {
		initial[k] = true
	}
	deleted := map[uint64]bool{}
	produced := map[uint64]int{}
	dup, deletedAfter, i := 0, 0, 0
	for k := range m {
		produced[k]++
		if produced[k] == 2 {
			dup++
		}
		if deleted[k] {
			deletedAfter++
		}
		s.step(m, keys, i, &r, deleted)
		i++
	}
	kept, keptProduced := 0, 0
	for k := range initial {
		if !deleted[k] {
			kept++
			if produced[k] > 0 {
				keptProduced++
			}
		}
	}
	fmt.Printf("%s kept=%d kept_produced=%d dup=%d deleted_after=%d\n", s.name, kept, keptProduced, dup, deletedAfter)
}
