package pack

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// PMTiles writes a PMTiles version 3 archive (github.com/protomaps/PMTiles,
// spec v3): a 127-byte header, a root directory, JSON metadata, leaf
// directories and the tile data, directories and metadata gzipped. Tiles
// must come in tile id order (TileID); identical tiles are stored once.
// The tests check its output with go-pmtiles' own verifier; writing it
// here keeps go-pmtiles (and the cloud storage clients it links) out of
// the binary.
type PMTiles struct {
	path    string
	data    *os.File // tile data, copied into the archive on Close
	dataBuf *bufio.Writer
	size    uint64
	entries []pmEntry
	seen    map[[32]byte]pmEntry
	lastID  uint64
	started bool
	minZ    uint8
	maxZ    uint8
	meta    PMTilesInfo
}

// PMTilesInfo is what the header and metadata say of the archive.
type PMTilesInfo struct {
	// TileType is 1 for MVT, 2 for PNG.
	TileType uint8
	// TileCompression is 1 for none, 2 for gzip: how the tiles given to
	// Put are compressed.
	TileCompression uint8
	Bounds          orb.Bound
	Center          orb.Point
	CenterZoom      uint8
	// Metadata is the JSON metadata (name, vector_layers, ...).
	Metadata []byte
}

// PMTiles tile types and compressions.
const (
	PMTilesMVT  = 1
	PMTilesPNG  = 2
	PMTilesNone = 1
	PMTilesGzip = 2
)

type pmEntry struct {
	id        uint64
	offset    uint64
	length    uint32
	runLength uint32
}

// CreatePMTiles starts an archive at path, which must not exist.
func CreatePMTiles(path string, info PMTilesInfo) (*PMTiles, error) {
	data, err := os.CreateTemp(filepath.Dir(path), ".pmtiles-data-*")
	if err != nil {
		return nil, err
	}
	// Claim the name now, so a second export to it fails early.
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		data.Close()
		os.Remove(data.Name())
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	f.Close()
	return &PMTiles{path: path, data: data, dataBuf: bufio.NewWriterSize(data, 1<<20), seen: map[[32]byte]pmEntry{}, meta: info}, nil
}

// TileID is a tile's id in PMTiles: the tiles of lower zooms first, then
// the tile's place along the zoom's Hilbert curve.
func TileID(t maptile.Tile) uint64 {
	z := uint8(t.Z)
	x, y := uint32(t.X), uint32(t.Y)
	acc := (uint64(1)<<(2*z) - 1) / 3
	for a := int(z) - 1; a >= 0; a-- {
		s := uint32(1) << a
		rx, ry := s&x, s&y
		acc += uint64((3*rx)^ry) << a
		if ry == 0 {
			if rx != 0 {
				x, y = s-1-x, s-1-y
			}
			x, y = y, x
		}
	}
	return acc
}

// Put adds a tile; ids must grow from one call to the next.
func (p *PMTiles) Put(t maptile.Tile, tile []byte) error {
	id := TileID(t)
	if p.started && id <= p.lastID {
		return fmt.Errorf("pmtiles: tile %v (id %d) after id %d: tiles must come in tile id order", t, id, p.lastID)
	}
	if !p.started || uint8(t.Z) < p.minZ {
		p.minZ = uint8(t.Z)
	}
	if !p.started || uint8(t.Z) > p.maxZ {
		p.maxZ = uint8(t.Z)
	}
	p.started, p.lastID = true, id
	sum := sha256.Sum256(tile)
	if e, ok := p.seen[sum]; ok {
		if n := len(p.entries); n > 0 && p.entries[n-1].offset == e.offset && p.entries[n-1].id+uint64(p.entries[n-1].runLength) == id {
			p.entries[n-1].runLength++
			return nil
		}
		p.entries = append(p.entries, pmEntry{id: id, offset: e.offset, length: e.length, runLength: 1})
		return nil
	}
	e := pmEntry{id: id, offset: p.size, length: uint32(len(tile)), runLength: 1}
	if _, err := p.dataBuf.Write(tile); err != nil {
		return err
	}
	p.size += uint64(len(tile))
	p.seen[sum] = e
	p.entries = append(p.entries, e)
	return nil
}

// Abort removes the archive and its temporary data.
func (p *PMTiles) Abort() {
	p.data.Close()
	os.Remove(p.data.Name())
	os.Remove(p.path)
}

const pmHeaderLen = 127

