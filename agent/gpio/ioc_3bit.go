//go:build mips || mipsle || mips64 || mips64le || ppc || ppc64 || ppc64le || sparc64

package gpio

// The _IOC layout of MIPS, PowerPC and SPARC: 13 size bits, three direction
// bits from bit 29, _IOC_READ=2, _IOC_WRITE=4.
const (
	iocWrite     = 4
	iocRead      = 2
	iocSizeShift = 16
	iocDirShift  = 29
)
