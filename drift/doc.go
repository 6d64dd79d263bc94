// Package drift detects when the data a model sees drifts from the data it
// was trained on: it summarises a dataset into a mergeable reference
// Profile, tests current data against it column by column, and writes JSON
// and HTML reports.
//
// The shortest real use profiles the training data once and compares each
// production batch (records from any array.RecordReader) against it:
//
//	ref, _ := drift.ProfileReader(ctx, trainingRecords, drift.ProfileOptions{})
//	_ = ref.WriteFile("reference.json")
//
//	ref, _ = drift.ReadProfileFile("reference.json")
//	report, _ := drift.CompareReader(ctx, ref, productionRecords, drift.CompareOptions{})
//	if report.Dataset.Drifted { ... }
//	_ = report.WriteHTMLFile("drift.html")
//
// Compare(ref, cur) compares two profiles instead (for example two merged
// profiles from a distributed job).
//
// # Why compare against a profile
//
// A profile holds counts, a quantile sketch, reference-fitted bins and the
// frequent categories of each column, not rows. Production can therefore
// be checked against the training data without copying the training data
// to where production runs (a privacy win), and the reference is
// summarised once instead of re-read for every batch (a speed win). The
// price is a small, stated error: see "Exact and profile mode".
//
// # Profiles
//
// Numeric columns (Arrow integers and floats) keep count, nulls, NaN and
// ±Inf counts, min, max, mean, the sum of squared deviations, up to 64
// distinct values, and a QuantileSketch with a certified rank-error bound.
// Categorical columns (strings, booleans, dictionary-encoded strings) keep
// a FrequencySketch: exact counts up to 2×TopK categories, then the TopK
// most frequent with a Misra–Gries error bound and an "other" mass.
//
// Profile is also the partial state of distributed profiling: profile each
// partition with NewProfile and AddRecord, ship it as JSON
// (json.Marshal, ParseProfile), combine with Merge. Merge is associative
// and commutative: counts, moments, min/max, categories (while exact) and
// the digest equal those of profiling all the data at once; quantiles
// agree within the sketches' certified bounds. An empty profile merges
// with anything (the zero accumulator). Profiles to be merged must be
// built with the same ProfileOptions.
//
// Each profile carries a digest of the rows it describes ("sha256-rowset:"
// and 64 hex digits): the SHA-256 of the column names and types and of the
// sum modulo 2^256 of each row's SHA-256. It does not depend on row order
// or partitioning, so a merged profile has the digest of the whole. A
// profile that is only compared and dropped can skip it
// (ProfileOptions.NoDigest): hashing every row costs about as much as
// profiling it. Such a profile cannot be saved.
//
// # Profile file format (version 1)
//
// A profile is one JSON object: format "mlsec.drift.profile", version 1,
// the row count and row-set digest, the options it was made with, and one
// entry per column holding its counts, moments and full mergeable sketch
// (a quantile sketch for numeric columns, a frequency sketch for
// categorical ones). The format is specified by profile.schema.json
// (returned by ProfileSchema). ParseProfile validates every count against
// the others and the digest against the row-set sum and columns, so a
// malformed or altered file is rejected with a *ProfileError. testdata/format
// holds fixed version-1 files that every build must read and write back
// unchanged, and malformed ones (fail_*) it must refuse.
//
// # Tests
//
// Numeric: two-sample Kolmogorov–Smirnov (exact p-value when both samples
// have at most 10 000 values, otherwise the one-sample Kolmogorov
// distribution at n = round(n1·n2/(n1+n2)), as scipy.stats.ks_2samp's
// "auto" method), Wasserstein-1 (raw, and normed by the reference's
// population standard deviation floored at 0.001), Anderson–Darling
// k-sample (midrank, p interpolated and clipped to [0.001, 0.25] as scipy
// does). On reference-fitted bins (numeric) or categories: PSI, KL(ref‖cur),
// Jensen–Shannon distance in natural log ("jensenshannon", at most 0.833)
// or base 2 ("jensenshannon2", at most 1), Hellinger, total variation,
// L-infinity, Pearson chi-square on the 2×K table over the union of
// categories (no Yates correction; categories empty on both sides are
// dropped, so a new category gives a finite statistic), and the
// two-proportion Z-test. All are checked against scipy/numpy golden values
// in testdata/golden (statistics to 1e-9 relative, p-values to 1e-6).
//
// Numeric bins: the reference's deciles (inverted-CDF), with repeated
// edges merged, plus buckets for values below the reference minimum, above
// its maximum, and NaN. PSI and KL add a pseudo-count of 0.5 to every
// bucket that is non-empty on either side, then renormalise, so empty bins
// give finite values. Low-cardinality numeric columns (at most 5 values in
// both datasets together) are binned by value.
//
// Degenerate data never gives NaN or a panic: an empty side yields KS
// D = 0, p = 1; a distance of two empty histograms is 0; chi-square with
// fewer than two non-empty categories is 0 with p = 1; a Z-test whose
// pooled share is 0 or 1 is z = 0, p = 1; Anderson–Darling with fewer than
// 4 values or one distinct value is skipped; a column whose reference or
// current values are all missing is skipped with a note. Ties are handled
// like scipy (the KS p-value then assumes continuity and is conservative).
//
// # Decisions
//
// Compare picks a test per column unless overridden (CompareOptions.Test,
// Columns): Evidently's rules, listed on Compare. p-value tests flag drift
// when p < threshold, distances when d ≥ threshold. Optional Bonferroni or
// Benjamini–Hochberg correction applies to the p-value tests across
// columns. The dataset has drifted when the share of drifted columns among
// the tested ones is at least DriftShare (0.5).
//
// # Exact and profile mode
//
// Exact mode compares raw data with raw data: with ProfileOptions.Exact
// every numeric value is kept and every statistic is exact (the golden
// tests run in this mode). Profile mode compares against a reference
// profile, whose columns with more than K values are sketched, either
// with another profile (Compare) or with data (CompareReader).
//
// Let ε_r and ε_c be the reference's and the current side's normalised
// rank-error bounds (ColumnSummary.SketchRankError, about log2(n/K)/(2K);
// 0 when nothing was compacted). Comparing two profiles (Compare), the KS
// statistic is within ε_r + ε_c of the exact one, and Wasserstein-1 within
// (ε_r + ε_c)·(max − min) of it; histogram counts are within twice a
// sketch's rank bound per bucket.
//
// CompareReader does not sketch the current data: it counts each value
// into the reference grid (the reference sketch's items plus its min and
// max; one table lookup and about one comparison per value, no
// sorting). Every statistic looks at the current CDF only at those grid
// points, so the current side is exact there (ε_c = 0): KS is within ε_r
// of the exact statistic, histogram counts are exact, and Wasserstein is
// within ε_r·(max − min) plus, for each gap between grid points where the
// current CDF crosses the reference CDF, the gap's width times its current
// mass.
//
// Each verdict reports its bound as ErrorBound, and tests check that the
// bounds hold against exact mode. The KS p-value is computed from the
// estimated statistic and the true sample sizes. Anderson–Darling needs
// exact mode.
//
// # Report format (version 1)
//
// Report's JSON (format "mlsec.drift.report", version 1) holds the mode,
// both sides' row counts and digests (when computed), the multiple-testing correction, the
// dataset verdict and one result per column (test, statistic, p-value or
// distance, threshold, verdict, severity, the sketch's error bound, all
// metrics, summaries of both sides and the binned distributions). It is
// specified by report.schema.json (returned by ReportSchema); a committed
// report of two fixed profiles pins its shape and statistics.
//
// As evidence, a report is the predicate of an in-toto Statement v1 of type
// PredicateReportV1 ([Report.Statement]) about the current data (by
// digest, [FileSubjects]); signed, a deploy gate verifies it for the
// datasets a model was trained on.
//
// Columns are sorted drifted first, then by severity (statistic/threshold
// for distances, ln p / ln α for p-values; ≥ 1 means past the threshold).
// The HTML report (WriteHTML) is one self-contained page without scripts
// or external resources, and shows only aggregates and binned
// distributions.
package drift
