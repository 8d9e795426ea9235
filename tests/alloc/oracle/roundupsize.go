// roundupsize.go — oracle: the Go runtime's size rounding, observed from outside.
//
// Appending n bytes to a nil slice makes growslice allocate exactly roundupsize(n) bytes
// (the new length exceeds twice the old capacity, so no doubling applies), so cap() of the
// result is the size class of n for n <= 32 KiB and the page-rounded size above. The
// program prints one line "n cap" for each n where the rounding changes, from 1 to 40000.
package main

import "fmt"

func main() {
	prev := -1
	for n := 1; n <= 40000; n++ {
		c := cap(append([]byte(nil), make([]byte, n)...))
		if c != prev {
			fmt.Println(n, c)
			prev = c
		}
	}
}
