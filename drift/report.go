package drift

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"math"
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

// chartSVG draws grouped bars of the bucket shares: reference and current
// side by side per bucket.
func chartSVG(h *Histogram) template.HTML {
	if h == nil || len(h.Labels) == 0 {
		return template.HTML(`<p class="muted">no distribution to show</p>`)
	}
	const W, H, top, bottom, left = 620.0, 190.0, 10.0, 48.0, 36.0
	sr, sc := sum(h.Reference), sum(h.Current)
	share := func(v []float64, s float64, i int) float64 {
		if s <= 0 || v == nil {
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
	n := float64(len(h.Labels))
	slot := (W - left - 4) / n
	bar := math.Max(slot*0.38, 1)
	plotH := H - top - bottom
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%g" height="%g" viewBox="0 0 %g %g" role="img">`, W, H, W, H)
	fmt.Fprintf(&b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="#888"/>`, left, H-bottom, W-4, H-bottom)
	fmt.Fprintf(&b, `<text x="2" y="%g" class="ax">%s</text><text x="2" y="%g" class="ax">0</text>`, top+8, fmtPct(peak), H-bottom)
	for i, l := range h.Labels {
		x := left + float64(i)*slot + slot*0.1
		for k, v := range []float64{share(h.Reference, sr, i), share(h.Current, sc, i)} {
			bh := v / peak * plotH
			cls := "ref"
			who := "reference"
			if k == 1 {
				cls, who = "cur", "current"
			}
			fmt.Fprintf(&b, `<rect class="%s" x="%.2f" y="%.2f" width="%.2f" height="%.2f"><title>%s %s: %s</title></rect>`,
				cls, x+float64(k)*bar, H-bottom-bh, bar, bh, template.HTMLEscapeString(l), who, fmtPct(v))
		}
		lab := l
		if len([]rune(lab)) > 14 {
			lab = string([]rune(lab)[:13]) + "…"
		}
		fmt.Fprintf(&b, `<text class="lab" transform="translate(%.2f %g) rotate(35)">%s</text>`, x, H-bottom+12, template.HTMLEscapeString(lab))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
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
svg .lab,svg .ax{font-size:10px;fill:#445} .legend span{display:inline-block;width:12px;height:12px;margin:0 4px -2px 10px}
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
<p class="muted">Reference {{.R.Reference.Digest}}{{with .R.Current.Digest}}<br>Current {{.}}{{end}}</p>
</body></html>
`))
