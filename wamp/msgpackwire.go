package wamp

import "math"

// MessagePack format primitives: the type codes of the MessagePack
// specification, appending headers and scalars, and reading big-endian
// lengths. The encoders choose the shortest form for every integer and
// length, as github.com/vmihailenco/msgpack/v5's EncodeInt, EncodeUint,
// EncodeString, EncodeBytesLen, EncodeArrayLen and EncodeMapLen do, so that
// both produce the same bytes on the wire.

// Type codes (the specification's names). Fixint, fixmap, fixarray and
// fixstr carry their value or length in the code byte.
const (
	mpPosFixintMax = 0x7f
	mpFixmap       = 0x80 // 0x80..0x8f
	mpFixarray     = 0x90 // 0x90..0x9f
	mpFixstr       = 0xa0 // 0xa0..0xbf
	mpNil          = 0xc0
	mpNeverUsed    = 0xc1
	mpFalse        = 0xc2
	mpTrue         = 0xc3
	mpBin8         = 0xc4
	mpBin16        = 0xc5
	mpBin32        = 0xc6
	mpExt8         = 0xc7
	mpExt16        = 0xc8
	mpExt32        = 0xc9
	mpFloat32      = 0xca
	mpFloat64      = 0xcb
	mpUint8        = 0xcc
	mpUint16       = 0xcd
	mpUint32       = 0xce
	mpUint64       = 0xcf
	mpInt8         = 0xd0
	mpInt16        = 0xd1
	mpInt32        = 0xd2
	mpInt64        = 0xd3
	mpFixext1      = 0xd4
	mpFixext16     = 0xd8
	mpStr8         = 0xd9
	mpStr16        = 0xda
	mpStr32        = 0xdb
	mpArray16      = 0xdc
	mpArray32      = 0xdd
	mpMap16        = 0xde
	mpMap32        = 0xdf
	mpNegFixintMin = 0xe0 // 0xe0..0xff: -32..-1
)

func mpIsFixstr(c byte) bool   { return c&0xe0 == mpFixstr }
func mpIsFixarray(c byte) bool { return c&0xf0 == mpFixarray }
func mpIsFixmap(c byte) bool   { return c&0xf0 == mpFixmap }

func mpIsStr(c byte) bool   { return mpIsFixstr(c) || c >= mpStr8 && c <= mpStr32 }
func mpIsArray(c byte) bool { return mpIsFixarray(c) || c == mpArray16 || c == mpArray32 }
func mpIsMap(c byte) bool   { return mpIsFixmap(c) || c == mpMap16 || c == mpMap32 }
func mpIsUint(c byte) bool  { return c >= mpUint8 && c <= mpUint64 }

// mpIsInt reports the codes read as signed: both fixints and int8..int64.
func mpIsInt(c byte) bool {
	return c <= mpPosFixintMax || c >= mpNegFixintMin || c >= mpInt8 && c <= mpInt64
}

func mpIsExt(c byte) bool {
	return c >= mpExt8 && c <= mpExt32 || c >= mpFixext1 && c <= mpFixext16
}

// mpMaxLen is the longest str, bin, array or map MessagePack can declare.
const mpMaxLen = math.MaxUint32

func mpAppend8(dst []byte, code, v byte) []byte { return append(dst, code, v) }

func mpAppend16(dst []byte, code byte, v uint16) []byte {
	return append(dst, code, byte(v>>8), byte(v))
}

