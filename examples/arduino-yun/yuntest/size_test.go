package yuntest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// stackMargin is the SRAM a firmware's static data must leave to the stack.
const stackMargin = 512

// avrSize returns the flash (.text + .data) and static RAM (.data + .bss) of
// elf, from avr-size's Berkeley format.
func avrSize(t *testing.T, elf string) (flash, ram int) {
	t.Helper()
	out, err := exec.Command("avr-size", elf).Output()
	if err != nil {
		t.Fatalf("avr-size %s: %v", elf, err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	var text, data, bss int
	if len(lines) != 2 {
		t.Fatalf("avr-size %s printed %q", elf, out)
	}
	if _, err := fmt.Sscan(lines[1], &text, &data, &bss); err != nil {
		t.Fatalf("avr-size %s printed %q: %v", elf, out, err)
	}
	return text + data, data + bss
}

// readmeSizes returns the flash and RAM the README's table gives for example
// on b: the row "| example | b.label | flash | of | RAM | of |".
func readmeSizes(t *testing.T, readme []byte, example string, b board) (flash, ram int) {
	t.Helper()
	prefix := "| " + example + " | " + b.label + " |"
	for _, line := range strings.Split(string(readme), "\n") {
		if !strings.HasPrefix(line, prefix) {
			continue
		}
		cols := strings.Split(strings.Trim(line[len(prefix):], " |"), "|")
		var nums []int
		for _, c := range cols {
			n, err := strconv.Atoi(strings.ReplaceAll(strings.TrimSpace(c), ",", ""))
			if err != nil {
				t.Fatalf("README row %q: %v", line, err)
			}
			nums = append(nums, n)
		}
		if len(nums) != 4 {
			t.Fatalf("README row %q: want flash, of, RAM, of", line)
		}
		return nums[0], nums[2]
	}
	t.Fatalf("README has no row starting %q", prefix)
	return 0, 0
}

// TestFirmwareSize checks every example on every board against its ceilings:
// flash within what the bootloader leaves, static RAM leaving stackMargin
// bytes to the stack, and no allocator linked (no dynamic memory). It also
// checks the README's table of sizes against the build (to 1 % of flash and
// 16 bytes of RAM, for toolchain drift).
func TestFirmwareSize(t *testing.T) {
	requireTools(t)
	readme, err := os.ReadFile(filepath.Join(exampleDir(), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range boards {
		for _, e := range examples {
			fw, _ := buildFor(t, b, e)
			flash, ram := avrSize(t, fw.elf)
			t.Logf("%-10s %-18s flash %6d of %6d, RAM %5d of %5d", e, b.label, flash, b.flash, ram, b.sram)
			if flash > b.flash {
				t.Errorf("%s on %s: %d bytes of flash, more than the %d the bootloader leaves", e, b.label, flash, b.flash)
			}
			if ram > b.sram-stackMargin {
				t.Errorf("%s on %s: %d bytes of static RAM, more than %d (%d - %d for the stack)",
					e, b.label, ram, b.sram-stackMargin, b.sram, stackMargin)
			}
			syms, err := exec.Command("avr-nm", fw.elf).Output()
			if err != nil {
				t.Fatalf("avr-nm: %v", err)
			}
			for _, f := range []string{" malloc", " free", " realloc", " _Znwj", " _Znaj"} {
				if strings.Contains(string(syms), f+"\n") {
					t.Errorf("%s on %s links%s: dynamic memory", e, b.label, f)
				}
			}
			dflash, dram := readmeSizes(t, readme, e, b)
			if abs(dflash-flash)*100 > flash || abs(dram-ram) > 16 {
				t.Errorf("README says %s on %s takes %d bytes of flash and %d of RAM; the build: %d and %d (update the table: make size)",
					e, b.label, dflash, dram, flash, ram)
			}
		}
	}
}

func abs(n int) int { return max(n, -n) }
