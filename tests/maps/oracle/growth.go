// growth.go — oracle: how Go 1.19's own map grows, read from the runtime's hmap.
//
// The program reads the map header (runtime.hmap: count, B, noverflow, flags, oldbuckets)
// through unsafe after every operation, so what it prints is the real runtime's state.
// Keys come from splitmix64, the same generator the C++ tests use.
//
//	go run growth.go seq N     "count B" each time B changes while keys 0..N-1 go in
//	go run growth.go rand N    the same for N random keys
//	go run growth.go churn N OPS
//	    a map of N keys, then OPS times: delete a random key, insert a new one. Prints one
//	    line "count B noverflow decision" for every distinct state in which a new key was
//	    inserted with no grow in progress (decision: none, same or bigger: what that insert
//	    started), then a summary line "summary sameSizeGrows=.. doublings=.. B=..".
//
// What depends on the hash (which overflow buckets appear, when a grow finishes) differs from
// run to run; what is printed for seq/rand and the decision table for churn does not.
package main

import (
	"fmt"
	"os"
	"strconv"
	"unsafe"
)

// Go 1.19's runtime.hmap, field for field.
type hmap struct {
	count      int
	flags      uint8
	B          uint8
	noverflow  uint16
	hash0      uint32
	buckets    unsafe.Pointer
	oldbuckets unsafe.Pointer
	nevacuate  uintptr
	extra      unsafe.Pointer
}

const sameSizeGrow = 8

func header(m map[uint64]uint64) *hmap { return *(**hmap)(unsafe.Pointer(&m)) }

type splitmix struct{ s uint64 }

func (r *splitmix) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func main() {
	n, _ := strconv.Atoi(os.Args[2])
	switch os.Args[1] {
	case "seq", "rand":
		inserts(os.Args[1] == "rand", n)
	case "churn":
		ops, _ := strconv.Atoi(os.Args[3])
		churn(n, ops)
	}
}

func inserts(random bool, n int) {
	m := map[uint64]uint64{}
	r := splitmix{1}
	prev := -1
	for i := 0; i < n; i++ {
		k := uint64(i)
		if random {
			k = r.next()
		}
		m[k] = k
		h := header(m)
		if int(h.B) != prev {
			fmt.Println(h.count, h.B)
			prev = int(h.B)
		}
	}
}

func churn(n, ops int) {
	m := map[uint64]uint64{}
	r := splitmix{7}
	keys := make([]uint64, n)
	for i := range keys {
		keys[i] = r.next()
		m[keys[i]] = 1
	}
	seen := map[string]bool{}
	var order []string
	same, bigger := 0, 0
	for op := 0; op < ops; op++ {
		j := int(r.next() % uint64(n))
		delete(m, keys[j])
		keys[j] = r.next()
		h := header(m)
		count, B, nov, growing := h.count, h.B, h.noverflow, h.oldbuckets != nil
		m[keys[j]] = 1
		if growing {
			continue
		}
		decision := "none"
		if h.oldbuckets != nil {
			decision = "bigger"
			if h.flags&sameSizeGrow != 0 {
				decision = "same"
				same++
			} else {
				bigger++
			}
		}
		line := fmt.Sprintf("%d %d %d %s", count, B, nov, decision)
		if !seen[line] {
			seen[line] = true
			order = append(order, line)
		}
	}
	for _, l := range order {
		fmt.Println(l)
	}
	fmt.Printf("summary sameSizeGrows=%d doublings=%d B=%d\n", same, bigger, header(m).B)
}
