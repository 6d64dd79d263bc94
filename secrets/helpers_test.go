package secrets_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/internal/testenv"
	"github.com/mlsec-dev/mlsec/secrets"
)

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// devKEK returns a fresh insecure local KEK and its URI.
func devKEK(t testing.TB) (secrets.KEK, string) {
	t.Helper()
	uri, err := secrets.GenerateInsecureKeyFile(filepath.Join(t.TempDir(), "kek.json"))
	require.NoError(t, err)
	k, err := secrets.OpenKEK(context.Background(), uri)
	require.NoError(t, err)
	return k, uri
}

// awsEndpoint points the AWS SDK at the local KMS server named by env
// (MLSEC_TEST_MOTO_ENDPOINT or MLSEC_TEST_LOCALKMS_ENDPOINT).
func awsEndpoint(t *testing.T, env, what string) *kms.Client {
	t.Helper()
	ep := testenv.Getenv(t, env, what)
	t.Setenv("AWS_ENDPOINT_URL_KMS", ep)
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1"} {
		if os.Getenv(k) == "" {
			t.Setenv(k, v)
		}
	}
	cfg, err := config.LoadDefaultConfig(context.Background())
	require.NoError(t, err)
	return kms.NewFromConfig(cfg)
}

// createAWSKey creates a KMS key with the given spec and usage and returns
// its awskms:/// URI (by key id).
func createAWSKey(t *testing.T, c *kms.Client, spec types.KeySpec, usage types.KeyUsageType) string {
	t.Helper()
	out, err := c.CreateKey(context.Background(), &kms.CreateKeyInput{KeySpec: spec, KeyUsage: usage})
	require.NoError(t, err)
	return "awskms:///" + aws.ToString(out.KeyMetadata.KeyId)
}
