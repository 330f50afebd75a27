//go:build linux && !ppc64 && !ppc64le

package serialtransport

import (
	"errors"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

func init() {
	portOpeners = append(portOpeners, struct {
		name string
		open func(path string, baud int) (Port, error)
	}{"termios", openTermios})
}

// TestPortSettings checks, through the pty's master (whose termios ioctls
// reach the slave's settings), what each implementation sets up: raw 8N1
// without flow control at the asked rate, standard or not, and exclusive
// access released on Close.
func TestPortSettings(t *testing.T) {
	if os.Getenv("UNDER_QEMU") != "" {
		t.Skip("qemu-user has no termios2")
	}
	eachOpener(t, func(t *testing.T, open func(string, int) (Port, error)) {
		for _, tc := range []struct {
			baud   int
			code   uint32 // the Cflag rate bits
			ispeed uint32 // termios2's speed, when code is BOTHER
		}{
			{0, unix.B115200, 0},
			{9600, unix.B9600, 0},
			{115200, unix.B115200, 0},
			{4000000, unix.B4000000, 0},
			{250000, unix.BOTHER, 250000},
			{31250, unix.BOTHER, 31250},
		} {
			p := openPTY(t)
			port, err := open(p.SlavePath, tc.baud)
			if err != nil {
				t.Fatalf("baud %d: %v", tc.baud, err)
			}
			tio, err := unix.IoctlGetTermios(int(p.Master.Fd()), unix.TCGETS2)
			if err != nil {
				t.Fatal(err)
			}
			if got := tio.Cflag & unix.CBAUD; got != tc.code {
				t.Errorf("baud %d: Cflag rate bits %#o, want %#o", tc.baud, got, tc.code)
			}
			if tc.code == unix.BOTHER && (tio.Ispeed != tc.ispeed || tio.Ospeed != tc.ispeed) {
				t.Errorf("baud %d: speeds %d/%d", tc.baud, tio.Ispeed, tio.Ospeed)
			}
			if tio.Cflag&unix.CSIZE != unix.CS8 || tio.Cflag&(unix.PARENB|unix.CSTOPB|unix.CRTSCTS) != 0 ||
				tio.Cflag&(unix.CREAD|unix.CLOCAL) != unix.CREAD|unix.CLOCAL {
				t.Errorf("baud %d: Cflag %#o, want 8N1, CREAD|CLOCAL, no CRTSCTS", tc.baud, tio.Cflag)
			}
			if tio.Lflag&(unix.ICANON|unix.ECHO|unix.ISIG|unix.IEXTEN) != 0 || tio.Oflag&unix.OPOST != 0 ||
				tio.Iflag&(unix.IXON|unix.IXOFF|unix.ICRNL|unix.ISTRIP|unix.INPCK) != 0 {
				t.Errorf("baud %d: not raw: iflag %#o oflag %#o lflag %#o", tc.baud, tio.Iflag, tio.Oflag, tio.Lflag)
			}
			checkExclusive(t, p.SlavePath, true)
			if err := port.Close(); err != nil {
				t.Fatal(err)
			}
			if err := port.Close(); err != nil {
				t.Fatalf("second Close = %v", err)
			}
			checkExclusive(t, p.SlavePath, false)
			p.Close()
		}
	})
}

// checkExclusive opens the tty at path once more and checks whether it is
// held exclusively: such an open fails with EBUSY, except for root, for
// whom TIOCGEXCL tells.
func checkExclusive(t *testing.T, path string, want bool) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR|unix.O_NOCTTY|unix.O_NONBLOCK, 0)
	if errors.Is(err, unix.EBUSY) {
		if !want {
			t.Errorf("%s: busy after Close", path)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	excl, err := unix.IoctlGetUint32(int(f.Fd()), unix.TIOCGEXCL)
	if err != nil {
		t.Fatal(err)
	}
	if got := excl != 0; got != want {
		t.Errorf("%s: exclusive = %v, want %v", path, got, want)
	}
}
