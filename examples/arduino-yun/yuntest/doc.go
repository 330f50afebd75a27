// Package yuntest runs the Arduino Yun example end to end: the EdgeWamp
// library's example sketches (the light and the thermostat), compiled with
// avr-gcc and the Arduino core for the Yun's ATmega32u4 and the Uno's
// ATmega328P, run as real AVR firmware in simavr (the harness in ../sim),
// their UART bridged to a pty, and talk edgewamp's serial link protocol to a
// minirouter serving that pty through serialtransport, with Go clients,
// AutobahnPython, the web page in chromium and the sensorbridge binary as
// peers. It also checks the firmware's sizes and the Arduino IDE's build.
// The package has only tests; see ../README.md.
//
// The tests skip when avr-gcc, make, a C compiler or simavr's library are
// missing (../install-deps.sh installs them), and fail instead when CI=true or
// EDGEWAMP_INTEROP=1 is set.
package yuntest
