package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/parquet"
	"github.com/apache/arrow/go/v17/parquet/compress"
	"github.com/apache/arrow/go/v17/parquet/file"
	"github.com/apache/arrow/go/v17/parquet/pqarrow"
)

// Loan is one loan application with its outcome. Default is the label the
// model learns: 1 when the borrower defaulted.
type Loan struct {
	ID              string
	Age             int64
	Income          float64 // yearly, USD
	LoanAmount      float64 // USD
	Term            int64   // months: 36 or 60
	CreditScore     int64   // FICO-like, 300..850
	EmploymentYears int64
	Purpose         string
	State           string
	Default         int64
}

// columns is the on-disk schema of every dataset the pipeline writes, in
// order; the CSV header and the Parquet schema both follow it.
var columns = []string{"id", "age", "income", "loan_amount", "term", "credit_score",
	"employment_years", "purpose", "state", "default"}

var loanSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.BinaryTypes.String},
	{Name: "age", Type: arrow.PrimitiveTypes.Int64},
	{Name: "income", Type: arrow.PrimitiveTypes.Float64},
	{Name: "loan_amount", Type: arrow.PrimitiveTypes.Float64},
	{Name: "term", Type: arrow.PrimitiveTypes.Int64},
	{Name: "credit_score", Type: arrow.PrimitiveTypes.Int64},
	{Name: "employment_years", Type: arrow.PrimitiveTypes.Int64},
	{Name: "purpose", Type: arrow.BinaryTypes.String},
	{Name: "state", Type: arrow.BinaryTypes.String},
	{Name: "default", Type: arrow.PrimitiveTypes.Int64},
}, nil)

// purposes and states with their shares of applications.
var (
	purposes = []weighted{
		{"debt_consolidation", 0.42}, {"credit_card", 0.20}, {"home_improvement", 0.12},
		{"car", 0.08}, {"small_business", 0.06}, {"medical", 0.05},
		{"education", 0.04}, {"other", 0.03},
	}
	states = []weighted{
		{"CA", 0.16}, {"TX", 0.12}, {"NY", 0.10}, {"FL", 0.09}, {"IL", 0.06},
		{"PA", 0.06}, {"OH", 0.05}, {"GA", 0.05}, {"NC", 0.05}, {"MI", 0.04},
		{"NJ", 0.04}, {"WA", 0.04}, {"AZ", 0.04}, {"MA", 0.04}, {"CO", 0.03},
		{"VA", 0.03},
	}
	// purposeRisk shifts the log-odds of default; purposeSize scales the
	// amount asked for.
	purposeRisk = map[string]float64{"small_business": 0.7, "medical": 0.35, "other": 0.2,
		"education": 0.15, "debt_consolidation": 0.1, "car": -0.2, "home_improvement": -0.25, "credit_card": 0}
	purposeSize = map[string]float64{"small_business": 1.7, "home_improvement": 1.3, "debt_consolidation": 1.1,
		"car": 1.0, "credit_card": 0.8, "education": 0.8, "medical": 0.6, "other": 0.6}
)

type weighted struct {
	value  string
	weight float64
}

func pick(r *rand.Rand, choices []weighted) string {
	total := 0.0
	for _, c := range choices {
		total += c.weight
	}
	u := r.Float64() * total
	for _, c := range choices {
		if u < c.weight {
			return c.value
		}
		u -= c.weight
	}
	return choices[len(choices)-1].value
}

// Population describes who applies. The zero value is not useful; start
// from normalPopulation and change what a scenario changes.
type Population struct {
	IncomeFactor     float64 // multiplies every income
	CreditShift      float64 // added to every credit score
	SmallBusinessMul float64 // multiplies the share of small-business loans
}

var normalPopulation = Population{IncomeFactor: 1, CreditShift: 0, SmallBusinessMul: 1}

// downturn is the population a serving batch comes from after the economy
// turns: lower incomes, lower credit scores, more small-business loans.
var downturn = Population{IncomeFactor: 0.72, CreditShift: -55, SmallBusinessMul: 3}

