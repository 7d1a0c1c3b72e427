package main

import (
	"bytes"
	"context"
	"errors"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestRenderWritesAPDF(t *testing.T) {
	for _, tool := range []string{"pdfinfo", "pdftotext"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing: install poppler-utils (make deps does)", tool)
		}
	}
	db := defaultDB(t)
	out := filepath.Join(t.TempDir(), "figure.pdf")
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"khorasan", "render", "--db", db, "--out", out,
		"--width", "842", "--height", "595", "--title", "Claimed attacks since 2020",
		"--datetime", "2020-01-01/..", "--where", "attribution=claimed", "--layers", "khorasan,attacks,cities",
		"--base-url", "https://maps.example.org"}, func(string) string { return "" }, &stdout, &stderr)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	info, err := exec.Command("pdfinfo", out).CombinedOutput()
	if err != nil {
		t.Fatalf("pdfinfo: %v\n%s", err, info)
	}
	if !strings.Contains(string(info), "Page size:       842 x 595 pts") || !strings.Contains(string(info), "Claimed attacks since 2020") {
		t.Errorf("pdfinfo:\n%s", info)
	}
	text, err := exec.Command("pdftotext", out, "-").CombinedOutput()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Claimed attacks since 2020", "https://maps.example.org/api/collections/attacks/items", "GeoNames", "Kabul"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("no %q in the PDF's text", want)
		}
	}
	// Attributed and disputed attacks are filtered out, so the legend
	// counts none of them.
	if !strings.Contains(string(text), "Attributed (no claim) (0)") {
		t.Errorf("the legend counts filtered-out attacks:\n%s", text)
	}
}

func TestRenderInRussian(t *testing.T) {
	db := defaultDB(t)
	out := filepath.Join(t.TempDir(), "figure.svg")
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"khorasan", "render", "--db", db, "--out", out, "--lang", "ru", "--bbox", "44,25,75,42"},
		func(string) string { return "" }, &stdout, &stderr)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	svg, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(svg, []byte(">Афганистан<")) {
		t.Error("the --lang ru figure does not name Афганистан")
	}
}

func TestRenderFormatFromExtension(t *testing.T) {
	db := defaultDB(t)
	out := filepath.Join(t.TempDir(), "figure.png")
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"khorasan", "render", "--db", db, "--out", out, "--width", "300", "--height", "200", "--scale", "2",
		"--bbox", "60,29,72,38"}, func(string) string { return "" }, &stdout, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 600 || b.Dy() != 400 {
		t.Errorf("%dx%d, want 600x400", b.Dx(), b.Dy())
	}
}

func TestRenderRefusesBadInput(t *testing.T) {
	db := defaultDB(t)
	dir := t.TempDir()
	cases := map[string]struct {
		args []string
		want string
	}{
		"no out":            {[]string{"--db", db}, "--out"},
		"unknown extension": {[]string{"--db", db, "--out", filepath.Join(dir, "a.gif")}, "--format"},
		"width 0":           {[]string{"--db", db, "--out", filepath.Join(dir, "a.png"), "--width", "0"}, "--width"},
		"scale 10":          {[]string{"--db", db, "--out", filepath.Join(dir, "a.png"), "--scale", "10"}, "--scale"},
		"unknown layer":     {[]string{"--db", db, "--out", filepath.Join(dir, "a.png"), "--layers", "nope"}, "--layers"},
		"bad where":         {[]string{"--db", db, "--out", filepath.Join(dir, "a.png"), "--where", "colour=red"}, "--where colour"},
		"bbox min > max":    {[]string{"--db", db, "--out", filepath.Join(dir, "a.pdf"), "--bbox", "70,30,60,40"}, "--bbox"},
		"filter type":       {[]string{"--db", db, "--out", filepath.Join(dir, "a.svg"), "--filter", "killed = 'many'"}, "filter"},
		"unknown lang":      {[]string{"--db", db, "--out", filepath.Join(dir, "a.svg"), "--lang", "de"}, "--lang"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), append([]string{"khorasan", "render"}, c.args...), func(string) string { return "" }, &stdout, &stderr)
			var ue *usageError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want a usage error naming %s", err, c.want)
			}
		})
	}
	if entries, _ := os.ReadDir(dir); len(entries) > 0 {
		t.Errorf("failed renders left files: %v", entries)
	}
}

func TestServeRefusesBadFrameAncestors(t *testing.T) {
	for _, v := range []string{"*; script-src *", "a,b", ""} {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), []string{"khorasan", "serve", "--db", filepath.Join(t.TempDir(), "x.gpkg"), "--frame-ancestors", v},
			func(string) string { return "" }, &stdout, &stderr)
		var ue *usageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), "frame-ancestors") {
			t.Errorf("--frame-ancestors %q: %v", v, err)
		}
	}
}

func TestRenderOnAFreshMachine(t *testing.T) {
	dir := t.TempDir()
	db, out := filepath.Join(dir, "khorasan.gpkg"), filepath.Join(dir, "map.pdf")
	if _, _, err := khorasan(t, "render", "--db", db, "--out", out); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(out); err != nil || fi.Size() == 0 {
		t.Errorf("no figure: %v", err)
	}
	if n, want := counts(t, db)["attacks"], embeddedCount(t, "attacks.geojson"); n != want {
		t.Errorf("the database made for the figure has %d attacks, want the default data's %d", n, want)
	}
}
