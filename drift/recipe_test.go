package drift

import "math"

// recipe replays the sample generators of testdata/golden/gen.py bit for
// bit: a splitmix64 stream turned into uniforms, Irwin–Hall sums, ratios
// and floors, each a single IEEE operation in the same order as numpy.
type recipe struct {
	Kind   string  `json:"kind"`
	N      int     `json:"n"`
	Seed   uint64  `json:"seed"`
	Scale  float64 `json:"scale"`
	Shift  float64 `json:"shift"`
	Levels float64 `json:"levels"`
}

func splitmix64(seed uint64, count int) []uint64 {
	out := make([]uint64, count)
	for i := range out {
		z := seed + uint64(i+1)*0x9E3779B97F4A7C15
		z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
		z = (z ^ (z >> 27)) * 0x94D049BB133111EB
		out[i] = z ^ (z >> 31)
	}
	return out
}

func uniforms(seed uint64, count int) []float64 {
	r := splitmix64(seed, count)
	u := make([]float64, count)
	for i, v := range r {
		u[i] = float64(v>>11) * 0x1p-53
	}
	return u
}

func irwinHall(seed uint64, n int) []float64 {
	u := uniforms(seed, 12*n)
	x := make([]float64, n)
	for i := range x {
		acc := 0.0
		for j := 0; j < 12; j++ {
			acc = acc + u[12*i+j]
		}
		x[i] = acc - 6.0
	}
	return x
}

func (r recipe) sample() []float64 {
	scale := r.Scale
	if scale == 0 {
		scale = 1
	}
	var x []float64
	switch r.Kind {
	case "normal":
		x = irwinHall(r.Seed, r.N)
	case "ratio":
		z := irwinHall(r.Seed, 2*r.N)
		x = make([]float64, r.N)
		for i := range x {
			x[i] = z[2*i] / z[2*i+1]
		}
	case "discrete":
		u := uniforms(r.Seed, r.N)
		x = make([]float64, r.N)
		for i := range x {
			x[i] = math.Floor(u[i] * r.Levels)
		}
	default:
		panic("unknown recipe " + r.Kind)
	}
	for i := range x {
		// float64() forbids fusing into an FMA, which numpy does not do.
		x[i] = float64(x[i]*scale) + r.Shift
	}
	return x
}