func mpAppend32(dst []byte, code byte, v uint32) []byte {
	return append(dst, code, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

func mpAppend64(dst []byte, code byte, v uint64) []byte {
	return append(dst, code, byte(v>>56), byte(v>>48), byte(v>>40), byte(v>>32),
		byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

// mpAppendUint appends v in the shortest form: positive fixint, uint8,
// uint16, uint32 or uint64.
func mpAppendUint(dst []byte, v uint64) []byte {
	switch {
	case v <= mpPosFixintMax:
		return append(dst, byte(v))
	case v <= math.MaxUint8:
		return mpAppend8(dst, mpUint8, byte(v))
	case v <= math.MaxUint16:
		return mpAppend16(dst, mpUint16, uint16(v))
	case v <= math.MaxUint32:
		return mpAppend32(dst, mpUint32, uint32(v))
	}
	return mpAppend64(dst, mpUint64, v)
}

// mpAppendInt appends v in the shortest form; non-negative values as
// mpAppendUint does, negative ones as negative fixint, int8, int16, int32 or
// int64.
func mpAppendInt(dst []byte, v int64) []byte {
	switch {
	case v >= 0:
		return mpAppendUint(dst, uint64(v))
	case v >= -32:
		return append(dst, byte(v))
	case v >= math.MinInt8:
		return mpAppend8(dst, mpInt8, byte(v))
	case v >= math.MinInt16:
		return mpAppend16(dst, mpInt16, uint16(v))
	case v >= math.MinInt32:
		return mpAppend32(dst, mpInt32, uint32(v))
	}
	return mpAppend64(dst, mpInt64, uint64(v))
}

func mpAppendFloat32(dst []byte, f float32) []byte {
	return mpAppend32(dst, mpFloat32, math.Float32bits(f))
}

func mpAppendFloat64(dst []byte, f float64) []byte {
	return mpAppend64(dst, mpFloat64, math.Float64bits(f))
}

func mpAppendBool(dst []byte, v bool) []byte {
	if v {
		return append(dst, mpTrue)
	}
	return append(dst, mpFalse)
}

// mpAppendLen appends the header of a str, bin, array or map of n elements
// (n <= mpMaxLen) in its shortest form: the fix form fix|n when n < fixN,
// else the 8-bit (when c8 is not 0), 16-bit or 32-bit length form.
func mpAppendLen(dst []byte, n int, fix byte, fixN int, c8, c16, c32 byte) []byte {
	switch {
	case n < fixN:
		return append(dst, fix|byte(n))
	case c8 != 0 && n <= math.MaxUint8:
		return mpAppend8(dst, c8, byte(n))
	case n <= math.MaxUint16:
		return mpAppend16(dst, c16, uint16(n))
	}
	return mpAppend32(dst, c32, uint32(n))
}

func mpAppendStrLen(dst []byte, n int) []byte {
	return mpAppendLen(dst, n, mpFixstr, 32, mpStr8, mpStr16, mpStr32)
}

// mpAppendBinLen appends a bin header: there is no fix form, so even an
// empty bin takes bin8.
func mpAppendBinLen(dst []byte, n int) []byte {
	return mpAppendLen(dst, n, 0, 0, mpBin8, mpBin16, mpBin32)
}

// mpAppendArrayLen appends an array header: no 8-bit form.
func mpAppendArrayLen(dst []byte, n int) []byte {
	return mpAppendLen(dst, n, mpFixarray, 16, 0, mpArray16, mpArray32)
}

// mpAppendMapLen appends a map header: no 8-bit form.
func mpAppendMapLen(dst []byte, n int) []byte {
	return mpAppendLen(dst, n, mpFixmap, 16, 0, mpMap16, mpMap32)
}

// mpAppendStr appends s as a str.
func mpAppendStr(dst []byte, s string) []byte {
	return append(mpAppendStrLen(dst, len(s)), s...)
}

// mpBE reads the size-byte big-endian unsigned integer at b[i:] (size 1, 2,
// 4 or 8); ok is false when the input ends first.
func mpBE(b []byte, i, size int) (v uint64, ok bool) {
	if i < 0 || size > len(b)-i {
		return 0, false
	}
	for _, c := range b[i : i+size] {
		v = v<<8 | uint64(c)
	}
	return v, true
}

// mpHeadSize is the number of bytes after code c that hold a big-endian
// integer: the length of str8..32, bin8..32, array16/32 and map16/32, or the
// value of uint8..64, int8..64 and float32/64. It is 0 for every other code.
func mpHeadSize(c byte) int {
	switch c {
	case mpStr8, mpBin8, mpUint8, mpInt8:
		return 1
	case mpStr16, mpBin16, mpUint16, mpInt16, mpArray16, mpMap16:
		return 2
	case mpStr32, mpBin32, mpUint32, mpInt32, mpArray32, mpMap32, mpFloat32:
		return 4
	case mpUint64, mpInt64, mpFloat64:
		return 8
	}
	return 0
}
