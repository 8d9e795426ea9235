// growth.go — oracle: how Go 1.19's append grows a slice, observed from outside.
//
// For each element size the program appends one element at a time to a nil slice, up to
// 10^6 elements, and prints "size len cap" whenever cap changes (len is the length that
// triggered the growth). The capacity is growslice's: doubling below 256, then
// c += (c+768)/4, then the byte size rounded up to a size class (pages above 32 KiB).
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

const maxLen = 1000000

func run[T any](size int) {
	var s []T
	var zero T
	prev := -1
	for i := 0; i < maxLen; i++ {
		s = append(s, zero)
		if cap(s) != prev {
			fmt.Println(size, len(s), cap(s))
			prev = cap(s)
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
