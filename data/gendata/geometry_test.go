package main

import (
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

func TestCutRing(t *testing.T) {
	cases := map[string]struct {
		ring    orb.Ring
		want    []orb.Ring
		wantErr string
	}{
		"a ring that does not cross is unchanged": {
			ring: orb.Ring{{10, 10}, {20, 10}, {20, 20}, {10, 10}},
			want: []orb.Ring{{{10, 10}, {20, 10}, {20, 20}, {10, 10}}},
		},
		"a ring crossing twice becomes one ring per side": {
			ring: orb.Ring{{170, 60}, {-170, 60}, {-170, 70}, {170, 70}, {170, 60}},
			want: []orb.Ring{
				{{-180, 60}, {-170, 60}, {-170, 70}, {-180, 70}, {-180, 60}},
				{{180, 70}, {170, 70}, {170, 60}, {180, 60}, {180, 70}},
			},
		},
		"a ring crossing once is closed through the pole": {
			ring: orb.Ring{{-90, -70}, {0, -60}, {90, -70}, {170, -70}, {-170, -70}, {-90, -70}},
			want: []orb.Ring{{
				{-170, -70}, {-90, -70}, {0, -60}, {90, -70}, {170, -70},
				{180, -70}, {180, -90}, {-180, -90}, {-180, -70}, {-170, -70},
			}},
		},
		"a point on the antimeridian is not a crossing": {
			ring: orb.Ring{{170, 10}, {-180, 15}, {170, 20}, {160, 15}, {170, 10}},
			want: []orb.Ring{{{170, 10}, {180, 15}, {170, 20}, {160, 15}, {170, 10}}},
		},
		"four crossings are refused": {
			ring:    orb.Ring{{170, 0}, {-170, 0}, {170, 5}, {-170, 10}, {170, 10}, {170, 0}},
			wantErr: "crosses the antimeridian 4 times",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := cutRing(tc.ring, 5)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d rings %v, want %d", len(got), got, len(tc.want))
			}
			for i := range got {
				if !got[i].Equal(tc.want[i]) {
					t.Errorf("ring %d = %v, want %v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestMeridianPointsInterpolates(t *testing.T) {
	onA, onB := meridianPoints(orb.Point{175, 0}, orb.Point{-175, 10}, 5)
	if onA != (orb.Point{180, 5}) || onB != (orb.Point{-180, 5}) {
		t.Errorf("got %v %v, want [180 5] [-180 5]", onA, onB)
	}
	onA, onB = meridianPoints(orb.Point{-175, 10}, orb.Point{175, 0}, 5)
	if onA != (orb.Point{-180, 5}) || onB != (orb.Point{180, 5}) {
		t.Errorf("westward: got %v %v, want [-180 5] [180 5]", onA, onB)
	}
}

func TestCleanGeometry(t *testing.T) {
	t.Run("rings are rounded and wound as RFC 7946 asks", func(t *testing.T) {
		cw := orb.Ring{{0, 0}, {0, 10.0000049}, {10, 10}, {10, 0}, {0, 0}}
		holeCCW := orb.Ring{{2, 2}, {4, 2}, {4, 4}, {2, 2}}
		g, dropped, err := cleanGeometry(orb.Polygon{cw, holeCCW}, 5)
		if err != nil || dropped != 0 {
			t.Fatalf("err %v, dropped %d", err, dropped)
		}
		p := g.(orb.Polygon)
		if p[0].Orientation() != orb.CCW || p[1].Orientation() != orb.CW {
			t.Errorf("orientations %v %v, want CCW exterior, CW hole", p[0].Orientation(), p[1].Orientation())
		}
		if !p[0].Equal(orb.Ring{{0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}}) {
			t.Errorf("exterior = %v", p[0])
		}
	})
	t.Run("a degenerate exterior gives way to the next ring", func(t *testing.T) {
		poleLine := orb.Ring{{-180, -89.999}, {0, -89.999}, {90, -89.999}, {-180, -89.999}}
		square := orb.Ring{{0, -80}, {10, -80}, {10, -70}, {0, -80}}
		g, dropped, err := cleanGeometry(orb.Polygon{poleLine, square}, 5)
		if err != nil {
			t.Fatal(err)
		}
		if dropped != 1 || !orb.Equal(g, orb.Polygon{square}) {
			t.Errorf("got %v (dropped %d), want the square alone", g, dropped)
		}
	})
	t.Run("a polygon cut in two becomes a MultiPolygon and keeps its hole", func(t *testing.T) {
		ring := orb.Ring{{170, 60}, {-170, 60}, {-170, 70}, {170, 70}, {170, 60}}
		hole := orb.Ring{{174, 64}, {176, 64}, {176, 66}, {174, 66}, {174, 64}}
		g, _, err := cleanGeometry(orb.Polygon{ring, hole}, 5)
		if err != nil {
			t.Fatal(err)
		}
		mp, ok := g.(orb.MultiPolygon)
		if !ok || len(mp) != 2 {
			t.Fatalf("got %v, want a MultiPolygon of 2", g)
		}
		if len(mp[0]) != 1 || len(mp[1]) != 2 {
			t.Errorf("hole landed wrong: ring counts %d, %d; want 1, 2", len(mp[0]), len(mp[1]))
		}
	})
	t.Run("a coordinate out of range is an error", func(t *testing.T) {
		_, _, err := cleanGeometry(orb.Polygon{{{0, 0}, {181, 0}, {0, 1}, {0, 0}}}, 5)
		if err == nil {
			t.Error("lon 181 accepted")
		}
	})
}

func TestRoundTo(t *testing.T) {
	cases := map[string]struct {
		in, want float64
	}{
		"rounds to the nearest":       {1.234566, 1.23457},
		"keeps five decimals":         {69.17233, 69.17233},
		"negative zero becomes zero":  {-0.000001, 0},
		"quantized step is preserved": {-179.99964, -179.99964},
	}
	for name, tc := range cases {
		if got := roundTo(tc.in, 5); got != tc.want {
			t.Errorf("%s: roundTo(%v) = %v, want %v", name, tc.in, got, tc.want)
		}
	}
}

func TestRemoveSpikes(t *testing.T) {
	cases := map[string]struct{ in, want orb.Ring }{
		"a spike in the middle goes": {
			in:   orb.Ring{{0, 0}, {10, 0}, {10, 5}, {12, 5}, {10, 5}, {10, 10}, {0, 10}, {0, 0}},
			want: orb.Ring{{0, 0}, {10, 0}, {10, 5}, {10, 10}, {0, 10}, {0, 0}},
		},
		"a spike at the start goes": {
			in:   orb.Ring{{-5, 0}, {0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}, {-5, 0}},
			want: orb.Ring{{0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}},
		},
		"a spike at the end goes": {
			in:   orb.Ring{{0, 0}, {10, 0}, {10, 10}, {0, 10}, {-5, 10}, {0, 10}, {0, 0}},
			want: orb.Ring{{0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}},
		},
		"repeated points go": {
			in:   orb.Ring{{0, 0}, {0, 0}, {10, 0}, {10, 10}, {10, 10}, {0, 0}},
			want: orb.Ring{{0, 0}, {10, 0}, {10, 10}, {0, 0}},
		},
		"a ring that is all spike collapses": {
			in:   orb.Ring{{0, 0}, {1, 1}, {0, 0}},
			want: orb.Ring{{0, 0}, {0, 0}},
		},
	}
	for name, tc := range cases {
		if got := removeSpikes(tc.in); !got.Equal(tc.want) {
			t.Errorf("%s: got %v, want %v", name, got, tc.want)
		}
	}
}
