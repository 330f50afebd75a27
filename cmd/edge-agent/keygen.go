//go:build !edgewamp_noauth

package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"os"

	"github.com/edgewamp/edgewamp/auth"
)

// keygen is in builds with authentication only.
func init() {
	commands = append(commands, command{name: "keygen", positional: 0, run: runKeygen, synopsis: "FILE",
		about: "write a new Ed25519 key for cryptosign to FILE, print its public key"})
}

// runKeygen writes a new Ed25519 key for cryptosign to the file named by
// the first word (as 64 hex characters of its seed, mode 0600; an
// existing file is never overwritten) and prints its public key, the value
// for a router user's cryptosign_pubkeys.
func runKeygen(_ context.Context, inv *invocation, out io.Writer) error {
	if len(inv.words) != 1 {
		return fmt.Errorf("%w: edge-agent keygen FILE", errUsage)
	}
	path := inv.words[0]
	key, err := auth.GenerateCryptosignKey()
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("key file: %w", err)
	}
	if _, err := fmt.Fprintln(f, hex.EncodeToString(key.Seed())); err != nil {
		f.Close()
		return fmt.Errorf("key file %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("key file %s: %w", path, err)
	}
	fmt.Fprintln(out, auth.CryptosignPublicKey(key))
	return nil
}
