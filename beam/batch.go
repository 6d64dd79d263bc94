package mlsecbeam

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/ipc"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
)

// Batch is one Arrow record batch travelling through a pipeline: the
// element type of the PCollections that ReadFiles, FromRows and
// FromRecords produce and that ValidateDataset and ProfileDataset consume.
// Between workers a Batch is encoded as an Arrow IPC stream (schema and
// one record batch), so no row is ever boxed into a per-cell value.
//
// Source and Row place the batch in the dataset: Source names the ordered
// part it came from (a file path; FromRecords numbers its records) and Row
// is the index of the batch's first row within that part. Parts are
// ordered by Source, so row indices in validation results are
// dataset-wide, as a single machine reading the files in sorted order
// reports them. An empty Source marks rows without an order (FromRows):
// they are numbered in whatever order the runner sees them.
type Batch struct {
	Record arrow.Record
	Source string
	Row    int64
}

func init() {
	beam.RegisterCoder(reflect.TypeOf(Batch{}), encodeBatch, decodeBatch)
}

func encodeBatch(b Batch) ([]byte, error) {
	if b.Record == nil {
		return nil, errors.New("mlsecbeam: encode batch: nil record")
	}
	var buf bytes.Buffer
	buf.Write(binary.AppendUvarint(nil, uint64(len(b.Source))))
	buf.WriteString(b.Source)
	buf.Write(binary.AppendVarint(nil, b.Row))
	w := ipc.NewWriter(&buf, ipc.WithSchema(b.Record.Schema()))
	if err := w.Write(b.Record); err != nil {
		return nil, fmt.Errorf("mlsecbeam: encode batch: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("mlsecbeam: encode batch: %w", err)
	}
	return buf.Bytes(), nil
}

func decodeBatch(data []byte) (b Batch, err error) {
	// The bytes come from another worker, not from a user, but a corrupt
	// shuffle must still surface as an error rather than a crashed worker.
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("mlsecbeam: decode batch: malformed Arrow IPC data: %v", p)
		}
	}()
	n, k := binary.Uvarint(data)
	if k <= 0 || n > uint64(len(data)-k) {
		return Batch{}, errors.New("mlsecbeam: decode batch: malformed header")
	}
	source := string(data[k : k+int(n)])
	data = data[k+int(n):]
	row, k := binary.Varint(data)
	if k <= 0 {
		return Batch{}, errors.New("mlsecbeam: decode batch: malformed header")
	}
	data = data[k:]
	r, err := ipc.NewReader(bytes.NewReader(data), ipc.WithAllocator(memory.DefaultAllocator))
	if err != nil {
		return Batch{}, fmt.Errorf("mlsecbeam: decode batch: %w", err)
	}
	defer r.Release()
	if !r.Next() {
		if err := r.Err(); err != nil {
			return Batch{}, fmt.Errorf("mlsecbeam: decode batch: %w", err)
		}
		return Batch{}, errors.New("mlsecbeam: decode batch: no record in stream")
	}
	rec := r.Record()
	rec.Retain()
	return Batch{Record: rec, Source: source, Row: row}, nil
}

// encodeSchema serialises a schema as an Arrow IPC stream with no record,
// so a DoFn can carry it as a plain []byte field.
func encodeSchema(s *arrow.Schema) ([]byte, error) {
	if s == nil {
		return nil, nil
	}
	var buf bytes.Buffer
	w := ipc.NewWriter(&buf, ipc.WithSchema(s))
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("mlsecbeam: encode schema: %w", err)
	}
	return buf.Bytes(), nil
}

func decodeSchema(data []byte) (*arrow.Schema, error) {
	if len(data) == 0 {
		return nil, nil
	}
	r, err := ipc.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("mlsecbeam: decode schema: %w", err)
	}
	defer r.Release()
	return r.Schema(), nil
}

// FromRecords returns a PCollection of the given in-memory records, one
// Batch each, in order: row indices count from the first row of the
// first record. It suits tests and small reference sets; for data on disk
// use ReadFiles.
func FromRecords(s beam.Scope, recs ...arrow.Record) beam.PCollection {
	s = s.Scope("mlsec.FromRecords")
	batches := make([]Batch, len(recs))
	for i, r := range recs {
		batches[i] = Batch{Record: r, Source: fmt.Sprintf("records/%09d", i)}
	}
	return beam.CreateList(s, batches)
}
