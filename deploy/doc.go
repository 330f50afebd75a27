// Package deploy holds no code: it is the deployment kit for boards, and its
// test checks the kit.
//
//   - systemd/edge-agent.service, systemd/sensorbridge.service: hardened
//     systemd units (system user edgewamp, no capabilities, read-only system).
//   - openwrt/edge-agent.init, openwrt/sensorbridge.init: procd init scripts.
//   - edge-agent.json, sensorbridge.json: starting configurations.
//   - install.sh: installs one program with its unit or init script and
//     configuration on the board it runs on (systemd or procd detected).
//
// scripts/build.sh copies the kit next to the binaries in dist/<target>/;
// the README's "Deploying on a board" gives the commands.
package deploy
