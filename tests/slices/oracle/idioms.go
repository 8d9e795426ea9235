// idioms.go — oracle: Go 1.19 running the slice idioms a Go programmer writes first, `:=`
// (C++ `auto`) everywhere: results of append named, nested appends, appends to sub-slices,
// 3-index slices, copy between overlapping sub-slices, range over sub-slices, the in-place
// filter, sources reassigned after their results were named.
//
// Each case prints "name len cap [elements]" (show) or "name value" (val);
// tests/slices/idioms.h writes the same program with gort::slice and must print the same text.
package main

import (
	"fmt"
	"strings"
)

func show(name string, s []int) { fmt.Println(name, len(s), cap(s), s) }
func val(name string, v int)    { fmt.Println(name, v) }

func grow(s []int) []int { return append(s, len(s)) }

func main() {
	// 1. A named result after growth has an array of its own.
	x := []int{1, 2, 3}
	y := append(x, 4)
	y[0] = 100
	show("1.x", x)
	show("1.y", y)

	// 2. Append to a sub-slice with room writes into the shared array.
	p := make([]int, 2, 10)
	q := append(p[0:1], 99)
	show("2.p", p)
	show("2.q", q)
	r := append(p[:2], 7)
	show("2.p-to-3", p[:3])
	show("2.r", r)

	// 3. Nested appends.
	a := []int{1, 2, 3}
	t := append(append(a, 1), 2)
	show("3.t", t)
	show("3.a", a)

	// 4. Appending slices, the source itself among them.
	s := []int{5, 6}
	other := []int{7, 8, 9}
	u := append(s, other...)
	s2 := append(s, s...)
	show("4.u", u)
	show("4.s2", s2)

	// 5. The loop.
	var sq []int
	for i := 0; i < 20; i++ {
		sq = append(sq, i*i)
	}
	show("5.sq", sq)

	// 6. Range over sub-slices.
	sum := 0
	for _, v := range sq[2:5] {
		sum += v
	}
	val("6.sum", sum)
	cnt := 0
	for i := range sq[15:] {
		cnt += i
	}
	val("6.cnt", cnt)

	// 7. 3-index slices: the first append fits under max, the second cannot.
	base := []int{10, 20, 30, 40, 0}
	a3 := base[1:3:4]
	b3 := append(a3, 50)
	c3 := append(b3, 60)
	c3[0] = -1
	show("7.base", base)
	show("7.a3", a3)
	show("7.b3", b3)
	show("7.c3", c3)

	// 8. copy between overlapping sub-slices, both directions.
	c := []int{0, 1, 2, 3, 4, 5, 6, 7}
	n := copy(c[2:], c)
	show("8.c", c)
	val("8.n", n)
	n2 := copy(c, c[3:])
	show("8.c2", c)
	val("8.n2", n2)

	// 9. The source reassigned after its result was named.
	src := []int{1, 2}
	res := append(src, 3)
	src = nil
	show("9.res", res)
	src = append(src, 9)
	show("9.src", src)
	res2 := append(res, 4)
	res = nil
	show("9.res2", res2)

	// 10. Results passed on and returned.
	g := grow(grow(grow(nil)))
	show("10.g", g)

	// 11. Two appends to one prefix with room alias each other.
	pre := make([]int, 0, 4)
	a11 := append(pre, 1)
	b11 := append(pre, 2)
	show("11.a", a11)
	show("11.b", b11)

	// 12. The in-place filter: w shares s's array and overwrites it as it goes.
	f := []int{1, 2, 3, 4, 5, 6, 7, 8}
	w := f[:0]
	for _, v := range f {
		if v%2 == 0 {
			w = append(w, v)
		}
	}
	show("12.f", f)
	show("12.w", w)

	// 13. A named result, then the source grows again.
	z := []int{1, 2, 3}
	z1 := append(z, 4)
	z = append(z, 5)
	z[0] = 0
	show("13.z", z)
	show("13.z1", z1)

	// 14. Strings (elements that are not plain bytes).
	names := []string{"go"}
	more := append(names, "gort")
	more = append(more, "c++")
	more[0] = "GO"
	fmt.Println("14.names", len(names), cap(names), strings.Join(names, ","))
	fmt.Println("14.more", len(more), cap(more), strings.Join(more, ","))

	// 15. Append to the result of a 3-index slice of a named result.
	h := append([]int{1, 2, 3}, 4)
	h2 := append(h[:2:2], 9)
	h3 := append(h[:2], 8)
	show("15.h", h)
	show("15.h2", h2)
	show("15.h3", h3)
}
