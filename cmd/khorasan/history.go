package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/khorasan/khorasan/geo"
)

func runHistory(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fl := newFlags("history", "--db FILE [--layer NAME] [--feature ID] [--actor NAME] [--since DATE] [--limit N] [--json]",
		"Print the audit log, newest first: who (the token's name, or cli:USER) changed\nwhat and when; for a feature edit, the properties before and after.", stderr)
	dbPath, dbRead := dbFlags(fl, getenv)
	layer := fl.String("layer", "", "only this layer")
	feature := fl.String("feature", "", "only this feature (by id)")
	actor := fl.String("actor", "", "only this writer")
	since := fl.String("since", "", "only from this date (YYYY-MM-DD) or time (RFC 3339) on")
	limit := fl.Int("limit", 50, "most entries to print")
	asJSON := fl.Bool("json", false, "print JSON lines, the whole entries")
	if err := parseFlags(fl, args); err != nil {
		return err
	}
	if fl.NArg() > 0 {
		return &usageError{fmt.Sprintf("history takes no arguments, got %q", fl.Args())}
	}
	q := geo.HistoryQuery{Layer: *layer, FeatureID: *feature, Actor: *actor, Limit: *limit}
	if *since != "" {
		t, err := time.Parse(time.RFC3339, *since)
		if err != nil {
			if t, err = time.Parse(time.DateOnly, *since); err != nil {
				return &usageError{fmt.Sprintf("--since %q: give YYYY-MM-DD or an RFC 3339 time", *since)}
			}
		}
		q.Since = t
	}
	if !isPostgres(*dbPath) {
		if _, err := os.Stat(*dbPath); err != nil {
			return err // a file that is not there is not made by reading its history
		}
	}
	store, err := openStore(ctx, *dbPath, readFrom(*dbRead))
	if err != nil {
		return err
	}
	defer store.Close()
	entries, err := store.History(ctx, q)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		for _, e := range entries {
			if err := enc.Encode(e); err != nil {
				return err
			}
		}
		return nil
	}
	if len(entries) == 0 {
		fmt.Fprintln(stdout, "no changes recorded")
		return nil
	}
	for _, e := range entries {
		fmt.Fprint(stdout, formatEntry(e))
	}
	return nil
}

// formatEntry is one entry as text: a heading line, then what changed.
func formatEntry(e geo.AuditEntry) string {
	var b strings.Builder
	what := e.Layer
	if e.FeatureID != "" {
		what += "/" + e.FeatureID
	}
	fmt.Fprintf(&b, "%s  %-12s %-7s %s\n", e.Time.UTC().Format("2006-01-02 15:04:05Z"), e.Actor, e.Action, what)
	if e.Action == "import" {
		var s map[string]any
		if json.Unmarshal(e.New, &s) == nil {
			fmt.Fprintf(&b, "    %v of %v (%v): %v read, %v inserted, %v updated, %v unchanged, %v deleted, %v refused\n",
				s["mode"], s["source"], s["format"], s["read"], s["inserted"], s["updated"], s["unchanged"], s["deleted"], s["rejected"])
		}
		return b.String()
	}
	if e.Action == "profile" {
		fmt.Fprintf(&b, "    profile: %s → %s\n", clip(cmp.Or(string(e.Old), "none")), clip(cmp.Or(string(e.New), "none (the dataset's)")))
		return b.String()
	}
	type feature struct {
		Geometry   json.RawMessage `json:"geometry"`
		Properties map[string]any  `json:"properties"`
	}
	var old, nw feature
	json.Unmarshal(e.Old, &old)
	json.Unmarshal(e.New, &nw)
	keys := map[string]bool{}
	for k := range old.Properties {
		keys[k] = true
	}
	for k := range nw.Properties {
		keys[k] = true
	}
	var names []string
	for k := range keys {
		names = append(names, k)
	}
	slices.Sort(names)
	show := func(v any) string {
		if v == nil {
			return "null"
		}
		s, _ := json.Marshal(v)
		if len(s) > 80 {
			return string(s[:77]) + "..."
		}
		return string(s)
	}
	for _, k := range names {
		ov, nv := old.Properties[k], nw.Properties[k]
		switch e.Action {
		case "create":
			if nv != nil {
				fmt.Fprintf(&b, "    %s: %s\n", k, show(nv))
			}
		case "delete":
			if ov != nil {
				fmt.Fprintf(&b, "    %s: %s\n", k, show(ov))
			}
		default:
			if show(ov) != show(nv) {
				fmt.Fprintf(&b, "    %s: %s → %s\n", k, show(ov), show(nv))
			}
		}
	}
	if e.Action == "update" && string(old.Geometry) != string(nw.Geometry) {
		fmt.Fprintf(&b, "    geometry: %s → %s\n", clip(string(old.Geometry)), clip(string(nw.Geometry)))
	}
	return b.String()
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}
