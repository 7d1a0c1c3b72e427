package server

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// uploadPattern names the spool files of uploads where a file must have
// a name for a moment (spoolFile); SweepUploads looks for them.
const uploadPattern = "khorasan-upload-*"

// spoolFile makes the file an upload is spooled to (an import reads it
// twice). It has no name in the directory, so it is gone when the process
// is, even after a SIGKILL: on Linux it is made without one (O_TMPFILE),
// elsewhere it is unlinked as soon as it is made (where an open file
// cannot be unlinked, Windows, the name goes at done). Reading it again
// goes through the *os.File (ReadAt, Seek), never the name.
func spoolFile(dir string) (f *os.File, done func(), err error) {
	if dir == "" {
		dir = os.TempDir()
	}
	if f, err := openUnnamed(dir); err == nil {
		return f, func() { f.Close() }, nil
	}
	// The file system takes no unnamed files (or the OS has none).
	f, err = os.CreateTemp(dir, uploadPattern)
	if err != nil {
		return nil, nil, err
	}
	if os.Remove(f.Name()) == nil {
		return f, func() { f.Close() }, nil
	}
	return f, func() { f.Close(); os.Remove(f.Name()) }, nil
}

// SweepUploads removes the spool files of uploads older than age from dir
// ("" is the system's temporary directory): those older versions of
// khorasan left behind when they were killed, and any a kill caught in
// the instant between spoolFile making a file and unlinking it. age must
// be longer than an import may take, since a running server of an older
// version reads its file by name. It returns how many it removed.
func SweepUploads(dir string, age time.Duration) (int, error) {
	if dir == "" {
		dir = os.TempDir()
	}
	matches, err := filepath.Glob(filepath.Join(dir, uploadPattern))
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, m := range matches {
		fi, err := os.Lstat(m)
		if err != nil || !fi.Mode().IsRegular() || time.Since(fi.ModTime()) < age || !strings.HasPrefix(fi.Name(), "khorasan-upload-") {
			continue
		}
		if err := os.Remove(m); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}
