// grid.go — oracle: the capacity after appending n elements at once to a full slice of
// capacity c, for a grid of (c, n) and each element size, from Go 1.19's runtime.
//
// The slice is make([]T, c) (len == cap == c) and the n elements come from another slice,
// so append calls growslice(old cap c, needed c+n). One line "size c n cap" per point.
package main

import "fmt"

type (
	e1   [1]byte
	e8   int64
	e16  [2]int64
	e24  [3]int64
	e40  [5]int64
	e64  [8]int64
	e100 [100]byte
)

var caps = []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 15, 16, 17, 31, 32, 33, 63, 64,
	65, 100, 127, 128, 129, 200, 250, 255, 256, 257, 300, 341, 500, 511, 512, 513, 1000,
	1023, 1024, 1025, 2047, 2048, 3000, 4095, 4096, 4097, 10000, 32767, 32768, 32769,
	65536, 100000}

var ns = []int{1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 100, 255, 256, 257, 500, 1000,
	1024, 4096, 5000, 40000, 100000}

func run[T any](size int) {
	src := make([]T, 100000)
	for _, c := range caps {
		for _, n := range ns {
			s := make([]T, c)
			s = append(s, src[:n]...)
			fmt.Println(size, c, n, cap(s))
		}
	}
}

func main() {
	run[e1](1)
	run[e8](8)
	run[e16](16)
	run[e24](24)
	run[e40](40)
	run[e64](64)
	run[e100](100)
}
