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

// A closure called through a variable of the function is a static call; through the same
// variable captured by another closure it is not (ir.StaticValue follows no captured
// variable): its arguments then escape.
func throughCaptured(x, y int) bool {
	errorf := func(format string, args ...interface{}) { sinkString = format }
	errorf("direct %d", x)
	return runBool(func() bool {
		errorf("captured %d %d", x, y)
		return true
	})
}

var sinkString string

func runBool(f func() bool) bool { return f() }
