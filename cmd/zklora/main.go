// Command zklora proves that a LoRA contributor's answers during a base-model
// user's inference came from the one adapter it committed to.
package main

import "os"

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }
