package mlbom

import (
	"context"
	"errors"
	"fmt"

	"github.com/mlsec-dev/mlsec/provenance"
	"github.com/mlsec-dev/mlsec/signing"
)

// CollectOptions say how Collect verifies attestations.
type CollectOptions struct {
	// Policies are the provenance policies an SLSA provenance attestation
	// may be accepted under: it must verify under at least one. At least
	// one is required.
	Policies []*provenance.Policy
	// TestResultPolicies are those for validation test results (rules
	// about SLSA provenance, such as buildTypes, do not apply to them);
	// Policies when empty.
	TestResultPolicies []*provenance.Policy
	// Verify are the options of each verification (Now, for maxAge);
	// PredicateType and Subjects are set by Collect.
	Verify provenance.VerifyOptions
}

// Collect verifies the attestations that bear on a model whose OMS
// signature verified (model, signer) and returns them as Evidence: the SLSA
// provenance whose subject is the model, then the build provenance and
// validation test results of each dataset those runs name. An attestation
// about the model or one of its datasets that fails verification under
// every policy (tampered, signed by an untrusted key, breaking a policy
// rule) is an error naming its source: no BOM is made from a set that
// holds one. Attestations about other artifacts are not read.
func Collect(ctx context.Context, model *signing.Manifest, signer string, atts provenance.Attestations, opts CollectOptions) (Evidence, error) {
	if model == nil {
		return Evidence{}, ErrNoModel
	}
	if len(opts.Policies) == 0 {
		return Evidence{}, errors.New("mlbom: no policy: nothing is trusted")
	}
	ev := Evidence{Model: model, Signer: signer}
	root := model.RootDigest()
	modelDigest := provenance.DigestSet{root.Algorithm: root.Hex()}
	runs, err := verifyAll(ctx, atts.About(provenance.PredicateSLSAProvenance, modelDigest), "", opts.Policies, opts.Verify)
	if err != nil {
		return Evidence{}, err
	}
	ev.Attestations = append(ev.Attestations, runs...)
	seen := map[string]bool{}
	for _, r := range runs {
		for _, dep := range r.Statement.Predicate.BuildDefinition.ResolvedDependencies {
			if len(dep.Digest) == 0 || !isDataset(dep, r.Statement) || seen[dep.Digest.String()] {
				continue
			}
			seen[dep.Digest.String()] = true
			for _, pt := range []string{provenance.PredicateSLSAProvenance, predicateTestResult} {
				policies := opts.Policies
				if pt == predicateTestResult && len(opts.TestResultPolicies) > 0 {
					policies = opts.TestResultPolicies
				}
				vs, err := verifyAll(ctx, atts.About(pt, dep.Digest), pt, policies, opts.Verify)
				if err != nil {
					return Evidence{}, err
				}
				ev.Attestations = append(ev.Attestations, vs...)
			}
		}
	}
	return ev, nil
}

// verifyAll verifies each attestation under the first policy that accepts
// it; one that no policy accepts is an error.
func verifyAll(ctx context.Context, atts provenance.Attestations, predicateType string, policies []*provenance.Policy, vo provenance.VerifyOptions) ([]*provenance.Verified, error) {
	vo.PredicateType = predicateType
	vo.Subjects = nil
	var out []*provenance.Verified
	for _, a := range atts {
		var first error
		var ok bool
		for _, p := range policies {
			res, err := provenance.Attestations{a}.Verify(ctx, p, vo)
			if err != nil {
				return nil, fmt.Errorf("mlbom: %w", err)
			}
			if res[0].Err == nil {
				out = append(out, res[0].Verified)
				ok = true
				break
			}
			if first == nil {
				first = res[0].Err
			}
		}
		if !ok {
			return nil, fmt.Errorf("mlbom: %s: does not verify, so no BOM is made from this evidence: %w", a.Source, first)
		}
	}
	return out, nil
}
