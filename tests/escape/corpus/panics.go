// Where the compiler reports conversions to interface: panic's argument, and the results
// of a return with several values.
package corpus

import "fmt"

type perr struct{ s string }

type token interface{}

func panics(x int, s string, b []byte, m map[int]int, e perr, err error) {
	switch x {
	case 1:
		panic(perr{s})
	case 2:
		panic(fmt.Sprintf("%d", x))
	case 3:
		panic(string(b))
	case 4:
		panic(m[x])
	case 5:
		panic(e.s)
	case 6:
		panic(-x)
	case 7:
		panic(b[1:])
	case 8:
		panic("constant")
	case 9:
		panic(s + "x" + fmt.Sprint(x))
	case 10:
		panic(perr{"constant"})
	case 11:
		panic(x)
	}
}

type delim rune

func results(x int, s string) (token, error) {
	switch x {
	case 1:
		return x, nil
	case 2:
		return delim('['), nil
	case 3:
		return s, fmt.Errorf("bad %d", x)
	}
	return nil, nil
}

// A concatenation's conversion is reported at its last operand that is not a constant.
func concatenations(x int, s, t string) {
	switch x {
	case 1:
		panic("a" + s + "b")
	case 2:
		panic(s + "a" + t + "b" + "c")
	case 3:
		panic("a" + fmt.Sprint(x) + "b")
	}
}
