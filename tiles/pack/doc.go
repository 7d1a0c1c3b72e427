// Package pack writes tile archives for static hosting: every tile of
// some layers, cut by a tiles.Encoder, into MBTiles or PMTiles v3.
// It imports tiles and geo, and go-sqlite3 for MBTiles.
package pack
