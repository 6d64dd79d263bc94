package drift

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	stdhtml "html"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mlsec-dev/mlsec/internal/testenv"
	"github.com/stretchr/testify/require"
)

func sampleReport(t testing.TB) *Report {
	t.Helper()
	shifted := irwinHall(11, 3000)
	for i := range shifted {
		shifted[i] += 0.6
	}
	strs := func(n int, seed uint64, vals ...string) []string {
		u := uniforms(seed, n)
		out := make([]string, n)
		for i := range out {
			out[i] = vals[int(u[i]*float64(len(vals)))]
		}
		return out
	}
	ref := profileCols(t, ProfileOptions{SketchK: 256},
		col{name: "amount", num: irwinHall(10, 5000)},
		col{name: "age", num: irwinHall(12, 5000)},
		col{name: "country", str: strs(5000, 13, "DE", "FR", "US", "<script>")})
	cur := profileCols(t, ProfileOptions{SketchK: 256},
		col{name: "amount", num: shifted},
		col{name: "age", num: irwinHall(14, 3000)},
		col{name: "country", str: strs(3000, 15, "DE", "FR", "US", "BR")})
	rep, err := Compare(ref, cur, CompareOptions{})
	require.NoError(t, err)
	return rep
}

func TestReportJSONShape(t *testing.T) {
	rep := sampleReport(t)
	var b bytes.Buffer
	require.NoError(t, rep.WriteJSON(&b))
	var m map[string]any
	require.NoError(t, json.Unmarshal(b.Bytes(), &m))
	require.Equal(t, ReportFormat, m["format"])
	require.EqualValues(t, ReportVersion, m["version"])
	require.Equal(t, "profile", m["mode"])
	ds := m["dataset"].(map[string]any)
	require.EqualValues(t, 3, ds["columns"])
	cols := m["columns"].([]any)
	first := cols[0].(map[string]any)
	require.Equal(t, "amount", first["column"], "the shifted column is the most severe")
	require.Equal(t, true, first["drifted"])
	for _, k := range []string{"kind", "test", "auto", "status", "statistic", "p_value", "threshold", "threshold_kind", "severity", "reference", "current", "distribution"} {
		require.Contains(t, first, k)
	}
	path := filepath.Join(t.TempDir(), "r.json")
	require.NoError(t, rep.WriteJSONFile(path))
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.JSONEq(t, b.String(), string(got))
}

func TestReportHTMLSelfContained(t *testing.T) {
	rep := sampleReport(t)
	var b bytes.Buffer
	require.NoError(t, rep.WriteHTML(&b))
	html := b.String()
	require.Equal(t, len(rep.Columns), strings.Count(html, "<svg "))
	for _, bad := range []string{"<script", "http://", "https://", "src=", "@import", "url("} {
		if bad == "http://" {
			// The SVG namespace URI is an identifier, not a fetch.
			html2 := strings.ReplaceAll(html, `xmlns="http://www.w3.org/2000/svg"`, "")
			require.NotContains(t, html2, bad)
			continue
		}
		require.NotContains(t, html, bad)
	}
	require.Contains(t, html, "&lt;script&gt;", "category names are escaped")
	// Table order is the report order (most severe first).
	require.Less(t, strings.Index(html, ">amount</a>"), strings.Index(html, ">age</a>"))
}

// wideReport adds to sampleReport's columns the two that strain a chart:
// incomes in the tens of thousands, whose range labels are long, and a
// city column with 40 categories (shown as 30 buckets).
func wideReport(t testing.TB) *Report {
	t.Helper()
	income := func(seed uint64, n int, shift float64) []float64 {
		v := irwinHall(seed, n)
		for i := range v {
			v[i] = 52000 + 21000*(v[i]+shift)
		}
		return v
	}
	cities := func(seed uint64, n, k int) []string {
		u := uniforms(seed, n)
		out := make([]string, n)
		for i := range out {
			// Skewed, so the buckets differ in height.
			out[i] = fmt.Sprintf("City of St. Example-%02d", int(u[i]*u[i]*float64(k)))
		}
		return out
	}
	ref := profileCols(t, ProfileOptions{SketchK: 256},
		col{name: "income", num: income(21, 5000, 0)},
		col{name: "city", str: cities(22, 5000, 40)})
	cur := profileCols(t, ProfileOptions{SketchK: 256},
		col{name: "income", num: income(23, 3000, 0.3)},
		col{name: "city", str: cities(24, 3000, 40)})
	wide, err := Compare(ref, cur, CompareOptions{})
	require.NoError(t, err)
	rep := sampleReport(t)
	rep.Columns = append(rep.Columns, wide.Columns...)
	return rep
}

