package agent

import (
	"time"

	"github.com/edgewamp/edgewamp/agent/demo"
)

// DefaultDemoName is the name of `edge-agent -demo`'s device: its URIs
// (agent.temperature, agent.light.set) do not clash with those of
// sensorbridge -demo's device, which has no name.
const DefaultDemoName = "agent"

// DemoConfig is the configuration of `edge-agent -demo`: the quick start's
// simulated device (agent/demo) on the reconnecting client, with no
// hardware, its URIs under the prefix name: a temperature sensor
// publishing on NAME.temperature every second (demo.Reading: a slow wave
// plus noise), a light switched by NAME.light.set and read by
// NAME.light.get, and the status procedure NAME.status. An empty name
// gives the bare URIs of agent/demo, and agent.status.
func DemoConfig(name string) (*Config, error) {
	if err := demo.CheckName(name); err != nil {
		return nil, err
	}
	c := &Config{
		Prefix: name,
		Sensors: []SensorConfig{{
			Name: "temperature", Kind: KindSimulated, Unit: "C", Interval: Duration(time.Second),
		}},
		Actuators: []ActuatorConfig{{Name: "light", Kind: KindSimulated}},
	}
	if name == "" {
		c.Sensors[0].Topic, c.Actuators[0].Procedure = string(demo.TopicTemperature), string(demo.ProcLightSet)
	}
	return c, nil
}

// DemoSummary says in one line what the demo device of cfg serves.
func (c *Config) DemoSummary() string {
	set, get := c.procedures(&c.Actuators[0])
	return "publishes " + c.topic(&c.Sensors[0]) + " every " + time.Duration(c.Sensors[0].Interval).String() +
		"; registers " + set + ", " + get + " and " + c.statusProcedure()
}
