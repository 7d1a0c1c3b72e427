// Package testio holds test helpers for the format readers: inputs too large to hold
// (Repeat) and reading every record (ReadRecords); it imports geo.
package testio

import "io"

// Repeat reads unit n times over, without holding more than unit: a body
// of hundreds of megabytes costs the test nothing.
func Repeat(unit []byte, n int) io.Reader { return &repeat{unit: unit, n: n} }

type repeat struct {
	unit []byte
	n    int
	off  int
}

func (r *repeat) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.EOF
	}
	k := 0
	for k < len(p) && r.n > 0 {
		c := copy(p[k:], r.unit[r.off:])
		k += c
		r.off += c
		if r.off == len(r.unit) {
			r.off = 0
			r.n--
		}
	}
	return k, nil
}