// generateLoans returns n applications drawn deterministically from seed.
// Ids start at firstID so that batches drawn with different seeds do not
// share ids.
//
// The label follows a logistic model of the features a lender would expect
// to matter: credit score, debt-to-income of the loan, term, job tenure,
// purpose and age.
func generateLoans(seed uint64, n, firstID int, pop Population) []Loan {
	r := rand.New(rand.NewPCG(seed, 0x6c6f616e73)) // "loans"
	ps := purposes
	if pop.SmallBusinessMul != 1 {
		ps = make([]weighted, len(purposes))
		copy(ps, purposes)
		for i := range ps {
			if ps[i].value == "small_business" {
				ps[i].weight *= pop.SmallBusinessMul
			}
		}
	}
	loans := make([]Loan, n)
	for i := range loans {
		age := clamp(math.Round(42+12*r.NormFloat64()), 21, 75)
		emp := clamp(math.Floor(math.Exp(1.4+0.8*r.NormFloat64())), 0, age-18)
		tenure := math.Min(emp, 20)
		income := math.Exp(10.85+0.008*(age-42)+0.025*tenure+0.45*r.NormFloat64()) * pop.IncomeFactor
		income = math.Max(12000, math.Round(income/100)*100)
		credit := clamp(math.Round(685+2*tenure+0.8*(age-42)+62*r.NormFloat64()+pop.CreditShift), 300, 850)
		purpose := pick(r, ps)
		amount := math.Exp(9.35+0.55*r.NormFloat64()) * purposeSize[purpose]
		amount = clamp(math.Round(amount/250)*250, 1000, 60000)
		term := int64(36)
		p60 := 0.2
		if amount > 20000 {
			p60 = 0.55
		}
		if r.Float64() < p60 {
			term = 60
		}
		dti := amount / income
		logit := -1.75 - 0.012*(credit-685) + 4.0*(dti-0.25) - 0.045*tenure - 0.01*(age-42) + purposeRisk[purpose]
		if term == 60 {
			logit += 0.45
		}
		label := int64(0)
		if r.Float64() < 1/(1+math.Exp(-logit)) {
			label = 1
		}
		loans[i] = Loan{
			ID:              fmt.Sprintf("APP-%07d", firstID+i),
			Age:             int64(age),
			Income:          income,
			LoanAmount:      amount,
			Term:            term,
			CreditScore:     int64(credit),
			EmploymentYears: int64(emp),
			Purpose:         purpose,
			State:           pick(r, states),
			Default:         label,
		}
	}
	return loans
}

func clamp(x, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, x)) }

// poison returns a copy of loans as an attacker who can write to the
// landing zone would leave it: a slice of rows duplicated with their label
// flipped (so the model learns that risky applicants repay), and the same
// flipped rows appended again as exact duplicates to weigh them up.
func poison(loans []Loan, seed uint64, fraction float64) []Loan {
	r := rand.New(rand.NewPCG(seed, 0x706f69736f6e)) // "poison"
	out := append([]Loan(nil), loans...)
	k := int(float64(len(loans)) * fraction)
	for range k {
		l := loans[r.IntN(len(loans))]
		l.Default = 1 - l.Default
		out = append(out, l, l)
	}
	return out
}

// writeParquet writes loans as Parquet files of at most perFile rows each
// (part-00000.parquet, ...) into dir, the layout of a partitioned dataset.
func writeParquet(dir string, loans []Loan, perFile int) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var files []string
	for part, start := 0, 0; start < len(loans); part, start = part+1, start+perFile {
		end := min(start+perFile, len(loans))
		path := filepath.Join(dir, fmt.Sprintf("part-%05d.parquet", part))
		if err := writeParquetFile(path, loans[start:end]); err != nil {
			return nil, err
		}
		files = append(files, path)
	}
	return files, nil
}

func writeParquetFile(path string, loans []Loan) error {
	rec := loansRecord(loans)
	defer rec.Release()
	return writeAtomic(path, func(f *os.File) error {
		props := parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Zstd),
			parquet.WithDictionaryDefault(true))
		// The Parquet writer closes what it writes to; writeAtomic closes f.
		w, err := pqarrow.NewFileWriter(loanSchema, struct{ io.Writer }{f}, props, pqarrow.DefaultWriterProps())
		if err != nil {
			return err
		}
		if err := w.Write(rec); err != nil {
			w.Close()
			return err
		}
		return w.Close()
	})
}

