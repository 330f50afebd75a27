// Package readmetest runs, in its tests, the commands of README.md's quick start and of the Arduino
// Yun example's PC walkthrough as the README files write them, on private ports, and checks each
// command's output against what the README shows beside it: the README is the script, so it cannot
// drift from the binaries. The package has no code of its own.
package readmetest
