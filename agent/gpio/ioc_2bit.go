//go:build !mips && !mipsle && !mips64 && !mips64le && !ppc && !ppc64 && !ppc64le && !sparc64

package gpio

// The generic _IOC layout (asm-generic/ioctl.h): 14 size bits, direction in
// the top two bits.
const (
	iocWrite     = 1
	iocRead      = 2
	iocSizeShift = 16
	iocDirShift  = 30
)
