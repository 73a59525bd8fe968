// Command target is the Go program TestGoProbe probes: it calls
// someFunc(1) to someFunc(10) and prints the sum of the results.
package main

import "fmt"

// someFunc is probed as main.someFunc; not inlined, so that it is called.
//
//go:noinline
func someFunc(n int) int { return 2 * n }

func main() {
	sum := 0
	for i := 1; i <= 10; i++ {
		sum += someFunc(i)
	}
	fmt.Println(sum)
}
