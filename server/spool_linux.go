package server

import (
	"os"

	"golang.org/x/sys/unix"
)

// openUnnamed makes a file in dir that never has a name (O_TMPFILE,
// Linux 3.11+ on ext4, xfs, btrfs, tmpfs and most others).
func openUnnamed(dir string) (*os.File, error) {
	return os.OpenFile(dir, os.O_RDWR|unix.O_TMPFILE, 0o600)
}
