package geo

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// Cell is a value read as text (CSV, KML): its type is decided by the
// column it goes into, so that "007" stays "007" in a text column.
type Cell string

// ValueText is a value as text (for ids and rules).
func ValueText(v any) string {
	switch v := v.(type) {
	case Cell:
		return string(v)
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

// IsDate says s is a YYYY-MM-DD date that exists (as dateRE and
// time.Parse would, without their cost: it runs for every text value of
// an import).
func IsDate(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	num := func(b string) (int, bool) {
		n := 0
		for i := 0; i < len(b); i++ {
			if b[i] < '0' || b[i] > '9' {
				return 0, false
			}
			n = n*10 + int(b[i]-'0')
		}
		return n, true
	}
	y, ok1 := num(s[:4])
	m, ok2 := num(s[5:7])
	d, ok3 := num(s[8:])
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 {
		return false
	}
	return d <= time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// IsDateTime says s is an RFC 3339 date-time.
func IsDateTime(s string) bool {
	if len(s) < 20 || s[4] != '-' || (s[10] != 'T' && s[10] != 't') {
		return false
	}
	_, err := time.Parse(time.RFC3339Nano, s)
	return err == nil
}

// WholeNumber reads an integer, typed or as text ("12", "12.0").
func WholeNumber(v any) (int64, bool) {
	switch v := v.(type) {
	case int64:
		return v, true
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
			return int64(v), true
		}
	case Cell, string:
		s := strings.TrimSpace(ValueText(v))
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n, true
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return int64(f), true
		}
	}
	return 0, false
}

// PlainText is a value as CSV and KML write it: "" for null and for
// structured values.
func PlainText(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	}
	return ""
}

// BudgetReader fails a read past its limit: the CSV reader cannot be
// told to stop at a record's length, so its source is.
type BudgetReader struct {
	Src   io.Reader
	Used  int64 // bytes read so far
	Limit int64
}

// ErrRecordTooLong is a BudgetReader read past its limit.
var ErrRecordTooLong = errors.New("record too long")

func (b *BudgetReader) Read(p []byte) (int, error) {
	if b.Used >= b.Limit {
		return 0, ErrRecordTooLong
	}
	if rest := b.Limit - b.Used; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := b.Src.Read(p)
	b.Used += int64(n)
	return n, err
}
