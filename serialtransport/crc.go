package serialtransport

// CRC-16/CCITT-FALSE: polynomial 0x1021, initial value 0xFFFF, no input or
// output reflection, no final XOR. Check value: 0x29B1 for "123456789".

var crcTable = makeCRCTable()

func makeCRCTable() (t [256]uint16) {
	for i := range t {
		c := uint16(i) << 8
		for range 8 {
			if c&0x8000 != 0 {
				c = c<<1 ^ 0x1021
			} else {
				c <<= 1
			}
		}
		t[i] = c
	}
	return t
}

// CRC16 returns the CRC-16/CCITT-FALSE of b (poly 0x1021, init 0xFFFF, not
// reflected, no final XOR), the checksum that ends every frame's payload. It
// is safe for concurrent use.
func CRC16(b []byte) uint16 { return crcUpdate(0xFFFF, b) }

// crcUpdate continues a CRC-16/CCITT-FALSE computation.
func crcUpdate(crc uint16, b []byte) uint16 {
	for _, c := range b {
		crc = crc<<8 ^ crcTable[byte(crc>>8)^c]
	}
	return crc
}
