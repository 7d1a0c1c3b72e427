package figure

import (
	"encoding/json"
	"os"
	"slices"
	"testing"
)

// TestClasses pins the class rule the legend states, on values worked
// out by hand in testdata/classes.json, which the page's test
// (tests/static/aggregate.test.mjs) reads too: one rule in both.
func TestClasses(t *testing.T) {
	raw, err := os.ReadFile("testdata/classes.json")
	if err != nil {
		t.Fatal(err)
	}
	var fixture struct {
		Cases []struct {
			Name    string
			Values  []float64
			Classes [][3]float64
		}
	}
	if err := json.Unmarshal(raw, &fixture); err != nil {
		t.Fatal(err)
	}
	if len(fixture.Cases) == 0 {
		t.Fatal("testdata/classes.json has no cases")
	}
	for _, c := range fixture.Cases {
		var want []Class
		for _, w := range c.Classes {
			want = append(want, Class{Min: w[0], Max: w[1], Count: int(w[2])})
		}
		t.Run(c.Name, func(t *testing.T) {
			got := Classes(c.Values, MaxClasses)
			if !slices.Equal(got, want) {
				t.Fatalf("Classes(%v) = %v, want %v", c.Values, got, want)
			}
			n := 0
			for i, cl := range got {
				n += cl.Count
				for _, v := range c.Values {
					if (v >= cl.Min && v <= cl.Max) != (ClassOf(got, v) == i) {
						t.Errorf("%v: ClassOf says %d, the class %d is %v", v, ClassOf(got, v), i, cl)
					}
				}
			}
			if n != len(c.Values) {
				t.Errorf("the classes hold %d values of %d", n, len(c.Values))
			}
		})
	}
	for _, c := range []struct {
		class Class
		want  string
	}{{Class{3, 20, 4}, "3–20"}, {Class{68, 68, 1}, "68"}, {Class{0.5, 2.25, 2}, "0.5–2.25"}} {
		if got := ClassLabel(c.class); got != c.want {
			t.Errorf("ClassLabel(%v) = %q, want %q", c.class, got, c.want)
		}
	}
}
