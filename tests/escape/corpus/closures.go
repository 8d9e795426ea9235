package corpus

var fsink func() int

func byValue() int {
	x := 1
	f := func() int { return x }
	return f()
}

func byRef() int {
	x := 1
	f := func() { x++ }
	f()
	return x
}

func escapingClosure() {
	y := 2
	fsink = func() int { return y }
}

func escapingRef() {
	z := 3
	fsink = func() int { z++; return z }
}

func counter() func() int {
	c := 0
	return func() int {
		c++
		return c
	}
}

func direct() *int {
	return func() *int {
		v := 4
		return &v
	}()
}
