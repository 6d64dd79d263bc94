package drift

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteJSONFile writes the JSON report to path atomically.
func (r *Report) WriteJSONFile(path string) error {
	var b bytes.Buffer
	if err := r.WriteJSON(&b); err != nil {
		return fmt.Errorf("drift: %s: %w", path, err)
	}
	return writeFileAtomic(path, b.Bytes())
}

// WriteHTMLFile writes the HTML report to path atomically.
func (r *Report) WriteHTMLFile(path string) error {
	var b bytes.Buffer
	if err := r.WriteHTML(&b); err != nil {
		return fmt.Errorf("drift: %s: %w", path, err)
	}
	return writeFileAtomic(path, b.Bytes())
}

// WriteHTML writes a self-contained, single-page HTML report: no script,
// no external resource, one inline SVG chart per column overlaying the
// reference and current binned distributions, and the verdict table
// sorted by severity. It shows only aggregates and binned distributions,
// never individual rows.
func (r *Report) WriteHTML(w io.Writer) error {
	type row struct {
		ColumnResult
		Chart  template.HTML
		PText  string
		Stat   string
		Thresh string
		Sev    string
		Anchor string
	}
	var rows []row
	for i, c := range r.Columns {
		rw := row{ColumnResult: c, Chart: chartSVG(c.Distribution), Stat: fmtNum(c.Statistic), Thresh: fmtNum(c.Threshold),
			Sev: fmtNum(c.Severity), PText: "—", Anchor: "col" + strconv.Itoa(i)}
		if c.PValue != nil {
			rw.PText = fmtNum(*c.PValue)
			if c.AdjustedPValue != nil {
				rw.PText += " (adj. " + fmtNum(*c.AdjustedPValue) + ")"
			}
		}
		if c.Status != StatusTested {
			rw.Stat, rw.Sev = "—", "—"
		}
		rows = append(rows, rw)
	}
	return reportTemplate.Execute(w, map[string]any{"R": r, "Rows": rows, "Share": fmt.Sprintf("%.0f%%", 100*r.Dataset.Share),
		"Need": fmt.Sprintf("%.0f%%", 100*r.Dataset.DriftShare)})
}

func fmtNum(x float64) string {
	switch {
	case x == 0:
		return "0"
	case math.Abs(x) >= 1e6 || math.Abs(x) < 1e-3:
		return strconv.FormatFloat(x, 'e', 2, 64)
	}
	return strconv.FormatFloat(x, 'g', 4, 64)
}

// Chart geometry, in the SVG's own units. The SVG scales to its card's
// width (viewBox and width 100%), so these are proportions, not pixels:
// 12-unit text shows at about 16 px in a card 1150 px wide (a 1280 px
// window) and at about 10 px in one 730 px wide (an 800 px window).
const (
	chartW      = 860.0
	chartPlotH  = 160.0
	chartTop    = 14.0
	chartFont   = 12.0
	chartCharW  = 0.62 * chartFont // a generous mean advance of digits and Latin letters
	chartMaxLab = 18               // runes before a label is abbreviated
)

