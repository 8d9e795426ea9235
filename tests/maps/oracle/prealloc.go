// prealloc.go — oracle: how many buckets Go 1.19's makeBucketArray allocates for 2^B main
// buckets, read from the runtime's own map.
//
// For B >= 4 the array holds 2^(B-4) overflow buckets more, and then as many again as fit
// in the slack of the size class the array was rounded up to. The runtime marks the last
// of them by pointing its overflow field at the array's start (a sentinel); this program
// walks from hmap.extra.nextOverflow to that bucket, so what it prints is what the runtime
// did, not a formula.
//
//	go run prealloc.go    one line "kind bucketsize B nbuckets" per kind, for B = 0..20
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
	nevacuate  uintptr
	extra      *mapextra
}

type mapextra struct {
	overflow     unsafe.Pointer
	oldoverflow  unsafe.Pointer
	nextOverflow unsafe.Pointer
}

// nbuckets walks the preallocated overflow buckets of h's array to the sentinel.
func nbuckets(h *hmap, bucketsize uintptr) uintptr {
	base := uintptr(1) << h.B
	if h.extra == nil || h.extra.nextOverflow == nil {
		return base
	}
	start := uintptr(h.buckets)
	i := (uintptr(h.extra.nextOverflow) - start) / bucketsize
	for {
		ovf := *(*unsafe.Pointer)(unsafe.Pointer(start + (i+1)*bucketsize - 8))
		if ovf == h.buckets {
			return i + 1
		}
		i++
	}
}

// hint is a size that make(map, hint) gives exactly B for: 6.5 * 2^B (8 for B = 0).
func hint(B uint) int {
	if B == 0 {
		return 8
	}
	return int(13 * (uint64(1) << B) / 2)
}

func main() {
	for B := uint(0); B <= 20; B++ {
		m := make(map[uint64]uint64, hint(B))
		h := *(**hmap)(unsafe.Pointer(&m))
		if uint(h.B) != B {
			panic(fmt.Sprintf("hint %d gave B=%d, want %d", hint(B), h.B, B))
		}
		fmt.Printf("u64_u64 144 %d %d\n", B, nbuckets(h, 144))
	}
	for B := uint(0); B <= 20; B++ {
		m := make(map[uint64][3]uint64, hint(B))
		h := *(**hmap)(unsafe.Pointer(&m))
		if uint(h.B) != B {
			panic(fmt.Sprintf("hint %d gave B=%d, want %d", hint(B), h.B, B))
		}
		fmt.Printf("u64_3u64 272 %d %d\n", B, nbuckets(h, 272))
	}
}
