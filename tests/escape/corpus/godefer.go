package corpus

import (
	"errors"
	"fmt"
)

func work(p *int) { *p++ }

func spawn() {
	x := 1
	go work(&x)
}

func deferred() {
	y := 1
	defer work(&y)
}

func deferInLoop() {
	for i := 0; i < 3; i++ {
		z := i
		defer work(&z)
	}
}

func goClosure() {
	go func() {}()
}

func printing(n int, s string) error {
	fmt.Println(n, s)
	msg := fmt.Sprintf("%d:%s", n, s)
	if n > 0 {
		return errors.New(msg)
	}
	return nil
}
