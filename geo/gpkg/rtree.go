package gpkg

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/khorasan/khorasan/geo"
	"github.com/paulmach/orb"
)

// The spatial index of a feature table is kept by the GeoPackage triggers
// for single edits. Bulk writes (a new layer, an import) drop the triggers
// for the length of their transaction, index what they wrote from Go, and
// put the triggers back: the triggers call back into Go five times a row,
// which makes a million-row import three times slower.

// rtreeEntry is one row of the index: a fid and its envelope.
type rtreeEntry struct {
	id                     int64
	minX, maxX, minY, maxY float64
}

var rtreeTriggers = []string{"insert", "update1", "update2", "update3", "update4", "delete"}

func rtreeName(table, geomCol string) string { return "rtree_" + table + "_" + geomCol }

// createRTreeTriggers adds the seven triggers of GeoPackage 1.3 (F.3)
// (update1..4 count as four), so that GDAL and QGIS keep the index right
// when they edit the file too.
func createRTreeTriggers(ctx context.Context, tx *sql.Tx, name, geomCol, fidCol string) error {
	rtree := quote(rtreeName(name, geomCol))
	t, g, i := quote(name), quote(geomCol), quote(fidCol)
	insertValues := fmt.Sprintf(`VALUES (NEW.%[2]s, ST_MinX(NEW.%[1]s), ST_MaxX(NEW.%[1]s), ST_MinY(NEW.%[1]s), ST_MaxY(NEW.%[1]s))`, g, i)
	trigger := func(suffix string) string { return quote(rtreeName(name, geomCol) + "_" + suffix) }
	stmts := []string{
		`CREATE TRIGGER ` + trigger("insert") + ` AFTER INSERT ON ` + t + ` WHEN (NEW.` + g + ` NOT NULL AND NOT ST_IsEmpty(NEW.` + g + `))
		 BEGIN INSERT OR REPLACE INTO ` + rtree + ` ` + insertValues + `; END`,
		`CREATE TRIGGER ` + trigger("update1") + ` AFTER UPDATE OF ` + g + ` ON ` + t + ` WHEN OLD.` + i + ` = NEW.` + i + ` AND (NEW.` + g + ` NOTNULL AND NOT ST_IsEmpty(NEW.` + g + `))
		 BEGIN INSERT OR REPLACE INTO ` + rtree + ` ` + insertValues + `; END`,
		`CREATE TRIGGER ` + trigger("update2") + ` AFTER UPDATE OF ` + g + ` ON ` + t + ` WHEN OLD.` + i + ` = NEW.` + i + ` AND (NEW.` + g + ` ISNULL OR ST_IsEmpty(NEW.` + g + `))
		 BEGIN DELETE FROM ` + rtree + ` WHERE id = OLD.` + i + `; END`,
		`CREATE TRIGGER ` + trigger("update3") + ` AFTER UPDATE ON ` + t + ` WHEN OLD.` + i + ` != NEW.` + i + ` AND (NEW.` + g + ` NOTNULL AND NOT ST_IsEmpty(NEW.` + g + `))
		 BEGIN DELETE FROM ` + rtree + ` WHERE id = OLD.` + i + `; INSERT OR REPLACE INTO ` + rtree + ` ` + insertValues + `; END`,
		`CREATE TRIGGER ` + trigger("update4") + ` AFTER UPDATE ON ` + t + ` WHEN OLD.` + i + ` != NEW.` + i + ` AND (NEW.` + g + ` ISNULL OR ST_IsEmpty(NEW.` + g + `))
		 BEGIN DELETE FROM ` + rtree + ` WHERE id IN (OLD.` + i + `, NEW.` + i + `); END`,
		`CREATE TRIGGER ` + trigger("delete") + ` AFTER DELETE ON ` + t + ` WHEN OLD.` + g + ` NOT NULL
		 BEGIN DELETE FROM ` + rtree + ` WHERE id = OLD.` + i + `; END`,
	}
	for _, q := range stmts {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("layer %q: index triggers: %w", name, err)
		}
	}
	return nil
}

