package figure

import (
	"context"
	"errors"
	"testing"
)

// cancelOnWrite cancels a render's context at the first bytes it gets.
type cancelOnWrite struct {
	cancel context.CancelFunc
	writes int
}

func (c *cancelOnWrite) Write(p []byte) (int, error) {
	c.writes++
	c.cancel()
	return len(p), nil
}

// TestRenderStopsEncodingAtTheDeadline pins issue 10.3: the PNG encoding
// after the drawing ignored the context, so an 8192² figure whose drawing
// ended just in time was sent seconds past the deadline.
func TestRenderStopsEncodingAtTheDeadline(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := &cancelOnWrite{cancel: cancel}
	f := Figure{Width: 2048, Height: 2048, Scale: 1, Format: FormatPNG, Legend: true,
		Layers: figureLayers(t, "", "borders", "khorasan", "attacks", "cities"), asOf: figureDate}
	err := figureRenderer(t).Render(ctx, f, w)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Render = %v after the context ended during encoding, want context.Canceled", err)
	}
	// The first 64 KiB were on their way when it ended; nothing after.
	if w.writes != 1 {
		t.Errorf("%d writes, want 1: the encoder went on after the context ended", w.writes)
	}
}
