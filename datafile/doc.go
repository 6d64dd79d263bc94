// Package datafile opens tabular data files — CSV, TSV, Parquet, Arrow
// IPC (file and stream) and JSON Lines — as streaming Arrow record
// readers ([array.RecordReader]), the input that the validation and drift
// packages take.
//
// The shortest use:
//
//	r, err := datafile.Open(ctx, "train.parquet", datafile.Options{})
//	if err != nil {
//		return err
//	}
//	defer r.Close()
//	res, err := validation.Validate(ctx, suite, r, validation.Options{})
//
// [Open] picks the format from the file extension ([FormatOf]; set
// [Options].Format to override it). Parquet and Arrow files carry their
// schema; for CSV, TSV and JSON Lines it is inferred from the first
// [Options].InferRows rows, or given as [Options].Schema. [OpenAll] reads
// the files of one dataset in sequence as one stream and stops with an
// error naming the file whose schema differs from the first one's.
//
// Records hold at most [Options].BatchSize rows ([DefaultBatchSize] by
// default, fewer for very wide files), so memory is bounded by the batch,
// not by the file. Errors are [*FileError] values naming the file and,
// where known, the line and row. Malformed input is an error, never a
// panic: Arrow IPC buffers are checked before use, and a panic inside a
// decoder becomes an error naming the file.
//
// # CSV and TSV on all cores
//
// CSV and TSV text is cut into 1 MiB chunks on record boundaries (a
// newline outside quotes) and the chunks are parsed in parallel straight
// into Arrow arrays, [Options].Workers goroutines (default GOMAXPROCS);
// records still arrive in file order, one per chunk or smaller. The
// rules are encoding/csv's: RFC 4180 quoting, CRLF read as LF, blank
// lines skipped. Memory stays at a few chunks and their records per
// worker. Integers, floats (correctly rounded: the same values as
// strconv.ParseFloat), booleans and dates take fast paths: a number is
// parsed while its field's end is found, int64, float64 and utf8 values
// are written straight into the arrays' buffers, and a column gets a
// validity bitmap only once it has a null. With
// [Options].DictionaryStrings, text columns that look categorical in
// the inference sample (at most 64 distinct values) are read as
// dictionary<int32, utf8>; drift counts their categories by index.
//
// # Reading only some columns
//
// [Options].Columns is a projection: only the named columns are read,
// and the reader's schema holds only them. Parquet skips the other
// columns' bytes entirely; CSV and TSV parse the other columns' text
// only to find the field ends (a malformed value there is not an error);
// the other formats drop them as each batch is decoded. validation.Plan.Columns and drift.ProfileOptions.Columns say
// which columns a suite or a profile needs.
//
// # Progress
//
// [Reader.BytesRead] says how far a reader has got through its files, in
// bytes, and ends at the sum of their sizes: with the sizes from os.Stat a
// caller shows the share done, the throughput and the time left. It is
// updated once per stored batch (not per row) and may be read from any
// goroutine, for example a display's ticker. validation and drift take a
// rows callback that runs on the reading goroutine, where it is also
// cheap to read.
//
// # Resource limits
//
// A hostile file must not exhaust the machine that checks it. These
// limits, each an [Options] field, keep reading any single input under
// about 1 GiB of memory with their defaults:
//
//	MaxColumns        DefaultMaxColumns (10,000)  columns read (after Columns)
//	MaxPageBytes      DefaultMaxPageBytes (128 MiB) one decompressed Parquet page,
//	                  checked against the page header before decompressing
//	MaxRowGroupBytes  DefaultMaxRowGroupBytes (1 GiB) decompressed size of the
//	                  columns read from one Parquet row group, from the footer
//	MaxFieldBytes     DefaultMaxFieldBytes (16 MiB) one CSV/TSV field
//	MaxLineBytes      DefaultMaxLineBytes (64 MiB) one CSV/TSV record or JSON Lines line
//
// A Parquet page that inflates past the size its header declares is
// refused as well. Hitting a limit is a [*LimitError] (inside the
// [*FileError]) that names the field; raise the field to read such a
// file, or set it to -1 for no limit:
//
//	var le *datafile.LimitError
//	if errors.As(err, &le) {
//		fmt.Println("raise Options." + le.Limit)
//	}
package datafile
