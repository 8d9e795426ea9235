// What gc drops or lays out statically before escape analysis: branches and switch cases
// that cannot run, statements after an if that always returns, package-level literals; and
// the bounds checks its walk proves needless.
package corpus

import "fmt"

const debugging = false

const wordSize = 64

var table = []*int{nil}

var names = []string{"a", "b"}

var bytesOf = []byte("constant")

var boxes = []interface{}{1, "a", &struct{ p *int }{}}

type entry struct {
	name string
	f    func(*int) *int
}

var entries = [...]entry{{"id", func(p *int) *int { return p }}, {"new", func(*int) *int { return new(int) }}}

func check(x *int) *int {
	if debugging && *x > 0 {
		panic(fmt.Sprint("bad", *x))
	}
	if !debugging {
		return x
	}
	y := new(int)
	return y
}

func size() *int {
	switch wordSize {
	case 32:
		return new(int)
	case 64:
		n := 0
		return &n
	default:
		panic("unknown size")
	}
}

var hexDigits = "0123456789abcdef"

const lower = "0123456789abcdef"

func hex(dst []byte, b byte, a *[256]int, i uint) []byte {
	dst = append(dst, lower[b>>4], lower[b&15])
	dst[0] = lower[b>>4]
	_ = a[b]
	_ = a[i%256]
	_ = a[i&0xff]
	_ = hexDigits[b&15]
	return dst
}
