package agent

import (
	"fmt"

	"github.com/edgewamp/edgewamp/agent/gpio"
)

// DefaultChip is the GPIO chip used when GPIOConfig.Chip is empty.
const DefaultChip = "/dev/gpiochip0"

func parseBias(s string) (gpio.Bias, error) {
	switch s {
	case "", "as-is":
		return gpio.BiasAsIs, nil
	case "pull-up":
		return gpio.BiasPullUp, nil
	case "pull-down":
		return gpio.BiasPullDown, nil
	case "disabled":
		return gpio.BiasDisabled, nil
	}
	return 0, fmt.Errorf("unknown %q (want as-is, pull-up, pull-down or disabled)", s)
}

func parseEdge(s string) (gpio.Edge, error) {
	switch s {
	case "", "both":
		return gpio.EdgeBoth, nil
	case "rising":
		return gpio.EdgeRising, nil
	case "falling":
		return gpio.EdgeFalling, nil
	case "none":
		return gpio.EdgeNone, nil
	}
	return 0, fmt.Errorf("unknown %q (want both, rising, falling or none)", s)
}

func parseDrive(s string) (gpio.Drive, error) {
	switch s {
	case "", "push-pull":
		return gpio.DrivePushPull, nil
	case "open-drain":
		return gpio.DriveOpenDrain, nil
	case "open-source":
		return gpio.DriveOpenSource, nil
	}
	return 0, fmt.Errorf("unknown %q (want push-pull, open-drain or open-source)", s)
}

// lineConfig converts a validated GPIOConfig.
func (g *GPIOConfig) lineConfig(output bool, consumer string) (chip string, lc gpio.LineConfig) {
	chip = g.Chip
	if chip == "" {
		chip = DefaultChip
	}
	lc = gpio.LineConfig{Offset: *g.Line, Consumer: consumer, Output: output, ActiveLow: g.ActiveLow, Initial: g.Initial}
	lc.Bias, _ = parseBias(g.Bias)
	if output {
		lc.Drive, _ = parseDrive(g.Drive)
	} else {
		lc.Edge, _ = parseEdge(g.Edge)
		lc.Debounce = g.Debounce.std()
	}
	return chip, lc
}
