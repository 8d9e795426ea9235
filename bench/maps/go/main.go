// main.go — the workload of bench-maps (bench/maps/bench_maps.cc) on Go 1.19's own map, so
// that report_maps.py can put Go beside the C++ maps. Same keys (splitmix64, seed 1 present,
// seed 2 absent; str16/str64 as workload.h makes them), same operations, same iteration
// counts, CPU time. Prints one JSON object per line:
//
//	{"op": "lookup_hit", "kind": "u64", "n": 1000000, "ns_per_op": ..., "bytes_per_entry": 0}
//
// Usage: go run main.go [-sizes 1000,1000000] [-kinds u64,str16] [-lookups-only]
//
// -lookups-only builds each map once, untimed, and times only the lookups: the report's
// short interleaved rounds that judge the lookup bars.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cpuNow is the CPU time of the process (all threads, the GC's included): the C++ side reads
// Google Benchmark's cpu_time, which is the same clock, so load from other processes on a
// shared machine counts for neither.
func cpuNow() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func since(t time.Duration) time.Duration { return cpuNow() - t }

type splitmix struct{ s uint64 }

func (r *splitmix) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func strKey(x uint64, n int) string {
	b := []byte(fmt.Sprintf("%016x", x))
	for len(b) < n {
		b = append(b, byte('a'+(x>>(uint(len(b))%60))%26))
	}
	return string(b)
}

func numbers(n int, seed uint64) []uint64 {
	r := splitmix{seed}
	v := make([]uint64, n)
	for i := range v {
		v[i] = r.next()
	}
	return v
}

type row struct {
	Op            string  `json:"op"`
	Kind          string  `json:"kind"`
	N             int     `json:"n"`
	NsPerOp       float64 `json:"ns_per_op"`
	BytesPerEntry float64 `json:"bytes_per_entry,omitempty"`
}

func emit(r row) {
	b, _ := json.Marshal(r)
	fmt.Println(string(b))
}

func iters(opsPerIter, budget int) int {
	if budget/opsPerIter < 1 {
		return 1
	}
	return budget / opsPerIter
}

func heap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

func run[K comparable](kind string, n int, present, absent []K) {
	shuffled := append([]K(nil), present...)
	rand.New(rand.NewSource(3)).Shuffle(n, func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	big := n >= 1000000
	var m map[K]uint64
	if *lookupsOnly {
		m = map[K]uint64{}
		for i, k := range present {
			m[k] = uint64(i)
		}
		lookup(kind, n, m, shuffled, absent, big)
		return
	}

	// insert
	it := iters(n, 500000)
	var total time.Duration
	var bytes, before uint64
	for r := 0; r < it; r++ {
		last := r == it-1 // the heap is measured around the last build only
		if last {
			m = nil
			before = heap()
		}
		t := cpuNow()
		m = map[K]uint64{}
		for i, k := range present {
			m[k] = uint64(i)
		}
		total += since(t)
		if last {
			bytes = heap() - before
		}
	}
	emit(row{"insert", kind, n, float64(total.Nanoseconds()) / float64(it*n), float64(bytes) / float64(n)})

	lookup(kind, n, m, shuffled, absent, big)
	var sum uint64

	// iterate
	it = iters(n, 1000000)
	t := cpuNow()
	for r := 0; r < it; r++ {
		for _, v := range m {
			sum += v
		}
	}
	emit(row{"iterate", kind, n, float64(since(t).Nanoseconds()) / float64(it*n), 0})

	if _, str := any(present[0]).(string); str && n >= 10000000 {
		return // as bench-maps: 10^7 string keys skip churn and erase
	}

	// churn: before op j the map holds ring[j .. j+n)
	ring := func(j int) K {
		j %= 2 * n
		if j < n {
			return present[j]
		}
		return absent[j-n]
	}
	ops, found := 500000, 0
	t = cpuNow()
	for j := 0; j < ops; j++ {
		delete(m, ring(j))
		m[ring(j+n)] = uint64(j)
		if _, ok := m[ring(j+1+(j*7919)%n)]; ok {
			found++
		}
	}
	d := since(t)
	if found != ops {
		panic("churn lost a key")
	}
	emit(row{"churn", kind, n, float64(d.Nanoseconds()) / float64(ops), 0})

	// erase
	it = iters(n, 500000)
	total = 0
	for r := 0; r < it; r++ {
		m = map[K]uint64{}
		for i, k := range present {
			m[k] = uint64(i)
		}
		t := cpuNow()
		for _, k := range shuffled {
			delete(m, k)
		}
		total += since(t)
	}
	emit(row{"erase", kind, n, float64(total.Nanoseconds()) / float64(it*n), 0})
	_ = sum
}

func lookup[K comparable](kind string, n int, m map[K]uint64, shuffled, absent []K, big bool) {
	var sum uint64
	lookups := 1000000
	if big {
		lookups = 2000000
	}
	for _, hit := range []bool{true, false} {
		probe := shuffled
		op := "lookup_hit"
		if !hit {
			probe, op = absent, "lookup_miss"
		}
		found, j := 0, 0
		t := cpuNow()
		for i := 0; i < lookups; i++ { // a hit reads the value, as real code does
			if v, ok := m[probe[j]]; ok {
				found++
				sum += v
			}
			if j++; j == n {
				j = 0
			}
		}
		d := since(t)
		if (hit && found != lookups) || (!hit && found != 0) {
			panic("wrong lookup result")
		}
		emit(row{op, kind, n, float64(d.Nanoseconds()) / float64(lookups), 0})
	}
	sink += sum
}

var (
	lookupsOnly = flag.Bool("lookups-only", false, "time only lookup_hit and lookup_miss")
	sink        uint64 // keeps the sums alive
)

func main() {
	sizes := flag.String("sizes", "1000,10000,100000,1000000,10000000", "comma-separated sizes")
	kinds := flag.String("kinds", "u64,str16,str64", "comma-separated key kinds")
	flag.Parse()
	for _, kind := range strings.Split(*kinds, ",") {
		for _, s := range strings.Split(*sizes, ",") {
			n, err := strconv.Atoi(s)
			if err != nil {
				fmt.Fprintln(os.Stderr, "bad size", s)
				os.Exit(2)
			}
			p, a := numbers(n, 1), numbers(n, 2)
			switch kind {
			case "u64":
				run(kind, n, p, a)
			case "str16", "str64":
				l := 16
				if kind == "str64" {
					l = 64
				}
				ps, as := make([]string, n), make([]string, n)
				for i := range p {
					ps[i], as[i] = strKey(p[i], l), strKey(a[i], l)
				}
				run(kind, n, ps, as)
			}
		}
	}
}