// dropRTreeTriggers removes them, inside a transaction that puts them back.
func dropRTreeTriggers(ctx context.Context, tx *sql.Tx, name, geomCol string) error {
	for _, s := range rtreeTriggers {
		if _, err := tx.ExecContext(ctx, `DROP TRIGGER IF EXISTS `+quote(rtreeName(name, geomCol)+"_"+s)); err != nil {
			return err
		}
	}
	return nil
}

// rtreeWriter indexes rows as a bulk write makes them.
type rtreeWriter struct {
	put, del *sql.Stmt
}

func newRTreeWriter(ctx context.Context, tx *sql.Tx, rtree string) (*rtreeWriter, error) {
	put, err := tx.PrepareContext(ctx, `INSERT OR REPLACE INTO `+quote(rtree)+` VALUES (?, ?, ?, ?, ?)`)
	if err != nil {
		return nil, err
	}
	del, err := tx.PrepareContext(ctx, `DELETE FROM `+quote(rtree)+` WHERE id = ?`)
	if err != nil {
		put.Close()
		return nil, err
	}
	return &rtreeWriter{put: put, del: del}, nil
}

// set indexes fid under g's envelope, or takes it out of the index when
// g is nil or empty.
func (w *rtreeWriter) set(ctx context.Context, fid int64, g orb.Geometry) error {
	if g == nil || geo.IsEmpty(g) {
		_, err := w.del.ExecContext(ctx, fid)
		return err
	}
	b := g.Bound()
	_, err := w.put.ExecContext(ctx, fid, b.Min[0], b.Max[0], b.Min[1], b.Max[1])
	return err
}

func (w *rtreeWriter) Close() error {
	w.del.Close()
	return w.put.Close()
}

