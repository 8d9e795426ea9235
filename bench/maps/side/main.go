// Side-by-side lookups: Go 1.19's own map and gort::map (through cgo, side.cc) built from the
// same keys in one process, their hit loops timed in alternation.
//
// Usage: go build -o side . && ./side [-sizes 1000000,10000000] [-rounds 9]
//
// Why: on a shared machine memory speed drifts, within one run as well as between runs, and
// two processes run one after the other do not see the same machine. Here every round
// times one batch of Go lookups, one batch of gort lookups and one batch of the floor below
// back to back (the order rotates), on the same thread, with the thread's CPU clock, so a
// round's ratio compares like with like; the report judges "Go / gort" from the median of
// those ratios. The Go loop is bench/maps/go/main.go's (m[k] with ok, reading the value); the
// C++ loop is bench-maps's. The C++ side is compiled with the release build's flags (-O3
// -DNDEBUG, C++20), and gort::map uses the system malloc here, as it does in bench-maps.
//
// The floor (side.h, side_floor) is a loop that reads every probed key's key and value from
// addresses taken beforehand: the lines a hit must touch, with nothing to hash or find.
// gort / floor is then what hashing and finding the slot cost, and Go / floor bounds what any
// map that keeps its entries where gort::map does could reach against Go's map here.
//
// Output: one JSON object per round: op, kind, n, round, go_ns, gort_ns and floor_ns (ns per
// lookup).
package main

/*
#cgo CXXFLAGS: -std=c++20 -O3 -DNDEBUG -I${SRCDIR}/../../..
#cgo LDFLAGS: ${SRCDIR}/../../../build/release/alloc/libgort_alloc.a -lstdc++ -lpthread -lz
#include "side.h"
*/
import "C"

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"unsafe"
)

type round struct {
	Op      string  `json:"op"`
	Kind    string  `json:"kind"`
	N       int     `json:"n"`
	Round   int     `json:"round"`
	GoNs    float64 `json:"go_ns"`
	GortNs  float64 `json:"gort_ns"`
	FloorNs float64 `json:"floor_ns"`
}

func cpuNs() int64 { return int64(C.side_thread_cpu_ns()) }

// goHits is bench/maps/go/main.go's hit loop: ops lookups from probe[start], wrapping.
func goHits(m map[uint64]uint64, probe []uint64, start, ops int, sum *uint64) int {
	found, j := 0, start%len(probe)
	for i := 0; i < ops; i++ {
		if v, ok := m[probe[j]]; ok {
			found++
			*sum += v
		}
		if j++; j == len(probe) {
			j = 0
		}
	}
	return found
}

func side(n, rounds int) error {
	s := C.side_new(C.size_t(n), 1)
	if s == nil {
		return fmt.Errorf("side_new(%d) failed", n)
	}
	defer C.side_free(s)
	present := unsafe.Slice((*uint64)(unsafe.Pointer(C.side_present(s))), n)
	probe := unsafe.Slice((*uint64)(unsafe.Pointer(C.side_probe(s))), n)
	m := make(map[uint64]uint64)
	for i, k := range present {
		m[k] = uint64(i)
	}
	runtime.GC() // the lookups allocate nothing: no collection runs while they are timed

	ops := 1000000
	if n >= 10000000 {
		ops = 2000000
	}
	var sum uint64
	timeGo := func(start int) (float64, error) {
		t := cpuNs()
		if f := goHits(m, probe, start, ops, &sum); f != ops {
			return 0, fmt.Errorf("Go map found %d of %d keys", f, ops)
		}
		return float64(cpuNs()-t) / float64(ops), nil
	}
	// timeC times one of side.h's loops, which return how many keys they found.
	type cLoop = func(start C.size_t, csum *C.uint64_t) C.size_t
	timeC := func(what string, loop cLoop) func(int) (float64, error) {
		return func(start int) (float64, error) {
			var csum C.uint64_t
			t := cpuNs()
			f := loop(C.size_t(start), &csum)
			d := cpuNs() - t
			sum += uint64(csum)
			if int(f) != ops {
				return 0, fmt.Errorf("%s found %d of %d keys", what, int(f), ops)
			}
			return float64(d) / float64(ops), nil
		}
	}
	timeGort := timeC("gort::map", func(start C.size_t, csum *C.uint64_t) C.size_t {
		return C.side_hits(s, start, C.size_t(ops), csum)
	})
	timeFloor := timeC("the floor", func(start C.size_t, csum *C.uint64_t) C.size_t {
		return C.side_floor(s, start, C.size_t(ops), csum)
	})
	loops := []func(int) (float64, error){timeGo, timeGort, timeFloor}
	// One untimed batch each first: page faults and cold caches belong to none of them.
	for _, loop := range loops {
		if _, err := loop(0); err != nil {
			return err
		}
	}
	for r := 0; r < rounds; r++ {
		start := (r * 7919) % n
		var ns [3]float64
		for i := range loops { // round r starts with loop r % 3, so each goes first as often
			at := (r + i) % len(loops)
			v, err := loops[at](start)
			if err != nil {
				return err
			}
			ns[at] = v
		}
		b, _ := json.Marshal(round{"lookup_hit", "u64", n, r, ns[0], ns[1], ns[2]})
		fmt.Println(string(b))
	}
	sink += sum
	return nil
}

var sink uint64

func main() {
	sizes := flag.String("sizes", "1000000,10000000", "comma-separated sizes")
	rounds := flag.Int("rounds", 9, "rounds per size")
	flag.Parse()
	if *rounds <= 0 {
		fmt.Fprintf(os.Stderr, "side: bad -rounds %d: want at least 1\n", *rounds)
		os.Exit(2)
	}
	var ns []int
	for _, f := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			fmt.Fprintf(os.Stderr, "side: bad size %q in -sizes: want positive integers\n", f)
			os.Exit(2)
		}
		ns = append(ns, n)
	}
	runtime.LockOSThread() // one thread times both loops: its CPU clock is theirs
	for _, n := range ns {
		if err := side(n, *rounds); err != nil {
			fmt.Fprintf(os.Stderr, "side: %v\n", err)
			os.Exit(1)
		}
	}
}
