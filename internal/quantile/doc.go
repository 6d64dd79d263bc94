// Package quantile is mlsec's one mergeable quantile sketch: a
// deterministic compactor hierarchy with a certified rank-error bound,
// used by drift's column profiles and validation's quantile, median and
// outlier checks, so that both packages give the same quantile of the
// same data.
//
// Its JSON form (also used for gob) is drift profile format v1's
// "sketch" object; validation's mergeable states carry the same object.
package quantile
