package provenance_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/mlsec-dev/mlsec/provenance"
)

// A deploy gate reads an attestation store, verifies the statements about
// its model under a policy built in Go, and traces the model's lineage
// through the statements that verified. The second training statement
// claims the same model but is signed by a key the gate does not trust.
func ExampleAttestations_Verify() {
	ctx := context.Background()
	signer, publicPEM := exampleKey(1)
	intruder, _ := exampleKey(2)
	store, err := os.MkdirTemp("", "attestations")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(store)
	for name, s := range map[string]signature.SignerVerifier{"training.json": signer, "z-intruder.json": intruder} {
		env, err := provenance.Sign(ctx, exampleStatement(), s)
		if err != nil {
			log.Fatal(err)
		}
		b, err := provenance.MarshalEnvelope(env)
		if err != nil {
			log.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(store, name), b, 0o644); err != nil {
			log.Fatal(err)
		}
	}

	model := provenance.DigestSet{"sha256": "9a129038d9a00aed0cf6a7ea059ca50a813449061ab87848cf1a13eafdf33b2c"}
	policy := &provenance.Policy{
		Builders:   []provenance.TrustedBuilder{{ID: "https://ci.example.com/trainer", Keys: []provenance.PublicKey{{PEM: publicPEM}}}},
		BuildTypes: []string{provenance.BuildTypeTraining},
	}
	atts, err := provenance.ReadAttestations(store)
	if err != nil {
		log.Fatal(err)
	}
	results, err := atts.About(provenance.PredicateSLSAProvenance, model).
		Verify(ctx, policy, provenance.VerifyOptions{Subjects: []provenance.DigestSet{model}, Now: exampleTime.Add(time.Hour)})
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range results {
		if r.Err != nil {
			fmt.Printf("%s: rejected: %v\n", filepath.Base(r.Source), r.Err.(*provenance.VerificationError).Violations[0])
			continue
		}
		fmt.Printf("%s: verified, builder %s\n", filepath.Base(r.Source), r.Verified.Builder)
	}
	lineage := results.Trace(model)
	fmt.Println(lineage.Root.Status, len(lineage.Gaps), "gap(s)")
	// Output:
	// training.json: verified, builder https://ci.example.com/trainer
	// z-intruder.json: rejected: signature: no signature by a key the policy trusts
	// attested 1 gap(s)
}

// A model counts as reproduced when two of three trusted builders attest
// the same statement, each in an attestation of its own: the original CI
// and an independent rebuilder. A signer counts once, however many
// attestations it signs.
func ExampleAttestations_VerifyQuorum() {
	ctx := context.Background()
	ci, ciPEM := exampleKey(1)
	rebuilder, rebuilderPEM := exampleKey(3)
	_, thirdPEM := exampleKey(4)
	attest := func(source string, s signature.SignerVerifier) provenance.Attestation {
		env, err := provenance.Sign(ctx, exampleStatement(), s)
		if err != nil {
			log.Fatal(err)
		}
		return provenance.Attestation{Source: source, Envelope: env}
	}
	policy := &provenance.Policy{Builders: []provenance.TrustedBuilder{{
		ID: "https://ci.example.com/trainer", Threshold: 2,
		Keys: []provenance.PublicKey{{PEM: ciPEM}, {PEM: rebuilderPEM}, {PEM: thirdPEM}},
	}}}
	opts := provenance.VerifyOptions{Now: exampleTime.Add(time.Hour)}

	q, _, err := provenance.Attestations{attest("ci.json", ci), attest("rebuild.json", rebuilder)}.VerifyQuorum(ctx, policy, opts)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d of %d signers, from %v\n", len(q.Signers), q.Required, q.Sources)

	_, _, err = provenance.Attestations{attest("ci.json", ci), attest("ci-again.json", ci)}.VerifyQuorum(ctx, policy, opts)
	var qe *provenance.QuorumError
	if errors.As(err, &qe) {
		fmt.Printf("refused: %d of %d signers\n", qe.Found, qe.Required)
	}
	// Output:
	// 2 of 2 signers, from [ci.json rebuild.json]
	// refused: 1 of 2 signers
}