func TestShortLabel(t *testing.T) {
	for _, tc := range []struct {
		in      string
		numeric bool
		want    string
	}{
		{"[2.083e+04, 4.048e+04)", true, "[20.8k, 40.5k)"},
		{"[-0.005186, 0.2384)", true, "[-0.00519, 0.238)"},
		{"< 3.5e-05", true, "< 3.50e-05"},
		{"[1234, 9999.7]", true, "[1234, 10.0k]"},
		{"> 1.5e+09", true, "> 1.50G"},
		{"[-2.5e+06, 999.4)", true, "[-2.50M, 999)"},
		{"NaN", true, "NaN"},
		{"City of St. Example-07", false, "City of …xample-07"},
		{"2024-01-02", false, "2024-01-02"},
		{"ÄÖÜäöüßÄÖÜäöüßÄÖÜäöü", false, "ÄÖÜäöüßÄ…öüßÄÖÜäöü"},
	} {
		require.Equal(t, tc.want, shortLabel(tc.in, tc.numeric), tc.in)
	}
}

// chartMeasure is what the page script reports of one chart, in CSS
// pixels: the card's content width, the chart's width and box, and the
// four corners of each bucket label as drawn (after rotation).
type chartMeasure struct {
	ID      string       `json:"id"`
	Card    float64      `json:"card"`
	Chart   [4]float64   `json:"chart"` // left, top, right, bottom
	Buckets int          `json:"buckets"`
	Labels  []labelShape `json:"labels"`
}

type labelShape struct {
	Text    string        `json:"text"`
	Corners [4][2]float64 `json:"corners"`
	Height  float64       `json:"height"` // of the text box on screen
}

// measureScript runs in the page after the report has laid out and
// appends the measurements as JSON in <pre id="measure">.
const measureScript = `<script>
(function () {
  var out = {inner: window.innerWidth, charts: []};
  document.querySelectorAll('.card').forEach(function (card) {
    var svg = card.querySelector('svg.chart');
    if (!svg) return;
    var cs = getComputedStyle(card);
    var r = svg.getBoundingClientRect();
    var m = {id: card.id, card: card.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight),
      chart: [r.left, r.top, r.right, r.bottom], buckets: svg.querySelectorAll('rect.ref').length, labels: []};
    svg.querySelectorAll('text.lab').forEach(function (t) {
      var b = t.getBBox(), ctm = t.getScreenCTM(), corners = [];
      [[b.x, b.y], [b.x + b.width, b.y], [b.x + b.width, b.y + b.height], [b.x, b.y + b.height]].forEach(function (p) {
        var q = svg.createSVGPoint(); q.x = p[0]; q.y = p[1];
        q = q.matrixTransform(ctm);
        corners.push([q.x, q.y]);
      });
      var h = Math.hypot(corners[3][0] - corners[0][0], corners[3][1] - corners[0][1]);
      m.labels.push({text: t.firstChild.nodeValue, corners: corners, height: h});
    });
    out.charts.push(m);
  });
  var pre = document.createElement('pre');
  pre.id = 'measure';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>`

