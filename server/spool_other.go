//go:build !linux

package server

import (
	"errors"
	"os"
)

// openUnnamed has no unnamed files to make here; spoolFile unlinks a
// named one instead.
func openUnnamed(string) (*os.File, error) { return nil, errors.ErrUnsupported }
