package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/khorasan/khorasan/data"
	"github.com/khorasan/khorasan/server"
	"github.com/khorasan/khorasan/static"
)

// serveOptions are serve's flags, checked.
type serveOptions struct {
	addr, dbPath, dbRead string
	tokenFile            string
	uploadMB             int
	cfg                  server.Config
}

func runServe(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	opt, err := parseServeFlags(args, getenv, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	if opt.cfg.Writes, err = writeConfig(opt.tokenFile, opt.uploadMB, log); err != nil {
		return err
	}
	// Uploads are spooled without a name now; older versions left theirs
	// behind when killed. An hour is past any import still reading one.
	if n, err := server.SweepUploads("", time.Hour); err != nil {
		log.Warn("stale uploads not removed", "err", err)
	} else if n > 0 {
		log.Info("removed stale uploads", "files", n, "dir", os.TempDir())
	}

	store, err := openOrSeed(ctx, opt.dbPath, log, readFrom(opt.dbRead))
	if err != nil {
		return err
	}
	defer store.Close()
	if gs, ok := any(store).(server.GeoJSONStore); ok {
		opt.cfg.GeoJSON = gs // rows straight to GeoJSON
	}
	handler := server.New(opt.cfg, store, log)
	return listenAndServe(ctx, handler, opt.addr, opt.dbPath, log)
}

func parseServeFlags(args []string, getenv func(string) string, stderr io.Writer) (serveOptions, error) {
	var opt serveOptions
	fl := newFlags("serve", "[flags]",
		"Serve the map page, the OGC API - Features, health checks and Prometheus metrics.\nA GeoPackage file that does not exist, or a PostgreSQL database without layers, is\nfilled with the embedded default data. Several servers may share one PostgreSQL database.", stderr)
	fl.StringVar(&opt.addr, "addr", envOr(getenv, "KHORASAN_ADDR", "127.0.0.1:8080"), "address to listen on (env KHORASAN_ADDR)")
	db, read := dbFlags(fl, getenv)
	baseURL := fl.String("base-url", getenv("KHORASAN_BASE_URL"), "public URL for links, when behind a proxy that changes the path (env KHORASAN_BASE_URL)")
	trustedProxies := fl.String("trusted-proxies", getenv("KHORASAN_TRUSTED_PROXIES"), "reverse proxies (CIDR prefixes or addresses, comma-separated, such as 127.0.0.1,10.0.0.0/8) whose Forwarded and X-Forwarded-Host/-Proto headers links follow; from any other peer those headers are ignored; --base-url wins over both (env KHORASAN_TRUSTED_PROXIES)")
	tileURL := fl.String("tile-url", getenv("KHORASAN_TILE_URL"), "online basemap tile URL ({z}/{x}/{y}, optionally {s} and {r}) for the page instead of the offline one; empty keeps the page offline (env KHORASAN_TILE_URL)")
	tileCredit := fl.String("tile-attribution", getenv("KHORASAN_TILE_ATTRIBUTION"), "credit line of the --tile-url basemap, shown on the map (env KHORASAN_TILE_ATTRIBUTION)")
	tileCacheMB := fl.Int("tile-cache-mb", 256, "memory for cached vector and basemap tiles, in MiB; 0 turns the cache off")
	itemsCacheMB := fl.Int("items-cache-mb", 64, "memory for cached items responses (whole pages of features), in MiB; 0 turns the cache off")
	frameAncestors := fl.String("frame-ancestors", envOr(getenv, "KHORASAN_FRAME_ANCESTORS", "*"), "sites that may show /embed in an iframe: a CSP frame-ancestors source list such as '*', \"'self'\" or \"'self' https://reports.example.org\" (env KHORASAN_FRAME_ANCESTORS)")
	renderTimeout := fl.Duration("render-timeout", server.DefaultRenderTimeout, "longest time to draw one /render figure; longer ones fail with 503")
	renderPixels := fl.Int64("render-pixels", server.DefaultRenderPixels, "pixels /render draws at once, over all figures in flight (a PNG holds 4 bytes a pixel while drawn); the default is two of the largest, 8192² each; a figure larger than this is refused, one that finds no room waits a quarter of --render-timeout, then 503")
	fl.StringVar(&opt.tokenFile, "token-file", getenv("KHORASAN_TOKEN_FILE"), "file of name:token lines (tokens of 16+ characters) whose bearer tokens may write: POST/PUT/PATCH/DELETE of features and imports; without it writes are off (env KHORASAN_TOKEN_FILE)")
	fl.IntVar(&opt.uploadMB, "max-upload-mb", 256, "largest body a write or an import over HTTP takes, in MiB")
	if err := parseFlags(fl, args); err != nil {
		return opt, err
	}
	if fl.NArg() > 0 {
		return opt, &usageError{fmt.Sprintf("serve takes no arguments, got %q", fl.Args())}
	}
	opt.dbPath, opt.dbRead = *db, *read
	if *tileURL != "" && !strings.Contains(*tileURL, "{z}") {
		return opt, &usageError{fmt.Sprintf("--tile-url %q has no {z}: give an XYZ template such as https://tile.example.org/{z}/{x}/{y}.png", *tileURL)}
	}
	if err := server.CheckFrameAncestors(*frameAncestors); err != nil {
		return opt, &usageError{"--" + err.Error()}
	}
	proxies, err := server.ParseTrustedProxies(*trustedProxies)
	if err != nil {
		return opt, &usageError{"--trusted-proxies: " + err.Error()}
	}
	if *renderPixels <= 0 {
		return opt, &usageError{fmt.Sprintf("--render-pixels must be positive, got %d", *renderPixels)}
	}
	if *renderTimeout <= 0 {
		return opt, &usageError{fmt.Sprintf("--render-timeout must be positive, got %s", *renderTimeout)}
	}
	style, err := fs.ReadFile(static.FS, "style.json")
	if err != nil {
		return opt, err
	}
	dataset, err := data.Dataset()
	if err != nil {
		return opt, err
	}
	tilesCfg := server.TilesConfig{BasemapURL: *tileURL, BasemapAttribution: *tileCredit, CacheBytes: int64(*tileCacheMB) << 20}
	if *tileCacheMB <= 0 {
		tilesCfg.CacheBytes = -1
	}
	itemsCache := int64(*itemsCacheMB) << 20
	if *itemsCacheMB <= 0 {
		itemsCache = -1
	}
	opt.cfg = server.Config{BaseURL: *baseURL, TrustedProxies: proxies, Static: static.FS, Tiles: tilesCfg, ResponseCacheBytes: itemsCache,
		Style: style, Dataset: dataset, BasemapDetail: data.Basemap(), RenderTimeout: *renderTimeout, RenderPixels: *renderPixels, FrameAncestors: *frameAncestors}
	return opt, nil
}

// writeConfig turns the write endpoints on when a token file is given.
func writeConfig(tokenFile string, uploadMB int, log *slog.Logger) (server.WriteConfig, error) {
	writes := server.WriteConfig{MaxBodyBytes: int64(max(1, uploadMB)) << 20}
	if tokenFile == "" {
		return writes, nil
	}
	var err error
	if writes.Tokens, err = server.LoadTokens(tokenFile); err != nil {
		return writes, err
	}
	if writes.Tokens.Len() == 0 {
		return writes, fmt.Errorf("%s has no tokens: write lines name:token, or leave --token-file out to keep writes off", tokenFile)
	}
	log.Info("writes are on", "tokens", writes.Tokens.Len())
	return writes, nil
}

// listenAndServe serves until ctx ends, loading the layers for tiles
// meanwhile, then shuts down gracefully.
func listenAndServe(ctx context.Context, handler *server.Server, addr, db string, log *slog.Logger) error {
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	log.Info("serving", "url", "http://"+ln.Addr().String()+"/", "db", shown(db))
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	go func() {
		start := time.Now()
		if err := handler.Warm(ctx); err != nil {
			log.Warn("layers not loaded for tiles; they load on their first tile", "err", err)
			return
		}
		log.Info("layers loaded for tiles", "took", time.Since(start).Round(time.Millisecond))
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// openOrSeed opens the database, filling it with the embedded default
// data when it has none: a GeoPackage file that does not exist, or a
// PostgreSQL database without khorasan's layers.
func openOrSeed(ctx context.Context, db string, log *slog.Logger, opts ...storeOption) (store, error) {
	if isPostgres(db) {
		return openOrSeedPostgres(ctx, db, log, opts...)
	}
	if _, err := os.Stat(db); err == nil {
		store, err := openStore(ctx, db, opts...)
		if err != nil {
			return nil, err
		}
		if err := checkDefaults(ctx, store, data.FS, db, log); err != nil {
			log.Warn("could not compare the database with the default data", "err", err)
		}
		return store, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	store, err := createStore(ctx, db)
	if err != nil {
		return nil, err
	}
	if err := seed(ctx, store, data.FS); err != nil {
		store.Close()
		os.Remove(db)
		os.Remove(db + "-wal")
		os.Remove(db + "-shm")
		return nil, fmt.Errorf("load default data: %w", err)
	}
	log.Info("created the database from the default data", "db", db)
	return store, nil
}

// openOrSeedPostgres seeds a database that has no layers yet. Two
// servers started at once on an empty database may both seed it; each
// layer lands whole, and the second replaces the first with the same data.
func openOrSeedPostgres(ctx context.Context, db string, log *slog.Logger, opts ...storeOption) (store, error) {
	store, err := openStore(ctx, db, opts...)
	if err != nil {
		return nil, err
	}
	layers, err := store.Layers(ctx)
	if err != nil {
		store.Close()
		return nil, err
	}
	if len(layers) > 0 {
		if err := checkDefaults(ctx, store, data.FS, db, log); err != nil {
			log.Warn("could not compare the database with the default data", "err", err)
		}
		return store, nil
	}
	if err := seed(ctx, store, data.FS); err != nil {
		store.Close()
		return nil, fmt.Errorf("load default data: %w", err)
	}
	log.Info("filled the database with the default data", "db", shown(db))
	return store, nil
}

// manifestEntry is one layer of data/layers.json.
type manifestEntry struct {
	Name        string `json:"name"`
	Title       string `json:"title"`
	Description string `json:"description"`
	Attribution string `json:"attribution"`
	File        string `json:"file"`
	// Updated is the day the layer's data was compiled (YYYY-MM-DD).
	Updated string `json:"updated,omitempty"`
}

// seed loads every layer of the default data, in the manifest's order.
func seed(ctx context.Context, store store, files fs.FS) error {
	manifest, err := readManifest(files)
	if err != nil {
		return err
	}
	for _, m := range manifest {
		doc, err := fs.ReadFile(files, m.File)
		if err != nil {
			return err
		}
		info, err := m.layerInfo(doc)
		if err != nil {
			return err
		}
		if _, err := store.ImportGeoJSON(ctx, info, doc); err != nil {
			return fmt.Errorf("%s: %w", m.File, err)
		}
	}
	return nil
}