// chartSVG draws grouped bars of the bucket shares: reference and current
// side by side per bucket. Bucket labels are written whole when they fit
// under their bucket, else rotated 45°; numeric ranges are abbreviated
// (20.8k) and long names cut in the middle with "…", the full label in a
// tooltip; when
// buckets are too narrow even for rotated labels, only every k-th is
// written (every bar keeps its tooltip). The layout reserves the room the
// labels need, so none is clipped.
func chartSVG(h *Histogram) template.HTML {
	if h == nil || len(h.Labels) == 0 {
		return template.HTML(`<p class="muted">no distribution to show</p>`)
	}
	sr, sc := sum(h.Reference), sum(h.Current)
	share := func(v []float64, s float64, i int) float64 {
		if s <= 0 || v == nil || i >= len(v) {
			return 0
		}
		return v[i] / s
	}
	peak := 0.0
	for i := range h.Labels {
		peak = math.Max(peak, math.Max(share(h.Reference, sr, i), share(h.Current, sc, i)))
	}
	if peak == 0 {
		peak = 1
	}
	n := len(h.Labels)
	short := make([]string, n)
	width := make([]float64, n) // estimated text length of each short label
	widest := 0.0
	for i, l := range h.Labels {
		short[i] = shortLabel(l, h.Edges != nil)
		width[i] = float64(len([]rune(short[i]))) * chartCharW
		widest = math.Max(widest, width[i])
	}

	// Horizontal labels when each fits its bucket; otherwise rotated,
	// and thinned so that neighbours do not overlap. The left margin
	// grows until the first rotated labels, which hang down to the
	// left, stay inside; a few rounds settle it as the slot width
	// depends on the margin.
	const axisLabW, right = 52.0, 8.0
	left := axisLabW
	slot := (chartW - left - right) / float64(n)
	rotated := widest > slot-6
	step := 1
	const sin45 = math.Sqrt2 / 2
	if rotated {
		for range 4 {
			slot = (chartW - left - right) / float64(n)
			step = max(1, int(math.Ceil(1.2*chartFont/(slot*sin45))))
			need := axisLabW
			for i := 0; i < n; i += step {
				need = math.Max(need, width[i]*sin45+chartFont-(float64(i)+0.5)*slot+4)
			}
			left = need
		}
		slot = (chartW - left - right) / float64(n)
	}
	bottom := chartFont + 14
	if rotated {
		tallest := 0.0
		for i := 0; i < n; i += step {
			tallest = math.Max(tallest, width[i])
		}
		bottom = tallest*sin45 + chartFont + 16
	}
	H := math.Ceil(chartTop + chartPlotH + bottom)
	axisY := chartTop + chartPlotH
	bar := math.Max(slot*0.4, 0.5)

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="100%%" viewBox="0 0 %g %g" preserveAspectRatio="xMinYMin meet" role="img">`, chartW, H)
	fmt.Fprintf(&b, `<line x1="%.2f" y1="%g" x2="%g" y2="%g" stroke="#888"/>`, left, axisY, chartW-right, axisY)
	fmt.Fprintf(&b, `<line x1="%.2f" y1="%g" x2="%g" y2="%g" stroke="#e3e5ea"/>`, left, chartTop, chartW-right, chartTop)
	fmt.Fprintf(&b, `<text x="%.2f" y="%g" class="ax" text-anchor="end">%s</text><text x="%.2f" y="%g" class="ax" text-anchor="end">0</text>`,
		left-6, chartTop+4, fmtPct(peak), left-6, axisY)
	for i, l := range h.Labels {
		x := left + float64(i)*slot + slot*0.1
		full := template.HTMLEscapeString(l)
		for k, v := range []float64{share(h.Reference, sr, i), share(h.Current, sc, i)} {
			bh := v / peak * chartPlotH
			cls, who := "ref", "reference"
			if k == 1 {
				cls, who = "cur", "current"
			}
			fmt.Fprintf(&b, `<rect class="%s" x="%.2f" y="%.2f" width="%.2f" height="%.2f"><title>%s %s: %s</title></rect>`,
				cls, x+float64(k)*bar, axisY-bh, bar, bh, full, who, fmtPct(v))
		}
		if i%step != 0 {
			continue
		}
		cx := left + (float64(i)+0.5)*slot
		if rotated {
			fmt.Fprintf(&b, `<text class="lab" text-anchor="end" transform="translate(%.2f %g) rotate(-45)">%s<title>%s</title></text>`,
				cx+chartFont*0.35, axisY+8, template.HTMLEscapeString(short[i]), full)
		} else {
			fmt.Fprintf(&b, `<text class="lab" text-anchor="middle" x="%.2f" y="%g">%s<title>%s</title></text>`,
				cx, axisY+chartFont+6, template.HTMLEscapeString(short[i]), full)
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// numberRE matches the numbers in numeric bucket labels ("[2.083e+04, 4.048e+04)").
var numberRE = regexp.MustCompile(`-?[0-9]+(\.[0-9]+)?(e[+-]?[0-9]+)?`)

// shortLabel is the label a chart writes under a bucket: numbers of a
// numeric range in compact form, anything longer than chartMaxLab runes
// cut in the middle with "…".
func shortLabel(l string, numeric bool) string {
	if numeric {
		l = numberRE.ReplaceAllStringFunc(l, func(m string) string {
			x, err := strconv.ParseFloat(m, 64)
			if err != nil {
				return m
			}
			return compactNum(x)
		})
	}
	// Cut in the middle: names that share a prefix ("region-eu-west-1",
	// "region-eu-west-2") differ at the end.
	if r := []rune(l); len(r) > chartMaxLab {
		head := (chartMaxLab - 1) / 2
		return string(r[:head]) + "…" + string(r[len(r)-(chartMaxLab-1-head):])
	}
	return l
}

// compactNum writes x in about three significant digits, with k, M, G, T
// for ten thousand and up (20830 → 20.8k) and an exponent for the tiny
// and the huge.
func compactNum(x float64) string {
	a := math.Abs(x)
	switch {
	case a == 0:
		return "0"
	case a < 1e-3 || a >= 1e15:
		return strconv.FormatFloat(x, 'e', 2, 64)
	case a >= 9999.5:
		units := []string{"k", "M", "G", "T"}
		i := 0
		x /= 1e3
		for math.Abs(x) >= 999.5 && i < len(units)-1 {
			x /= 1e3
			i++
		}
		digits := 2
		switch v := math.Abs(x); {
		case v >= 99.95:
			digits = 0
		case v >= 9.995:
			digits = 1
		}
		return strconv.FormatFloat(x, 'f', digits, 64) + units[i]
	case a >= 1000:
		return strconv.FormatFloat(x, 'f', 0, 64)
	}
	return strconv.FormatFloat(x, 'g', 3, 64)
}

func fmtPct(v float64) string { return strconv.FormatFloat(100*v, 'f', 1, 64) + "%" }

var reportTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"deref": func(p *float64) float64 { return *p },
	"pct":   func(x float64) float64 { return 100 * x },
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Drift report</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1180px;color:#1d2230;background:#fff;padding:0 16px}
h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:28px 0 8px}
.muted{color:#667} .banner{padding:14px 18px;border-radius:8px;margin:14px 0;font-size:16px}
.drift{background:#fde8e6;border:1px solid #e39a92} .ok{background:#e7f5ea;border:1px solid #8fc79b}
table{border-collapse:collapse;width:100%} th,td{padding:6px 8px;border-bottom:1px solid #e3e5ea;text-align:left;vertical-align:top}
th{background:#f4f5f8;font-weight:600} td.n{text-align:right;font-variant-numeric:tabular-nums}
.tag{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600}
.tag.y{background:#d9463a;color:#fff} .tag.n{background:#cfe9d5;color:#1e5b2b} .tag.s{background:#e4e4e4;color:#444}
.card{border:1px solid #e3e5ea;border-radius:8px;padding:12px 16px;margin:12px 0}
.card h3{margin:0 0 4px;font-size:15px} svg .ref{fill:#4c78a8} svg .cur{fill:#f58518;opacity:.85}
svg .lab,svg .ax{font-size:12px;fill:#445} svg.chart{display:block;width:100%;height:auto} .legend span{display:inline-block;width:12px;height:12px;margin:0 4px -2px 10px}
dl{display:grid;grid-template-columns:max-content auto;gap:2px 12px;margin:6px 0} dt{color:#667}
</style></head><body>
<h1>Drift report</h1>
<p class="muted">{{.R.Mode}} mode · reference {{.R.Reference.Rows}} rows · current {{.R.Current.Rows}} rows · correction: {{.R.Correction}}</p>
<div class="banner {{if .R.Dataset.Drifted}}drift{{else}}ok{{end}}">
{{if .R.Dataset.Drifted}}<strong>Dataset drift detected:</strong>{{else}}<strong>No dataset drift:</strong>{{end}}
{{.R.Dataset.DriftedColumns}} of {{.R.Dataset.TestedColumns}} tested columns drifted ({{.Share}}; dataset drift at ≥ {{.Need}}).
</div>
<h2>Verdicts, most severe first</h2>
<table><thead><tr><th>Column</th><th>Kind</th><th>Test</th><th>Statistic</th><th>p-value</th><th>Threshold</th><th>Severity</th><th>Drift</th></tr></thead><tbody>
{{range .Rows}}<tr><td><a href="#{{.Anchor}}">{{.Column}}</a></td><td>{{.Kind}}</td><td>{{.Test}}{{if .Auto}} <span class="muted">(auto)</span>{{end}}</td>
<td class="n">{{.Stat}}</td><td class="n">{{.PText}}</td><td class="n">{{if eq .ThresholdKind "p_value"}}p &lt; {{else}}≥ {{end}}{{.Thresh}}</td><td class="n">{{.Sev}}</td>
<td>{{if ne .Status "tested"}}<span class="tag s">skipped</span>{{else if .Drifted}}<span class="tag y">drift</span>{{else}}<span class="tag n">ok</span>{{end}}</td></tr>
{{end}}</tbody></table>
<h2>Columns</h2>
<p class="legend muted">Share of values per bucket:<span style="background:#4c78a8"></span>reference<span style="background:#f58518"></span>current</p>
{{range .Rows}}<div class="card" id="{{.Anchor}}"><h3>{{.Column}} {{if ne .Status "tested"}}<span class="tag s">skipped</span>{{else if .Drifted}}<span class="tag y">drift</span>{{else}}<span class="tag n">ok</span>{{end}}</h3>
<dl><dt>test</dt><dd>{{.Test}} · statistic {{.Stat}}{{if .PValue}} · p {{.PText}}{{end}}{{if .ErrorBound}} · profile-mode error ≤ {{printf "%.3g" (deref .ErrorBound)}}{{end}}</dd>
<dt>missing</dt><dd>reference {{printf "%.1f" (pct .Reference.MissingShare)}}% · current {{printf "%.1f" (pct .Current.MissingShare)}}%</dd>
{{if .Note}}<dt>note</dt><dd>{{.Note}}</dd>{{end}}</dl>
{{.Chart}}</div>
{{end}}
{{if or .R.Reference.Digest .R.Current.Digest}}<p class="muted">{{with .R.Reference.Digest}}Reference {{.}}{{end}}{{with .R.Current.Digest}}<br>Current {{.}}{{end}}</p>{{end}}
</body></html>
`))
