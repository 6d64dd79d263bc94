package gate_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/mlsec-dev/mlsec/gate"
)

// A policy approved by a key the gate trusts is used; the same policy
// changed after approval is refused before it decides anything.
func ExampleVerifyPolicy() {
	ctx := context.Background()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	approver, _ := signature.LoadECDSASignerVerifier(key, crypto.SHA256)

	policy := []byte("package mlsec.gate\n\ndeny contains \"no provenance\" if count(input.provenance.statements) == 0\n")
	approval, err := gate.SignPolicy(ctx, "deploy.rego", policy, approver)
	if err != nil {
		panic(err)
	}
	trust := gate.PolicyTrust{Keys: []signature.Verifier{approver}, Signature: approval}
	fmt.Println("approved:", gate.VerifyPolicy(ctx, "deploy.rego", policy, trust) == nil)

	// The same checks run when the Rego policy is compiled.
	_, err = gate.NewRegoPolicy(ctx, "deploy.rego", append(policy, "# allow everything\n"...),
		gate.RegoOptions{Keys: trust.Keys, Signature: trust.Signature})
	var pe *gate.PolicyError
	fmt.Println("changed:", errors.As(err, &pe), pe.Rule)
	// Output:
	// approved: true
	// changed: true policy.signature
}
