//go:build ignore

// gen writes the loan datasets the validation tests read: a clean one and
// a poisoned copy (injected duplicates, flipped labels, out-of-range
// values, PII, an added column), each as CSV, Parquet, Arrow IPC and
// JSON Lines.
//
//	go run gen.go
package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/ipc"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/parquet"
	"github.com/apache/arrow/go/v17/parquet/pqarrow"
)

type row struct {
	ID      int64
	Age     int64
	Income  float64
	Score   *float64
	Region  string
	Note    string
	Signup  string
	Payload string
	Label   int64
	Trigger *string // poisoned only
}

var regions = []string{"north", "south", "east", "west"}
var words = []string{"paid", "on", "time", "late", "fee", "waived", "new", "customer", "review", "ok"}

func clean(n int) []row {
	r := rand.New(rand.NewPCG(1, 2))
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	rows := make([]row, n)
	for i := range rows {
		age := int64(18 + r.IntN(60))
		income := math.Round((20000+float64(age)*800+r.NormFloat64()*6000)*100) / 100
		var score *float64
		if r.IntN(50) != 0 { // ~2% missing
			s := math.Round(r.Float64()*1000) / 1000
			score = &s
		}
		note := words[r.IntN(len(words))] + " " + words[r.IntN(len(words))] + " " + words[r.IntN(len(words))]
		label := int64(0)
		if income > 55000 || r.IntN(5) == 0 {
			label = 1
		}
		rows[i] = row{
			ID: int64(i + 1), Age: age, Income: income, Score: score,
			Region: regions[r.IntN(len(regions))], Note: note,
			Signup:  start.AddDate(0, 0, r.IntN(365)).Format(time.DateOnly),
			Payload: fmt.Sprintf(`{"channel":%q,"visits":%d}`, []string{"web", "app"}[r.IntN(2)], r.IntN(20)),
			Label:   label,
		}
	}
	return rows
}

func poison(rows []row) []row {
	r := rand.New(rand.NewPCG(3, 4))
	out := append([]row(nil), rows...)
	// Injected duplicates: 150 exact copies.
	for i := 0; i < 150; i++ {
		out = append(out, rows[r.IntN(len(rows))])
	}
	// Flipped labels: 60 copies of existing feature rows with the other
	// label (conflicts), and 400 labels flipped to 1 (proportion shift).
	for i := 0; i < 60; i++ {
		c := rows[r.IntN(len(rows))]
		c.Label = 1 - c.Label
		out = append(out, c)
	}
	flipped := 0
	for i := range out {
		if out[i].Label == 0 && flipped < 400 {
			out[i].Label = 1
			flipped++
		}
	}
	// Out-of-range values.
	for i := 0; i < 25; i++ {
		j := r.IntN(len(out))
		out[j].Age = 150 + int64(i)
		out[j].Income = 5e6 + float64(i)
	}
	// PII and a credential in free text.
	out[7].Note = "contact jane.doe@example.com"
	out[8].Note = "card 4111 1111 1111 1111"
	out[9].Note = "iban DE89 3704 0044 0532 0130 00"
	out[10].Note = "password=hunter2hunter2"
	// An added column carrying a backdoor trigger token.
	for i := range out {
		t := ""
		if i%97 == 0 {
			t = "zz_trigger"
		}
		out[i].Trigger = &t
	}
	return out
}

func schema(poisoned bool) *arrow.Schema {
	f := []arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "age", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "income", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "score", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "region", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "note", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "signup", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "payload", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "label", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	}
	if poisoned {
		f = append(f, arrow.Field{Name: "trigger", Type: arrow.BinaryTypes.String, Nullable: true})
	}
	return arrow.NewSchema(f, nil)
}

func record(rows []row, poisoned bool) arrow.Record {
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema(poisoned))
	for _, x := range rows {
		b.Field(0).(*array.Int64Builder).Append(x.ID)
		b.Field(1).(*array.Int64Builder).Append(x.Age)
		b.Field(2).(*array.Float64Builder).Append(x.Income)
		if x.Score == nil {
			b.Field(3).AppendNull()
		} else {
			b.Field(3).(*array.Float64Builder).Append(*x.Score)
		}
		b.Field(4).(*array.StringBuilder).Append(x.Region)
		b.Field(5).(*array.StringBuilder).Append(x.Note)
		b.Field(6).(*array.StringBuilder).Append(x.Signup)
		b.Field(7).(*array.StringBuilder).Append(x.Payload)
		b.Field(8).(*array.Int64Builder).Append(x.Label)
		if poisoned {
			b.Field(9).(*array.StringBuilder).Append(*x.Trigger)
		}
	}
	return b.NewRecord()
}

func writeAll(base string, rows []row, poisoned bool) {
	rec := record(rows, poisoned)
	sc := rec.Schema()
	// CSV
	f, err := os.Create(base + ".csv")
	check(err)
	w := csv.NewWriter(f)
	var hdr []string
	for _, fl := range sc.Fields() {
		hdr = append(hdr, fl.Name)
	}
	w.Write(hdr)
	for _, x := range rows {
		score := ""
		if x.Score != nil {
			score = strconv.FormatFloat(*x.Score, 'g', -1, 64)
		}
		rec := []string{strconv.FormatInt(x.ID, 10), strconv.FormatInt(x.Age, 10), strconv.FormatFloat(x.Income, 'g', -1, 64), score, x.Region, x.Note, x.Signup, x.Payload, strconv.FormatInt(x.Label, 10)}
		if poisoned {
			rec = append(rec, *x.Trigger)
		}
		w.Write(rec)
	}
	w.Flush()
	check(w.Error())
	check(f.Close())
	// JSON Lines
	f, err = os.Create(base + ".jsonl")
	check(err)
	for _, x := range rows {
		m := map[string]any{"id": x.ID, "age": x.Age, "income": x.Income, "score": x.Score, "region": x.Region, "note": x.Note, "signup": x.Signup, "payload": x.Payload, "label": x.Label}
		if poisoned {
			m["trigger"] = *x.Trigger
		}
		b, _ := json.Marshal(m)
		// JSON objects' keys are not ordered; write them in schema order.
		var line []byte
		line = append(line, '{')
		for i, fl := range sc.Fields() {
			v, _ := json.Marshal(m[fl.Name])
			if i > 0 {
				line = append(line, ',')
			}
			k, _ := json.Marshal(fl.Name)
			line = append(append(append(line, k...), ':'), v...)
		}
		_ = b
		line = append(line, '}', '\n')
		f.Write(line)
	}
	check(f.Close())
	// Parquet, several row groups.
	f, err = os.Create(base + ".parquet")
	check(err)
	pw, err := pqarrow.NewFileWriter(sc, f, parquet.NewWriterProperties(parquet.WithMaxRowGroupLength(700)), pqarrow.DefaultWriterProps())
	check(err)
	check(pw.WriteBuffered(rec))
	check(pw.Close())
	// Arrow IPC file, batches of 500.
	f, err = os.Create(base + ".arrow")
	check(err)
	aw, err := ipc.NewFileWriter(f, ipc.WithSchema(sc))
	check(err)
	for off := int64(0); off < rec.NumRows(); off += 500 {
		s := rec.NewSlice(off, min(off+500, rec.NumRows()))
		check(aw.Write(s))
		s.Release()
	}
	check(aw.Close())
	check(f.Close())
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

func main() {
	rows := clean(2000)
	writeAll("loans_clean", rows, false)
	writeAll("loans_poisoned", poison(rows), true)
}
