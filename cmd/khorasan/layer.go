package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/khorasan/khorasan/geo"
)

// runLayer is khorasan layer SUBCOMMAND: for now, profile.
func runLayer(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "profile" {
		fmt.Fprint(stderr, "Usage: khorasan layer profile --db DB --layer NAME [--set key=value ...] [--file profile.json] [--reset]\n")
		if len(args) == 0 {
			return &usageError{"layer needs a subcommand: profile"}
		}
		if args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
			return flag.ErrHelp
		}
		return &usageError{fmt.Sprintf("unknown layer subcommand %q; use profile", args[0])}
	}
	return runLayerProfile(ctx, args[1:], getenv, stdout, stderr)
}

const layerProfileAbout = `Shows a layer's profile as JSON: what it holds (kind: events, areas,
places, reference, generic), its time fields, its magnitude, its categories
with their values, labels and colours, and its label, popup and source
fields. The profile stored with the layer wins over the default data's
description (data/profiles.json); a layer with neither is generic.

--file sets the profile from a JSON file; --set key=value (repeatable)
changes one key of it, starting from the profile the layer has now:
  kind, noun, geometry, time, endTime, magnitude, magnitudeLow, magnitudeHigh,
  label, source                          a property's name ("" clears it)
  required, counts, popup                names separated by commas
  categories.P.values=A,B                the values of category P (made if new)
  categories.P.title, categories.P.open=true|false
  categories.P.labels.VALUE, categories.P.colors.VALUE=#rrggbb
  categories.P=                          removes category P
A profile naming a property the layer lacks, a colour that is not #rgb or
#rrggbb, a magnitude that is not a number or a time that is not a date is
refused, naming the field, and the stored profile stays as it was. --reset
removes the stored profile (the default data's, or a generic one, serves).
Each change is recorded in the audit log (khorasan history).`

// runLayerProfile shows or edits a layer's profile.
func runLayerProfile(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fl := newFlags("layer profile", "--db DB --layer NAME [--set key=value ...] [--file profile.json] [--reset]", layerProfileAbout, stderr)
	dbPath := dbFlag(fl, getenv)
	layer := fl.String("layer", "", "the layer (required)")
	file := fl.String("file", "", "set the profile from this JSON file (- reads standard input)")
	reset := fl.Bool("reset", false, "remove the stored profile")
	actor := fl.String("actor", "", "name recorded in the audit log (default: cli:USER)")
	var sets []string
	fl.Func("set", "key=value: change one key of the profile (repeatable)", func(s string) error {
		if !strings.Contains(s, "=") {
			return fmt.Errorf("%q: want key=value", s)
		}
		sets = append(sets, s)
		return nil
	})
	if err := parseFlags(fl, args); err != nil {
		return err
	}
	switch {
	case fl.NArg() > 0:
		return &usageError{fmt.Sprintf("layer profile takes no arguments, got %q", fl.Args())}
	case *layer == "":
		return &usageError{"layer profile needs --layer NAME"}
	case *reset && (*file != "" || len(sets) > 0):
		return &usageError{"--reset removes the stored profile; give it without --file or --set"}
	}
	if !isPostgres(*dbPath) {
		if _, err := os.Stat(*dbPath); err != nil {
			return err // a file that is not there is not made by looking at it
		}
	}
	s, err := openStore(ctx, *dbPath)
	if err != nil {
		return err
	}
	defer s.Close()
	l, err := s.Layer(ctx, *layer)
	if err != nil {
		return err
	}
	if *file != "" || len(sets) > 0 || *reset {
		if *actor == "" {
			*actor = "cli:" + userName()
		}
		var p *geo.Profile
		if !*reset {
			if p, err = editedProfile(l.Profile, *file, sets); err != nil {
				return err
			}
		}
		if l, err = s.SetProfile(ctx, *layer, p, *actor); err != nil {
			return err
		}
	}
	if l.StoredProfile == nil {
		fmt.Fprintf(stderr, "layer %q stores no profile: this is the default data's description of it, or a generic one\n", l.Name)
	}
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(l.Profile)
}

// editedProfile is the profile --file reads (else cur), with the --set
// changes made.
func editedProfile(cur geo.Profile, file string, sets []string) (*geo.Profile, error) {
	p := cur.Clone()
	if file != "" {
		var b []byte
		var err error
		if file == "-" {
			b, err = io.ReadAll(os.Stdin)
		} else {
			b, err = os.ReadFile(file)
		}
		if err != nil {
			return nil, err
		}
		if p, err = geo.ParseProfile(b); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
	}
	for _, kv := range sets {
		k, v, _ := strings.Cut(kv, "=")
		if err := p.Set(strings.TrimSpace(k), v); err != nil {
			return nil, err
		}
	}
	return &p, nil
}

// describeProfile is a profile in one line, for import reports.
func describeProfile(p geo.Profile) string {
	parts := []string{string(p.Kind)}
	if p.Time != "" {
		t := "time " + p.Time
		if p.EndTime != "" {
			t += " to " + p.EndTime
		}
		parts = append(parts, t)
	}
	if p.Magnitude != "" {
		parts = append(parts, "magnitude "+p.Magnitude)
	}
	for _, c := range p.Categories {
		parts = append(parts, fmt.Sprintf("category %s (%d values)", c.Property, len(c.Values)))
	}
	if p.Label != "" {
		parts = append(parts, "label "+p.Label)
	}
	return strings.Join(parts, ", ") + " (khorasan layer profile shows it whole)"
}