// touchLayer records a write to a layer in gpkg_contents: last_change
// moves forward by at least a millisecond on every write (caches key on it,
// and two writes in the same millisecond must not look alike), and the
// extent grows by grow, or becomes exactly grow when exact is set. A
// non-zero at is recorded instead of now: only for a layer the transaction
// created, which no cache can know yet.
func touchLayer(ctx context.Context, tx *sql.Tx, name string, grow *orb.Bound, exact bool, at time.Time) error {
	var prev sql.NullString
	var minX, minY, maxX, maxY sql.NullFloat64
	err := tx.QueryRowContext(ctx, `SELECT last_change, min_x, min_y, max_x, max_y FROM gpkg_contents WHERE table_name = ?`, name).
		Scan(&prev, &minX, &minY, &maxX, &maxY)
	if err != nil {
		return fmt.Errorf("layer %q: %w", name, err)
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	if t, err := time.Parse(time.RFC3339Nano, prev.String); err == nil && !now.After(t) {
		now = t.Truncate(time.Millisecond).Add(time.Millisecond)
	}
	if !at.IsZero() {
		now = at.UTC().Truncate(time.Millisecond)
	}
	bounds := grow
	if !exact && minX.Valid && minY.Valid && maxX.Valid && maxY.Valid {
		old := orb.Bound{Min: orb.Point{minX.Float64, minY.Float64}, Max: orb.Point{maxX.Float64, maxY.Float64}}
		if bounds != nil {
			old = old.Union(*bounds)
		}
		bounds = &old
	}
	var x0, y0, x1, y1 any
	if bounds != nil {
		x0, y0, x1, y1 = bounds.Min[0], bounds.Min[1], bounds.Max[0], bounds.Max[1]
	}
	_, err = tx.ExecContext(ctx, `UPDATE gpkg_contents SET last_change = ?, min_x = ?, min_y = ?, max_x = ?, max_y = ? WHERE table_name = ?`,
		now.Format("2006-01-02T15:04:05.000Z"), x0, y0, x1, y1, name)
	return err
}

// Bulk loading: a new layer's index is written straight into the R-tree's
// tables (SQLite's rtree.c format, as GDAL's bulk loader does), packed by
// Sort-Tile-Recursive, instead of a million single inserts that each walk
// and split the tree. A node is a 2-byte depth (read from the root only),
// a 2-byte cell count, then cells of an 8-byte id (a rowid in leaves, a
// child node number above them) and four 4-byte floats, all big-endian.
// PRAGMA integrity_check checks the result (SQLite 3.44+ checks R-trees).

// rtreeCell is an index entry as the R-tree keeps it: 32-bit floats,
// rounded outwards as rtree.c rounds them.
type rtreeCell struct {
	id                     int64
	minX, maxX, minY, maxY float32
}

func newRTreeCell(id int64, b orb.Bound) rtreeCell {
	return rtreeCell{id, roundDown(b.Min[0]), roundUp(b.Max[0]), roundDown(b.Min[1]), roundUp(b.Max[1])}
}

// roundDown and roundUp are rtree.c's rtreeValueDown and rtreeValueUp.
func roundDown(d float64) float32 {
	f := float32(d)
	if float64(f) > d {
		if d < 0 {
			f = float32(d * (1.0 + 1.0/8388608.0))
		} else {
			f = float32(d * (1.0 - 1.0/8388608.0))
		}
	}
	return f
}

func roundUp(d float64) float32 {
	f := float32(d)
	if float64(f) < d {
		if d < 0 {
			f = float32(d * (1.0 - 1.0/8388608.0))
		} else {
			f = float32(d * (1.0 + 1.0/8388608.0))
		}
	}
	return f
}

func (c rtreeCell) union(o rtreeCell) rtreeCell {
	return rtreeCell{c.id, min(c.minX, o.minX), max(c.maxX, o.maxX), min(c.minY, o.minY), max(c.maxY, o.maxY)}
}

// bulkLoadRTree fills the empty R-tree of a new table with cells.
func bulkLoadRTree(ctx context.Context, tx *sql.Tx, table string, cells []rtreeCell) error {
	if len(cells) == 0 {
		return nil
	}
	rt := rtreeName(table, geomColumn)
	nodeSize, err := emptyRTreeNodeSize(ctx, tx, table, rt)
	if err != nil {
		return err
	}
	fanout := (nodeSize - 4) / 24
	if fanout < 4 {
		return fmt.Errorf("index of %q: node size %d is too small", table, nodeSize)
	}
	w, err := prepareRTreeLoader(ctx, tx, table, rt, nodeSize)
	if err != nil {
		return err
	}
	defer w.close()
	levels := packRTree(cells, fanout)
	leafOf, err := w.writeNodes(ctx, levels, numberRTreeNodes(levels), len(cells))
	if err != nil {
		return err
	}
	return w.writeRowids(ctx, leafOf)
}

// emptyRTreeNodeSize is the size of the R-tree's nodes, which SQLite
// sets when it creates the tree; the tree must hold no rows yet.
func emptyRTreeNodeSize(ctx context.Context, tx *sql.Tx, table, rt string) (int, error) {
	var nodeSize int
	if err := tx.QueryRowContext(ctx, `SELECT length(data) FROM `+quote(rt+"_node")+` WHERE nodeno = 1`).Scan(&nodeSize); err != nil {
		return 0, fmt.Errorf("index of %q: %w", table, err)
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM `+quote(rt+"_rowid")).Scan(&n); err != nil || n > 0 {
		return 0, fmt.Errorf("index of %q is not empty (%d rows): %v", table, n, err)
	}
	return nodeSize, nil
}

// rtreeNode is a node of an R-tree packed in memory, before the nodes
// are numbered.
type rtreeNode struct {
	cells    []rtreeCell // a leaf's rows
	bound    rtreeCell
	children []int // an inner node's children: indexes into the level below
}

// packRTree builds the tree level by level, leaves first, up to the
// one root.
func packRTree(cells []rtreeCell, fanout int) [][]rtreeNode {
	var levels [][]rtreeNode
	level := strPack(cells, fanout)
	leaves := make([]rtreeNode, len(level))
	for i, group := range level {
		b := group[0]
		for _, c := range group[1:] {
			b = b.union(c)
		}
		leaves[i] = rtreeNode{cells: group, bound: b}
	}
	levels = append(levels, leaves)
	for len(levels[len(levels)-1]) > 1 {
		below := levels[len(levels)-1]
		items := make([]rtreeCell, len(below))
		for i, nd := range below {
			items[i] = nd.bound
			items[i].id = int64(i)
		}
		var up []rtreeNode
		for _, group := range strPack(items, fanout) {
			b := group[0]
			kids := make([]int, len(group))
			for j, c := range group {
				b = b.union(c)
				kids[j] = int(c.id)
			}
			up = append(up, rtreeNode{bound: b, children: kids})
		}
		levels = append(levels, up)
	}
	return levels
}

// numberRTreeNodes numbers the nodes top-down: the root is 1, the rest
// follow.
func numberRTreeNodes(levels [][]rtreeNode) [][]int64 {
	nums := make([][]int64, len(levels))
	next := int64(2)
	for l := len(levels) - 1; l >= 0; l-- {
		nums[l] = make([]int64, len(levels[l]))
		for i := range levels[l] {
			if l == len(levels)-1 {
				nums[l][i] = 1
				continue
			}
			nums[l][i] = next
			next++
		}
	}
	return nums
}

// rtreeLoader writes a packed tree into an R-tree's shadow tables.
type rtreeLoader struct {
	tx                          *sql.Tx
	table, rt                   string
	nodeSize                    int
	insNode, insParent, insRows *sql.Stmt
}

// rowLeaf says which leaf holds a row.
type rowLeaf struct{ rowid, node int64 }

func prepareRTreeLoader(ctx context.Context, tx *sql.Tx, table, rt string, nodeSize int) (*rtreeLoader, error) {
	w := &rtreeLoader{tx: tx, table: table, rt: rt, nodeSize: nodeSize}
	var err error
	if w.insNode, err = tx.PrepareContext(ctx, `INSERT INTO `+quote(rt+"_node")+` (nodeno, data) VALUES (?, ?)`); err != nil {
		return nil, err
	}
	if w.insParent, err = tx.PrepareContext(ctx, `INSERT INTO `+quote(rt+"_parent")+` (nodeno, parentnode) VALUES (?, ?)`); err != nil {
		w.close()
		return nil, err
	}
	// The rowid → leaf map goes in at the end, in rowid order (appends,
	// not random inserts into its b-tree), thousands per statement.
	if w.insRows, err = tx.PrepareContext(ctx, `INSERT INTO `+quote(rt+"_rowid")+` (rowid, nodeno) SELECT value ->> 0, value ->> 1 FROM json_each(?)`); err != nil {
		w.close()
		return nil, err
	}
	return w, nil
}

func (w *rtreeLoader) close() {
	for _, st := range []*sql.Stmt{w.insRows, w.insParent, w.insNode} {
		if st != nil {
			st.Close()
		}
	}
}

// writeNodes writes every node, root first, with the parent of each
// inner node's children, and returns the leaf of each of the rows.
func (w *rtreeLoader) writeNodes(ctx context.Context, levels [][]rtreeNode, nums [][]int64, rows int) ([]rowLeaf, error) {
	leafOf := make([]rowLeaf, 0, rows)
	depth := len(levels) - 1
	blob := make([]byte, w.nodeSize)
	for l := depth; l >= 0; l-- {
		for i, nd := range levels[l] {
			clear(blob)
			if l == depth {
				binary.BigEndian.PutUint16(blob[0:], uint16(depth))
			}
			me := nums[l][i]
			k := 4
			if l == 0 {
				binary.BigEndian.PutUint16(blob[2:], uint16(len(nd.cells)))
				for _, c := range nd.cells {
					putRTreeCell(blob[k:], c)
					k += 24
					leafOf = append(leafOf, rowLeaf{c.id, me})
				}
			} else {
				binary.BigEndian.PutUint16(blob[2:], uint16(len(nd.children)))
				for _, ch := range nd.children {
					c := levels[l-1][ch].bound
					c.id = nums[l-1][ch]
					putRTreeCell(blob[k:], c)
					k += 24
					if _, err := w.insParent.ExecContext(ctx, c.id, me); err != nil {
						return nil, fmt.Errorf("index of %q: %w", w.table, err)
					}
				}
			}
			if err := w.writeNode(ctx, me, blob); err != nil {
				return nil, fmt.Errorf("index of %q: %w", w.table, err)
			}
		}
	}
	return leafOf, nil
}

// putRTreeCell encodes a cell as rtree.c does: id, then minX, maxX, minY,
// maxY, big-endian.
func putRTreeCell(b []byte, c rtreeCell) {
	binary.BigEndian.PutUint64(b, uint64(c.id))
	binary.BigEndian.PutUint32(b[8:], math.Float32bits(c.minX))
	binary.BigEndian.PutUint32(b[12:], math.Float32bits(c.maxX))
	binary.BigEndian.PutUint32(b[16:], math.Float32bits(c.minY))
	binary.BigEndian.PutUint32(b[20:], math.Float32bits(c.maxY))
}

// writeNode writes one node; the root, which SQLite made with the tree,
// is updated.
func (w *rtreeLoader) writeNode(ctx context.Context, nodeno int64, blob []byte) error {
	if nodeno == 1 {
		_, err := w.tx.ExecContext(ctx, `UPDATE `+quote(w.rt+"_node")+` SET data = ? WHERE nodeno = 1`, blob)
		return err
	}
	_, err := w.insNode.ExecContext(ctx, nodeno, blob)
	return err
}

// writeRowids writes the rowid → leaf map in rowid order, 8,192 rows a
// statement.
func (w *rtreeLoader) writeRowids(ctx context.Context, leafOf []rowLeaf) error {
	slices.SortFunc(leafOf, func(a, b rowLeaf) int { return cmp.Compare(a.rowid, b.rowid) })
	var ids []byte
	for start := 0; start < len(leafOf); start += 8192 {
		ids = append(ids[:0], '[')
		for i, rl := range leafOf[start:min(start+8192, len(leafOf))] {
			if i > 0 {
				ids = append(ids, ',')
			}
			ids = append(ids, '[')
			ids = strconv.AppendInt(ids, rl.rowid, 10)
			ids = append(ids, ',')
			ids = strconv.AppendInt(ids, rl.node, 10)
			ids = append(ids, ']')
		}
		ids = append(ids, ']')
		if _, err := w.insRows.ExecContext(ctx, string(ids)); err != nil {
			return fmt.Errorf("index of %q: %w", w.table, err)
		}
	}
	return nil
}

// strPack groups cells into nodes of at most fanout by Sort-Tile-Recursive:
// sort by x, cut into vertical slices, sort each slice by y, and fill nodes
// in that order, so that each node covers a compact area. It reorders
// cells.
func strPack(cells []rtreeCell, fanout int) [][]rtreeCell {
	nodes := (len(cells) + fanout - 1) / fanout
	nslices := int(math.Ceil(math.Sqrt(float64(nodes))))
	perSlice := nslices * fanout
	cx := func(c rtreeCell) float32 { return c.minX + (c.maxX-c.minX)/2 }
	cy := func(c rtreeCell) float32 { return c.minY + (c.maxY-c.minY)/2 }
	slices.SortFunc(cells, func(a, b rtreeCell) int { return cmp.Compare(cx(a), cx(b)) })
	var out [][]rtreeCell
	for s := 0; s < len(cells); s += perSlice {
		slice := cells[s:min(s+perSlice, len(cells))]
		slices.SortFunc(slice, func(a, b rtreeCell) int { return cmp.Compare(cy(a), cy(b)) })
		for k := 0; k < len(slice); k += fanout {
			out = append(out, slice[k:min(k+fanout, len(slice)):min(k+fanout, len(slice))])
		}
	}
	return out
}
