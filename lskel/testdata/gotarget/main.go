// Command gotarget calls probed as many times as its argument says: the
// uprobe tests of package lskel attach to main.probed in its symbol table.
package main

import (
	"fmt"
	"os"
	"strconv"
)

//go:noinline
func probed(i int) int { return i * 3 }

func main() {
	n, err := strconv.Atoi(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	sum := 0
	for i := range n {
		sum += probed(i)
	}
	fmt.Println(sum)
}
