package provenance_test

import (
	"context"
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
