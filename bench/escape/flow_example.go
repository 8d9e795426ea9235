// The program the report draws with `gort escape --dot`: one value that stays on the
// stack and one that reaches the heap through a call and a package variable.
package flow

type node struct {
	next *node
	val  int
}

var last *node

func remember(n *node) { last = n }

func link(head *node, val int) *node {
	n := &node{next: head, val: val}
	remember(n)
	return head
}

func sum() int {
	local := node{val: 1}
	kept := link(&local, 2)
	return kept.val
}
