package server

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/khorasan/khorasan/geo/ingest"
)

// readBody reads the bounded body of a one-feature write: past the
// limit is 413. One feature needs less than a file: at most 64 MiB.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	limit := min(s.maxBody(), maxFeatureBody)
	body, err := io.ReadAll(clientBody{http.MaxBytesReader(w, r.Body, limit)})
	return body, bodyError(err, limit)
}

// clientBody marks the errors of reading a request body as the client's
// (*bodyReadError: 408 when it stalled, 400 when it is malformed), apart
// from those of whatever the body is copied to.
type clientBody struct{ r io.Reader }

func (b clientBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF {
		err = &bodyReadError{err}
	}
	return n, err
}

// stallingBody gives an upload more time at each read, up to until: a
// body that keeps coming may take as long as the import, one that pauses
// for idle is refused (os.ErrDeadlineExceeded: 408).
type stallingBody struct {
	r     io.Reader
	rc    *http.ResponseController
	idle  time.Duration
	until time.Time
}

func (b *stallingBody) Read(p []byte) (int, error) {
	deadline := time.Now().Add(b.idle)
	if deadline.After(b.until) {
		deadline = b.until
	}
	b.rc.SetReadDeadline(deadline) // fails only where there is no connection (tests)
	return b.r.Read(p)
}

func (s *Server) uploadIdleTimeout() time.Duration {
	if s.cfg.Writes.UploadIdleTimeout > 0 {
		return s.cfg.Writes.UploadIdleTimeout
	}
	return defaultUploadIdle
}

const maxFeatureBody = 64 << 20

func (s *Server) maxBody() int64 {
	if s.cfg.Writes.MaxBodyBytes > 0 {
		return s.cfg.Writes.MaxBodyBytes
	}
	return defaultMaxBody
}

func bodyError(err error, limit int64) error {
	var mbe *http.MaxBytesError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &mbe):
		return &statusError{http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is larger than %d MiB, the most a write takes; import larger files with khorasan import", limit>>20)}
	}
	return err
}

// bodyFormat reads the Content-Type of an upload; "" sniffs.
func bodyFormat(ct string) (ingest.Format, error) {
	if ct == "" {
		return "", nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return "", &statusError{http.StatusUnsupportedMediaType, "unreadable Content-Type " + strconv.Quote(ct)}
	}
	switch mt {
	case "application/geo+json", "application/json":
		return ingest.FormatGeoJSON, nil
	case "text/csv", "text/tab-separated-values":
		return ingest.FormatCSV, nil
	case kmlType, "application/vnd.google-earth.kmz":
		return ingest.FormatKML, nil
	case "application/octet-stream", "text/plain":
		return "", nil
	}
	return "", &statusError{http.StatusUnsupportedMediaType, "Content-Type " + mt + " is not taken here; send application/geo+json, text/csv or " + kmlType}
}
