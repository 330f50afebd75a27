package agent

import (
	"fmt"
	"time"

	"github.com/edgewamp/edgewamp/agent/demo"
)

// DefaultDemoName is the name of `edge-agent -demo`'s device: its URIs
// (agent.temperature, agent.light.set) do not clash with those of
// sensorbridge -demo's device, which has no name.
const DefaultDemoName = "agent"

// DemoConfig is the configuration of `edge-agent -demo`: the quick start's
// simulated device (agent/demo) on the reconnecting client, with no
// hardware: a temperature sensor publishing on NAME.temperature every
// second (demo.Reading: a slow wave plus noise) and a light switched by
// NAME.light.set and read by NAME.light.get (demo.URIsOf; an empty name
// gives the bare URIs). The status procedure is agent.status.
func DemoConfig(name string) (*Config, error) {
	if err := demo.CheckName(name); err != nil {
		return nil, err
	}
	u := demo.URIsOf(name)
	return &Config{
		Sensors: []SensorConfig{{
			Name: "temperature", Kind: KindSimulated, Topic: string(u.Temperature),
			Unit: "C", Interval: Duration(time.Second),
		}},
		Actuators: []ActuatorConfig{{
			Name: "light", Kind: KindSimulated, Procedure: string(u.LightSet),
		}},
	}, nil
}

// DemoSummary says in one line what the demo device of cfg serves.
func (c *Config) DemoSummary() string {
	set, get := c.procedures(&c.Actuators[0])
	return fmt.Sprintf("publishes %s every %v; registers %s, %s and %s",
		c.topic(&c.Sensors[0]), time.Duration(c.Sensors[0].Interval), set, get, c.statusProcedure())
}
