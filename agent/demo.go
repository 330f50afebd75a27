package agent

import (
	"time"

	"github.com/edgewamp/edgewamp/agent/demo"
)

// DemoConfig is the configuration of `edge-agent -demo`: the quick start's
// simulated device (agent/demo) on the reconnecting client, with no
// hardware: a temperature sensor publishing on "temperature" every second
// and a light switched by "light.set" and read by "light.get". The status
// procedure is agent.status.
func DemoConfig() *Config {
	return &Config{
		Sensors: []SensorConfig{{
			Name: "temperature", Kind: KindSimulated, Topic: string(demo.TopicTemperature),
			Unit: "C", Interval: Duration(time.Second),
		}},
		Actuators: []ActuatorConfig{{
			Name: "light", Kind: KindSimulated, Procedure: string(demo.ProcLightSet),
		}},
	}
}
