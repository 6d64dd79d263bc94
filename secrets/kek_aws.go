package secrets

import (
	"context"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/kms"
)

// KMS calls are retried with exponential backoff and jitter (the AWS SDK's
// standard retryer: throttling, 5xx, connection errors), at most this
// many attempts, and each call is bounded by the caller's context.
const (
	awsMaxAttempts = 4
	awsMaxBackoff  = 2 * time.Second
)

var awsARNRegion = regexp.MustCompile(`^arn:aws[a-z-]*:kms:([a-z0-9-]+):`)

type awsKEK struct {
	uri    string
	keyID  string
	client *kms.Client
}

// parseAWSKMSURI splits awskms://[ENDPOINT]/KEY into its endpoint (maybe
// empty) and key reference, as sigstore's provider reads it.
func parseAWSKMSURI(uri string) (endpoint, key string, err error) {
	rest := strings.TrimPrefix(uri, SchemeAWSKMS)
	endpoint, key, ok := strings.Cut(rest, "/")
	if !ok || key == "" {
		return "", "", fmt.Errorf("secrets: KEK %q: want awskms:///KEY-ID, awskms:///alias/NAME or awskms:///ARN", redactURI(uri))
	}
	if strings.ContainsAny(endpoint, "@ ") {
		return "", "", fmt.Errorf("secrets: KEK %q: bad endpoint", redactURI(uri))
	}
	return endpoint, key, nil
}

func openAWSKEK(ctx context.Context, uri string) (KEK, error) {
	endpoint, key, err := parseAWSKMSURI(uri)
	if err != nil {
		return nil, err
	}
	client, err := newAWSKMSClient(ctx, endpoint, key)
	if err != nil {
		return nil, fmt.Errorf("secrets: KEK %s: %w", uri, err)
	}
	return &awsKEK{uri: uri, keyID: key, client: client}, nil
}

func newAWSKMSClient(ctx context.Context, endpoint, key string) (*kms.Client, error) {
	opts := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = awsMaxAttempts
				o.MaxBackoff = awsMaxBackoff
			})
		}),
		config.WithHTTPClient(awshttp.NewBuildableClient().
			WithDialerOptions(func(d *net.Dialer) { d.Timeout = 5 * time.Second }).
			WithTransportOptions(func(t *http.Transport) {
				t.TLSHandshakeTimeout = 5 * time.Second
				t.ResponseHeaderTimeout = 30 * time.Second
			})),
	}
	if m := awsARNRegion.FindStringSubmatch(key); m != nil {
		opts = append(opts, config.WithRegion(m[1]))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, err
	}
	return kms.NewFromConfig(cfg, func(o *kms.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String("https://" + endpoint)
		}
	}), nil
}

func (k *awsKEK) URI() string { return k.uri }

// encryptionContext carries Tink-style associated data in the KMS
// encryption context, which KMS authenticates and key policies can check.
func encryptionContext(ad []byte) map[string]string {
	if len(ad) == 0 {
		return nil
	}
	return map[string]string{"associatedData": hex.EncodeToString(ad)}
}

func (k *awsKEK) EncryptWithContext(ctx context.Context, pt, ad []byte) ([]byte, error) {
	out, err := k.client.Encrypt(ctx, &kms.EncryptInput{
		KeyId: aws.String(k.keyID), Plaintext: pt, EncryptionContext: encryptionContext(ad),
	})
	if err != nil {
		return nil, fmt.Errorf("secrets: KEK %s: AWS KMS Encrypt: %w", k.uri, err)
	}
	return out.CiphertextBlob, nil
}

func (k *awsKEK) DecryptWithContext(ctx context.Context, ct, ad []byte) ([]byte, error) {
	out, err := k.client.Decrypt(ctx, &kms.DecryptInput{
		KeyId: aws.String(k.keyID), CiphertextBlob: ct, EncryptionContext: encryptionContext(ad),
	})
	if err != nil {
		return nil, fmt.Errorf("secrets: KEK %s: AWS KMS Decrypt: %w", k.uri, err)
	}
	return out.Plaintext, nil
}