// Close writes the archive.
func (p *PMTiles) Close() (err error) {
	defer func() {
		if err != nil {
			p.Abort()
		}
	}()
	defer os.Remove(p.data.Name())
	if err := p.dataBuf.Flush(); err != nil {
		return err
	}
	if len(p.entries) == 0 {
		return errors.New("pmtiles: no tiles to write")
	}
	root, leaves, err := buildDirectories(p.entries)
	if err != nil {
		return err
	}
	meta, err := gzipped(p.meta.Metadata)
	if err != nil {
		return err
	}
	contents := len(p.seen)
	addressed := uint64(0)
	for _, e := range p.entries {
		addressed += uint64(e.runLength)
	}
	h := make([]byte, pmHeaderLen)
	copy(h, "PMTiles")
	h[7] = 3
	put := func(off int, v uint64) { binary.LittleEndian.PutUint64(h[off:], v) }
	rootOff := uint64(pmHeaderLen)
	metaOff := rootOff + uint64(len(root))
	leafOff := metaOff + uint64(len(meta))
	dataOff := leafOff + uint64(len(leaves))
	put(8, rootOff)
	put(16, uint64(len(root)))
	put(24, metaOff)
	put(32, uint64(len(meta)))
	put(40, leafOff)
	put(48, uint64(len(leaves)))
	put(56, dataOff)
	put(64, p.size)
	put(72, addressed)
	put(80, uint64(len(p.entries)))
	put(88, uint64(contents))
	h[96] = 1 // clustered: tile data in tile id order
	h[97] = PMTilesGzip
	h[98] = p.meta.TileCompression
	h[99] = p.meta.TileType
	h[100] = p.minZ
	h[101] = p.maxZ
	e7 := func(off int, v float64) { binary.LittleEndian.PutUint32(h[off:], uint32(int32(math.Round(v*1e7)))) }
	b := p.meta.Bounds
	e7(102, b.Min[0])
	e7(106, b.Min[1])
	e7(110, b.Max[0])
	e7(114, b.Max[1])
	h[118] = min(max(p.meta.CenterZoom, p.minZ), p.maxZ)
	e7(119, p.meta.Center[0])
	e7(123, p.meta.Center[1])

	out, err := os.OpenFile(p.path, os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(out, 1<<20)
	for _, part := range [][]byte{h, root, meta, leaves} {
		w.Write(part)
	}
	if _, err := p.data.Seek(0, io.SeekStart); err != nil {
		out.Close()
		return err
	}
	if _, err := io.Copy(w, p.data); err != nil {
		out.Close()
		return err
	}
	p.data.Close()
	if err := w.Flush(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// buildDirectories serialises the entries into a root directory that fits
// in the first 16 KiB, with leaf directories when they do not all fit.
func buildDirectories(entries []pmEntry) (root, leaves []byte, err error) {
	root, err = serializeEntries(entries)
	if err != nil || len(root) <= 16384-pmHeaderLen {
		return root, nil, err
	}
	for size := 4096; ; size *= 2 {
		var leafBuf bytes.Buffer
		var rootEntries []pmEntry
		for chunk := range slices.Chunk(entries, size) {
			b, err := serializeEntries(chunk)
			if err != nil {
				return nil, nil, err
			}
			rootEntries = append(rootEntries, pmEntry{id: chunk[0].id, offset: uint64(leafBuf.Len()), length: uint32(len(b)), runLength: 0})
			leafBuf.Write(b)
		}
		root, err = serializeEntries(rootEntries)
		if err != nil {
			return nil, nil, err
		}
		if len(root) <= 16384-pmHeaderLen {
			return root, leafBuf.Bytes(), nil
		}
	}
}

func serializeEntries(entries []pmEntry) ([]byte, error) {
	var raw []byte
	raw = binary.AppendUvarint(raw, uint64(len(entries)))
	last := uint64(0)
	for _, e := range entries {
		raw = binary.AppendUvarint(raw, e.id-last)
		last = e.id
	}
	for _, e := range entries {
		raw = binary.AppendUvarint(raw, uint64(e.runLength))
	}
	for _, e := range entries {
		raw = binary.AppendUvarint(raw, uint64(e.length))
	}
	for i, e := range entries {
		if i > 0 && e.offset == entries[i-1].offset+uint64(entries[i-1].length) {
			raw = binary.AppendUvarint(raw, 0)
		} else {
			raw = binary.AppendUvarint(raw, e.offset+1)
		}
	}
	return gzipped(raw)
}

// GzipTile is a tile as archives store it: gzipped, at gzip's default
// level (every tile is compressed once, so the level matters less than
// for the server's responses).
func GzipTile(b []byte) []byte { return gzipAt(b, gzip.DefaultCompression) }

// gzipped is a PMTiles directory or metadata, compressed hard: they are
// small and read on every lookup.
func gzipped(b []byte) ([]byte, error) { return gzipAt(b, gzip.BestCompression), nil }

func gzipAt(b []byte, level int) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, level) // a valid level: no error
	// Writing to memory does not fail.
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}
