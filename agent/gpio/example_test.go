package gpio_test

import (
	"fmt"
	"log"
	"time"

	"github.com/edgewamp/edgewamp/agent/gpio"
)

// A push button on line 17 of the first chip (pulled up, so pressing it
// reads 0 unless ActiveLow) and an LED on line 27 that follows it. It needs
// a board (/dev/gpiochip0), so it is compiled but not run.
func Example() {
	button, err := gpio.Request("/dev/gpiochip0", gpio.LineConfig{Offset: 17, Edge: gpio.EdgeBoth,
		Bias: gpio.BiasPullUp, ActiveLow: true, Debounce: 10 * time.Millisecond})
	if err != nil {
		log.Fatal(err)
	}
	defer button.Close()
	led, err := gpio.Request("/dev/gpiochip0", gpio.LineConfig{Offset: 27, Output: true})
	if err != nil {
		log.Fatal(err)
	}
	defer led.Close()
	for {
		ev, err := button.ReadEvent()
		if err != nil {
			log.Fatal(err)
		}
		on := 0
		if ev.Kind == gpio.RisingEdge {
			on = 1
		}
		if err := led.SetValue(on); err != nil {
			log.Fatal(err)
		}
		fmt.Println(ev.Time.Format(time.RFC3339Nano), "led", on)
	}
}
