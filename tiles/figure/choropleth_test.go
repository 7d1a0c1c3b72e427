package figure

import (
	"slices"
	"testing"
)

// TestClasses pins the class rule the legend states, on values worked
// out by hand.
func TestClasses(t *testing.T) {
	for _, c := range []struct {
		name   string
		values []float64
		want   []Class
	}{
		{"no values, no classes", nil, nil},
		{"five distinct values or fewer: one class each", []float64{3, 1, 3, 2}, []Class{{1, 1, 1}, {2, 2, 1}, {3, 3, 2}}},
		{"the attacks per country: one class per value", []float64{68, 20, 3, 2, 1, 1}, []Class{{1, 1, 2}, {2, 2, 1}, {3, 3, 1}, {20, 20, 1}, {68, 68, 1}}},
		{"ten values in five quantiles of two", []float64{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}, []Class{{1, 2, 2}, {3, 4, 2}, {5, 6, 2}, {7, 8, 2}, {9, 10, 2}}},
		{"seven values: ceil(k·7/5) values by the k-th class", []float64{1, 2, 3, 4, 5, 6, 7}, []Class{{1, 2, 2}, {3, 3, 1}, {4, 5, 2}, {6, 6, 1}, {7, 7, 1}}},
		{"equal values share a class past their share", []float64{1, 1, 1, 1, 1, 1, 2, 3, 4, 5, 6, 7},
			[]Class{{1, 1, 6}, {2, 2, 1}, {3, 3, 1}, {4, 5, 2}, {6, 7, 2}}},
		{"sums with fractions", []float64{0.5, 2.25, 0, 7, 9, 11}, []Class{{0, 0.5, 2}, {2.25, 2.25, 1}, {7, 7, 1}, {9, 9, 1}, {11, 11, 1}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := Classes(c.values, MaxClasses)
			if !slices.Equal(got, c.want) {
				t.Fatalf("Classes(%v) = %v, want %v", c.values, got, c.want)
			}
			n := 0
			for i, cl := range got {
				n += cl.Count
				for _, v := range c.values {
					if (v >= cl.Min && v <= cl.Max) != (ClassOf(got, v) == i) {
						t.Errorf("%v: ClassOf says %d, the class %d is %v", v, ClassOf(got, v), i, cl)
					}
				}
			}
			if n != len(c.values) {
				t.Errorf("the classes hold %d values of %d", n, len(c.values))
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