func loansRecord(loans []Loan) arrow.Record {
	b := array.NewRecordBuilder(memory.DefaultAllocator, loanSchema)
	defer b.Release()
	for _, l := range loans {
		b.Field(0).(*array.StringBuilder).Append(l.ID)
		b.Field(1).(*array.Int64Builder).Append(l.Age)
		b.Field(2).(*array.Float64Builder).Append(l.Income)
		b.Field(3).(*array.Float64Builder).Append(l.LoanAmount)
		b.Field(4).(*array.Int64Builder).Append(l.Term)
		b.Field(5).(*array.Int64Builder).Append(l.CreditScore)
		b.Field(6).(*array.Int64Builder).Append(l.EmploymentYears)
		b.Field(7).(*array.StringBuilder).Append(l.Purpose)
		b.Field(8).(*array.StringBuilder).Append(l.State)
		b.Field(9).(*array.Int64Builder).Append(l.Default)
	}
	return b.NewRecord()
}

// writeCSV writes loans as one CSV file with a header row, as an
// application service would hand over a batch of requests; a serving
// batch has no label (withLabel false).
func writeCSV(path string, loans []Loan, withLabel bool) error {
	return writeAtomic(path, func(f *os.File) error {
		w := csv.NewWriter(f)
		header := columns
		if !withLabel {
			header = columns[:len(columns)-1]
		}
		if err := w.Write(header); err != nil {
			return err
		}
		for _, l := range loans {
			rec := []string{
				l.ID,
				strconv.FormatInt(l.Age, 10),
				strconv.FormatFloat(l.Income, 'f', -1, 64),
				strconv.FormatFloat(l.LoanAmount, 'f', -1, 64),
				strconv.FormatInt(l.Term, 10),
				strconv.FormatInt(l.CreditScore, 10),
				strconv.FormatInt(l.EmploymentYears, 10),
				l.Purpose,
				l.State,
			}
			if withLabel {
				rec = append(rec, strconv.FormatInt(l.Default, 10))
			}
			if err := w.Write(rec); err != nil {
				return err
			}
		}
		w.Flush()
		return w.Error()
	})
}

// writeAtomic writes path through a temporary file in the same directory
// and renames it into place, so a reader never sees half a file.
func writeAtomic(path string, write func(*os.File) error) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return os.Rename(f.Name(), path)
}

// readLoans reads a Parquet dataset written by writeParquet back into
// memory, checking that it has the expected schema.
func readLoans(ctx context.Context, files []string) ([]Loan, error) {
	var loans []Loan
	for _, path := range files {
		if err := readParquetFile(ctx, path, func(rec arrow.Record) error {
			if err := checkSchema(rec.Schema()); err != nil {
				return err
			}
			ids := rec.Column(0).(*array.String)
			age := rec.Column(1).(*array.Int64)
			income := rec.Column(2).(*array.Float64)
			amount := rec.Column(3).(*array.Float64)
			term := rec.Column(4).(*array.Int64)
			credit := rec.Column(5).(*array.Int64)
			emp := rec.Column(6).(*array.Int64)
			purpose := rec.Column(7).(*array.String)
			state := rec.Column(8).(*array.String)
			label := rec.Column(9).(*array.Int64)
			for i := range int(rec.NumRows()) {
				loans = append(loans, Loan{ids.Value(i), age.Value(i), income.Value(i), amount.Value(i), term.Value(i),
					credit.Value(i), emp.Value(i), purpose.Value(i), state.Value(i), label.Value(i)})
			}
			return nil
		}); err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
	}
	return loans, nil
}

func readParquetFile(ctx context.Context, path string, fn func(arrow.Record) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	pf, err := file.NewParquetReader(f)
	if err != nil {
		return err
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 8192}, memory.DefaultAllocator)
	if err != nil {
		return err
	}
	rr, err := fr.GetRecordReader(ctx, nil, nil)
	if err != nil {
		return err
	}
	defer rr.Release()
	for rr.Next() {
		if err := fn(rr.Record()); err != nil {
			return err
		}
	}
	if err := rr.Err(); err != nil && err != io.EOF {
		return err
	}
	return nil
}

// checkSchema compares column names and types with loanSchema (Parquet
// adds field metadata, which does not matter here).
func checkSchema(s *arrow.Schema) error {
	if s.NumFields() != loanSchema.NumFields() {
		return fmt.Errorf("%d columns, want %d", s.NumFields(), loanSchema.NumFields())
	}
	for i, f := range s.Fields() {
		want := loanSchema.Field(i)
		if f.Name != want.Name || !arrow.TypeEqual(f.Type, want.Type) {
			return fmt.Errorf("column %d is %s %s, want %s %s", i, f.Name, f.Type, want.Name, want.Type)
		}
	}
	return nil
}
