package testenv

import (
	"context"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
)

// Local AWS KMS API servers that with-test-services starts; each variable
// holds the server's endpoint URL.
const (
	MotoEndpoint     = "MLSEC_TEST_MOTO_ENDPOINT"
	LocalKMSEndpoint = "MLSEC_TEST_LOCALKMS_ENDPOINT"
)

// AWSKMS points the AWS SDK (for this test and the code it runs) at the
// local KMS server named by the variable env (MotoEndpoint or
// LocalKMSEndpoint), with dummy credentials where none are set, and
// returns a client for it. Without the server the test skips, or fails
// under MLSEC_REQUIRE_INTEGRATION=1.
func AWSKMS(t *testing.T, env string) *kms.Client {
	t.Helper()
	what := "moto_server (AWS KMS API)"
	if env == LocalKMSEndpoint {
		what = "local-kms (AWS KMS API)"
	}
	ep := Getenv(t, env, what)
	t.Setenv("AWS_ENDPOINT_URL_KMS", ep)
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1"} {
		if os.Getenv(k) == "" {
			t.Setenv(k, v)
		}
	}
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatalf("AWS SDK configuration: %v", err)
	}
	return kms.NewFromConfig(cfg)
}

// CreateAWSKey creates a key with the given spec and usage on c's server
// and returns its awskms:/// URI (by key id).
func CreateAWSKey(t *testing.T, c *kms.Client, spec types.KeySpec, usage types.KeyUsageType) string {
	t.Helper()
	out, err := c.CreateKey(context.Background(), &kms.CreateKeyInput{KeySpec: spec, KeyUsage: usage})
	if err != nil {
		t.Fatalf("create %s key: %v", spec, err)
	}
	return "awskms:///" + aws.ToString(out.KeyMetadata.KeyId)
}
