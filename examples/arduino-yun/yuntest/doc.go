// Package yuntest runs the Arduino Yun example end to end: the YunWamp sketch,
// compiled for the ATmega32u4 with avr-gcc and the Arduino core, runs as real
// AVR firmware in simavr (the harness in ../sim), its Serial1 bridged to a pty,
// and talks edgewamp's serial link protocol to a minirouter serving that pty
// through serialtransport. The package has only tests; see ../README.md.
//
// The tests skip when avr-gcc, make, a C compiler or simavr's library are
// missing (../install-deps.sh installs them), and fail instead when CI=true or
// EDGEWAMP_INTEROP=1 is set.
package yuntest