// TestReportRendersInChromium renders the HTML report with headless
// Chromium at 1280 and 800 px, checks that the screenshot is a real,
// non-blank PNG, and measures the laid-out page as a person would look at
// it: every chart spans its card, no bucket label is clipped by the chart,
// neighbouring labels do not overlap, and label text stays readable.
func TestReportRendersInChromium(t *testing.T) {
	chromium := testenv.Getenv(t, "MLSEC_TEST_CHROMIUM", "headless Chromium")
	dir := t.TempDir()
	rep := wideReport(t)
	page := filepath.Join(dir, "report.html")
	require.NoError(t, rep.WriteHTMLFile(page))
	// The report itself runs no script; a copy of it with the measuring
	// script appended is what is measured.
	html, err := os.ReadFile(page)
	require.NoError(t, err)
	measured := filepath.Join(dir, "measured.html")
	require.NoError(t, os.WriteFile(measured, bytes.Replace(html, []byte("</body>"), []byte(measureScript+"</body>"), 1), 0o644))

	chrome := func(width int, args ...string) []byte {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		base := []string{"--headless", "--no-sandbox", "--disable-gpu",
			"--disable-background-networking", "--disable-component-update", "--disable-sync",
			"--no-first-run", "--user-data-dir=" + filepath.Join(dir, "profile"),
			fmt.Sprintf("--window-size=%d,3600", width)}
		cmd := exec.CommandContext(ctx, chromium, append(base, args...)...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		require.NoError(t, cmd.Run(), "chromium: %s", stderr.String())
		return stdout.Bytes()
	}
	for _, width := range []int{1280, 800} {
		t.Run(strconv.Itoa(width), func(t *testing.T) {
			shot := filepath.Join(dir, fmt.Sprintf("shot-%d.png", width))
			chrome(width, "--screenshot="+shot, "file://"+page)
			if keep := os.Getenv("MLSEC_KEEP_SCREENSHOTS"); keep != "" {
				b, err := os.ReadFile(shot)
				require.NoError(t, err)
				require.NoError(t, os.WriteFile(filepath.Join(keep, filepath.Base(shot)), b, 0o644))
			}
			checkScreenshot(t, shot, width)

			dom := string(chrome(width, "--dump-dom", "file://"+measured))
			start := strings.Index(dom, `<pre id="measure">`)
			require.GreaterOrEqual(t, start, 0, "the measuring script did not run")
			dom = dom[start+len(`<pre id="measure">`):]
			var m struct {
				Inner  float64        `json:"inner"`
				Charts []chartMeasure `json:"charts"`
			}
			require.NoError(t, json.Unmarshal([]byte(stdhtml.UnescapeString(dom[:strings.Index(dom, "</pre>")])), &m))
			require.EqualValues(t, width, m.Inner)
			require.Len(t, m.Charts, len(rep.Columns))
			for _, c := range m.Charts {
				chartW := c.Chart[2] - c.Chart[0]
				require.InDelta(t, c.Card, chartW, 1, "%s: the chart spans its card (%.0f of %.0f px)", c.ID, chartW, c.Card)
				require.NotEmpty(t, c.Labels, c.ID)
				// Thinning keeps at least every third bucket labelled.
				require.GreaterOrEqual(t, 3*len(c.Labels), c.Buckets, c.ID)
				for i, l := range c.Labels {
					for _, p := range l.Corners {
						require.True(t, p[0] >= c.Chart[0]-0.5 && p[0] <= c.Chart[2]+0.5 && p[1] >= c.Chart[1]-0.5 && p[1] <= c.Chart[3]+0.5,
							"%s: label %q clipped: corner %v outside the chart %v", c.ID, l.Text, p, c.Chart)
					}
					require.GreaterOrEqual(t, l.Height, 9.0, "%s: label %q is %.1f px high", c.ID, l.Text, l.Height)
					if i > 0 {
						require.False(t, quadsOverlap(c.Labels[i-1].Corners, l.Corners),
							"%s: labels %q and %q overlap", c.ID, c.Labels[i-1].Text, l.Text)
					}
				}
			}
		})
	}
}

// quadsOverlap reports whether two convex quadrilaterals (corners in
// order) overlap, by the separating axis theorem: they do not when some
// edge's normal separates their projections.
func quadsOverlap(a, b [4][2]float64) bool {
	for _, q := range [][4][2]float64{a, b} {
		for i := range 4 {
			p, r := q[i], q[(i+1)%4]
			nx, ny := r[1]-p[1], p[0]-r[0]
			amin, amax := project(a, nx, ny)
			bmin, bmax := project(b, nx, ny)
			if amax <= bmin || bmax <= amin {
				return false
			}
		}
	}
	return true
}

func project(q [4][2]float64, nx, ny float64) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, p := range q {
		v := p[0]*nx + p[1]*ny
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	return lo, hi
}

func TestQuadsOverlap(t *testing.T) {
	sq := func(x, y float64) [4][2]float64 { return [4][2]float64{{x, y}, {x + 1, y}, {x + 1, y + 1}, {x, y + 1}} }
	require.True(t, quadsOverlap(sq(0, 0), sq(0.5, 0.5)))
	require.False(t, quadsOverlap(sq(0, 0), sq(2, 0)))
	// Two parallel 45° strips side by side do not overlap, though their
	// axis-aligned boxes do.
	d := math.Sqrt2 / 2
	strip := func(x float64) [4][2]float64 {
		return [4][2]float64{{x, 0}, {x + 10*d, -10 * d}, {x + 10*d + d, -10*d + d}, {x + d, d}}
	}
	require.False(t, quadsOverlap(strip(0), strip(2)))
	require.True(t, quadsOverlap(strip(0), strip(0.5)))
}

// checkScreenshot checks the PNG is the window's width and not blank: many
// pixels differ from the background, and the chart colours (reference
// blue, current orange) are both drawn.
func checkScreenshot(t *testing.T, shot string, width int) {
	f, err := os.Open(shot)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	bnd := img.Bounds()
	require.Equal(t, width, bnd.Dx())
	bg := img.At(0, 0)
	var differ, blue, orange int
	for y := bnd.Min.Y; y < bnd.Max.Y; y += 2 {
		for x := bnd.Min.X; x < bnd.Max.X; x += 2 {
			c := img.At(x, y)
			if c != bg {
				differ++
			}
			r, g, b, _ := c.RGBA()
			r, g, b = r>>8, g>>8, b>>8
			if r < 0x60 && g > 0x60 && g < 0x90 && b > 0x90 {
				blue++
			}
			if r > 0xe0 && g > 0x70 && g < 0xb0 && b < 0x60 {
				orange++
			}
		}
	}
	require.Greater(t, differ, 5000, "screenshot looks blank")
	require.Greater(t, blue, 50, "no reference bars drawn")
	require.Greater(t, orange, 50, "no current bars drawn")
}
