package drift

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
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

// TestReportRendersInChromium renders the HTML report with headless
// Chromium and checks that the screenshot is a real, non-blank PNG.
func TestReportRendersInChromium(t *testing.T) {
	chromium := testenv.Getenv(t, "MLSEC_TEST_CHROMIUM", "headless Chromium")
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	require.NoError(t, sampleReport(t).WriteHTMLFile(page))
	shot := filepath.Join(dir, "shot.png")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--no-first-run", "--user-data-dir="+filepath.Join(dir, "profile"),
		"--screenshot="+shot, "--window-size=1280,2000", "file://"+page)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "chromium: %s", out)
	f, err := os.Open(shot)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	bnd := img.Bounds()
	require.Equal(t, 1280, bnd.Dx())
	// Non-blank: many pixels differ from the background, and the chart
	// colours (reference blue, current orange) are both drawn.
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
