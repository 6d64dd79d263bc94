package signing

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// signStatement wraps payload in a key-method bundle signed with the
// reference test key, so that statement rules are reached.
func signStatement(t testing.TB, payload []byte) []byte {
	t.Helper()
	sv := referenceSigner(t)
	sig, err := sv.SignMessage(bytes.NewReader(pae(PayloadType, payload)))
	require.NoError(t, err)
	pub, err := sv.PublicKey()
	require.NoError(t, err)
	hint, err := keyHint(pub)
	require.NoError(t, err)
	b, err := json.Marshal(bundle{
		MediaType:            BundleMediaType,
		VerificationMaterial: &verificationMaterial{PublicKey: &publicKeyIdentifier{Hint: hint}},
		DSSEEnvelope: &envelope{
			Payload:     base64.StdEncoding.EncodeToString(payload),
			PayloadType: PayloadType,
			Signatures:  []envelopeSignature{{Sig: base64.StdEncoding.EncodeToString(sig)}},
		},
	})
	require.NoError(t, err)
	return b
}

var ruleByFileWord = map[string]Rule{
	"statement":     RuleStatement,
	"predicatetype": RulePredicateType,
	"subject":       RuleSubject,
	"serialization": RuleSerialization,
	"resources":     RuleResources,
	"rootdigest":    RuleRootDigest,
}

// TestStatements signs each statement in testdata/statements (made by
// gen.py, digests by Python's hashlib) and verifies it against the model
// it describes: good_* verify, fail_<rule>_* fail that rule.
func TestStatements(t *testing.T) {
	ctx := context.Background()
	model := filepath.Join(vectors, "v1.1.0-elliptic-key")
	paths, err := filepath.Glob("testdata/statements/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, paths)
	for _, p := range paths {
		name := strings.TrimSuffix(filepath.Base(p), ".json")
		t.Run(name, func(t *testing.T) {
			payload, err := os.ReadFile(p)
			require.NoError(t, err)
			b := signStatement(t, payload)
			res, err := Verify(ctx, model, b, VerifyOptions{Key: referenceKey(t)})
			if strings.HasPrefix(name, "good_") {
				require.NoError(t, err)
				require.NotEmpty(t, res.Manifest.Resources)
				return
			}
			word := strings.Split(name, "_")[1]
			rule, ok := ruleByFileWord[word]
			require.True(t, ok, "file name %s names no rule", name)
			requireRule(t, err, rule)
		})
	}
}
