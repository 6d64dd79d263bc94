package credrules_test

import (
	"encoding/base64"
	"encoding/hex"
	"math/rand/v2"
	"strings"

	"github.com/mlsec-dev/mlsec/internal/credrules"
)

// The one table of credential cases. The credrules tests, the secrets
// scanner and validation's credential check all run it, and must give the
// same answer for every case.

const (
	upper  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	lower  = "abcdefghijklmnopqrstuvwxyz"
	digits = "0123456789"
	alnum  = upper + lower + digits
	hexLC  = "0123456789abcdef"
	base32 = upper + "234567"
)

// gen builds credential-shaped strings at run time, so the repository
// holds no string that looks like a live credential.
type gen struct{ r *rand.Rand }

func newGen(seed uint64) *gen { return &gen{rand.New(rand.NewPCG(seed, 11))} }

func (g *gen) s(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[g.r.IntN(len(alphabet))]
	}
	return string(b)
}

// A credCase is one text and the rule that must be found first in it
// ("" for none).
type credCase struct {
	name string
	text string
	want string
}

// token is a credential sample of one rule: the secret alone (a Prefix
// rule's token) or a line that holds it (context rules).
type token struct {
	rule string
	text string
	// bare: the text is the token alone, so any byte may precede or
	// follow it (pickle length bytes, opcodes, NULs).
	bare bool
}

// samples returns one credential per built-in rule.
func samples(g *gen) []token {
	jwtBody := base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"` + g.s(alnum, 12) + `","admin":true}`))
	return []token{
		{"aws-access-key-id", "AKIA" + g.s(base32, 16), true},
		{"aws-access-key-id", "ASIA" + g.s(base32, 16), true},
		{"aws-secret-access-key", "aws_secret_access_key = " + g.s(alnum+"/+", 40), false},
		{"gcp-service-account-key", `"private_key_id": "` + g.s(hexLC, 40) + `"`, false},
		{"gcp-api-key", "AIza" + g.s(alnum+"_-", 35), true},
		{"gcp-oauth-client-secret", "GOCSPX-" + g.s(alnum, 28), true},
		{"gcp-oauth-access-token", "ya29." + g.s(alnum+"_-", 60), true},
		{"azure-storage-account-key", "AccountName=ml;AccountKey=" + g.s(alnum+"+/", 86) + "==", false},
		{"azure-ad-client-secret", g.s(alnum, 3) + "8Q~" + g.s(alnum+"_~.", 34), true},
		{"azure-sas-token", "https://a.blob.core.windows.net/c?sv=2022-11-02&ss=b&sp=r&sig=" + g.s(alnum+"%", 44), false},
		{"github-pat", "ghp_" + g.s(alnum, 36), true},
		{"github-fine-grained-pat", "github_pat_" + g.s(alnum+"_", 82), true},
		{"github-oauth-token", "gho_" + g.s(alnum, 36), true},
		{"github-app-token", "ghs_" + g.s(alnum, 36), true},
		{"github-refresh-token", "ghr_" + g.s(alnum, 76), true},
		{"gitlab-pat", "glpat-" + g.s(alnum+"_-", 20), true},
		{"gitlab-token", "glrt-" + g.s(alnum+"_-", 20), true},
		{"huggingface-token", "hf_" + g.s(alnum, 34), true},
		{"huggingface-org-token", "api_org_" + g.s(alnum, 34), true},
		{"openai-api-key", "sk-proj-" + g.s(alnum+"_-", 74) + "T3BlbkFJ" + g.s(alnum+"_-", 74), true},
		{"openai-api-key", "sk-" + g.s(alnum, 20) + "T3BlbkFJ" + g.s(alnum, 20), true},
		{"anthropic-api-key", "sk-ant-api03-" + g.s(alnum+"_-", 93) + "AA", true},
		{"slack-bot-token", "xoxb-" + g.s(digits, 12) + "-" + g.s(digits, 13) + "-" + g.s(alnum, 24), true},
		{"slack-user-token", "xoxp-" + g.s(digits, 12) + "-" + g.s(digits, 12) + "-" + g.s(digits, 13) + "-" + g.s(hexLC, 32), true},
		{"slack-webhook-url", "hooks.slack.com/services/T" + g.s(upper+digits, 10) + "/B" + g.s(upper+digits, 10) + "/" + g.s(alnum, 24), true},
		{"stripe-secret-key", "sk_live_" + g.s(alnum, 24), true},
		{"private-key", "-----BEGIN OPENSSH PRIVATE KEY-----", true},
		{"jwt", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9." + jwtBody + "." + g.s(alnum+"_-", 43), true},
		{"database-url-password", "postgresql://trainer:" + g.s(alnum, 18) + "@db.internal:5432/features", true},
		{"npm-token", "npm_" + g.s(alnum, 36), true},
		{"pypi-token", "pypi-AgEIcHlwaS5vcmc" + g.s(alnum+"_-", 60), true},
		{"sendgrid-api-key", "SG." + g.s(alnum+"_-", 22) + "." + g.s(alnum+"_-", 43), true},
		{"databricks-token", "dapi" + g.s(hexLC, 32), true},
		{"generic-secret-assignment", "WANDB_SECRET: " + g.s(lower, 10) + g.s(digits, 4) + g.s(upper, 10), false},
		{"generic-secret-assignment", "db_password=" + g.s(lower, 6) + g.s(digits, 3), false},
	}
}

// before and after are what may stand next to a bare token in real files:
// text, punctuation, NULs and other binary bytes, and the framing of a
// pickled string (a length byte before; BINPUT 'q', MEMOIZE 0x94 or STOP
// after).
var (
	before = []string{"", " ", "key=", "|", ".", ":", "/", "\x00", "\x01", "\x14", "\x7f", "\xff", "A", "z", "7", "_", "-", "X\x28\x00\x00\x00", "\x8c\x41", "U\x5a", "\xe2\x80\x9c"}
	after  = []string{"", " ", "\n", "\t", "\"", "|", ".", "\x00", "\xff", "q\x01", "\x94"}
)

// credCases is the table: every sample in context, near misses that must
// not match, and placeholders and allowlisted values.
func credCases() []credCase {
	g := newGen(1)
	var cs []credCase
	for _, t := range samples(g) {
		if !t.bare {
			cs = append(cs, credCase{"plain " + t.rule, t.text, t.rule})
			cs = append(cs, credCase{"after NUL " + t.rule, "\x00" + t.text + "\n", t.rule})
			cs = append(cs, credCase{"after pipe " + t.rule, "x|" + t.text, t.rule})
			continue
		}
		for _, b := range before {
			for _, a := range after {
				cs = append(cs, credCase{"bare " + t.rule + " " + strings.ToValidUTF8(b+"…"+a, "?"), b + t.text + a, t.rule})
			}
		}
	}
	aws := "AKIA" + g.s(base32, 16)
	cs = append(cs,
		// Near misses: too short, wrong alphabet, wrong case, low entropy.
		credCase{"aws key too short", "id " + aws[:19] + " end", ""},
		credCase{"aws key continues upper case", "id " + aws + "Q end", ""},
		credCase{"aws key with a lower-case prefix", "id akia" + aws[4:] + " end", ""},
		credCase{"aws key with 0 (not base32)", "id AKIA" + strings.Repeat("0", 16) + " end", ""},
		credCase{"aws key low entropy", "id AKIA" + strings.Repeat("AB", 8) + " end", ""},
		credCase{"github token too short", "ghp_" + g.s(alnum, 30), ""},
		credCase{"stripe key too short", "sk_live_" + g.s(alnum, 10), ""},
		credCase{"hugging face token too short", "hf_" + g.s(alnum, 20), ""},
		credCase{"slack bot token missing part", "xoxb-" + g.s(digits, 12) + "-" + g.s(alnum, 24), ""},
		credCase{"jwt without a payload", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.abc.def", ""},
		credCase{"database url without a password", "postgresql://trainer@db.internal:5432/features", ""},
		credCase{"sha256 digest", "sha256:" + g.s(hexLC, 64), ""},
		credCase{"uuid", "id 1b4e28ba-2fa1-11d2-883f-0016d3cca427", ""},
		credCase{"base64 blob", "weights_b64 = " + base64.StdEncoding.EncodeToString([]byte(g.s(alnum, 48))), ""},
		credCase{"prose about passwords", "the password is long", ""},
		credCase{"prose about tokens", "The secret to good training is clean data; keys and tokens live in a KMS.", ""},
		credCase{"token count", `{"max_tokens": 4096, "pad_token": "<|endoftext|>"}`, ""},
		credCase{"short password", "password=abc123", ""},
		credCase{"password without a digit", "password=correcthorsebattery", ""},
		credCase{"generic value low entropy", "api_token = aaaaaaaaaaaaaaaa1111", ""},
		credCase{"generic value from code", "token = os.environ", ""},
		// Placeholders and allowlisted values.
		credCase{"aws documentation key", "aws_access_key_id = AKIAIOSFODNN7EXAMPLE", ""},
		credCase{"template reference", "api_key: ${OPENAI_API_KEY}", ""},
		credCase{"changeme", "secret_key = changeme-in-production-please", ""},
		credCase{"angle-bracket placeholder", "password = <your-password-here>", ""},
		credCase{"redacted value", "token: [REDACTED]", ""},
		credCase{"allow comment", "token " + "ghp_" + g.s(alnum, 36) + " # mlsec:allow", ""},
		credCase{"gitleaks allow comment", "hf_" + g.s(alnum, 34) + " // gitleaks:allow", ""},
		credCase{"sample token", "ghp_" + "SAMPLE" + g.s(alnum, 30), ""},
		// Placeholders, templates and references under the generic rules
		// (a password assigned to a name, a database URL's password).
		credCase{"url password is the word password", "snowflake://my_user:password@my_account/db", ""},
		credCase{"url password is a respelt stopword", `"postgresql://DB_USER:pas$word@localhost:65432/DB_NAME"`, ""},
		credCase{"url password is a template", `f"oracle://scott:{Masker.MASKED}@tnsname"`, ""},
		credCase{"url password is an env reference", "postgresql://u:${PGPASSWORD}@db:5432/x", ""},
		credCase{"url password is dummy", "snowflake://login:dummy_value@acct.aws/db", ""},
		credCase{"respelt password value", `"password": "pa$sword1",`, ""},
		credCase{"leet password value", `db_password = "P4ssw0rd123!"`, ""},
		credCase{"value names a passphrase", `{"password": "my-super-secure-passphrase-123"}`, ""},
		credCase{"value repeats the key", "API_TOKEN=api_token_2024", ""},
		credCase{"attribute path", "cloud_access_token=config_e2e.access_token,", ""},
		credCase{"arn secret name", "secret1: secret|arn:aws:secretsmanager:${AWS_REGION}:${ACCOUNT_ID}:secret:my_db-1zAyu6", ""},
		credCase{"arn value", "db_password: arn:aws:secretsmanager:us-east-1:123456789012:secret:prod-Ab12Cd", ""},
		credCase{"vault path", "api_token: vault:secret/data/ml#token9", ""},
		credCase{"jinja template", `password: "{{ vault_db_password }}"`, ""},
		credCase{"printf template", `token = "%(api_token)s-2024abc"`, ""},
		credCase{"env var reference", "password=$DB_PASSWORD_2", ""},
		credCase{"masked value", "secret_token: ****************1234", ""},
		credCase{"run of x", "api_key = sk-xxxxxxxxxxxxxxxxxxxx1234", ""},
		credCase{"process env", "apiKey: process.env.ALGOLIA_KEY_2,", ""},
		// Real values the filters must not drop.
		credCase{"real password", "password: " + g.s(alnum, 15) + "7", credrules.GenericRule},
		credCase{"real password with symbols", "SA_PASSWORD: " + g.s(alnum, 6) + "!m2" + g.s(alnum, 5) + "#9", credrules.GenericRule},
		credCase{"real url password", "mssql://sa:" + g.s(alnum, 16) + "@db:1433/x", "database-url-password"},
		credCase{"real token in a dotted form", "ACCESS_TOKEN=" + g.s(hexLC, 32) + ".V1." + g.s(alnum, 40), credrules.GenericRule},
		credCase{"provider token in a test-looking value", "password = test_" + "ghp_" + g.s(alnum, 36), "github-pat"},
		// Encoded credentials are decoded, DefaultDecodeDepth deep.
		credCase{"base64 pem key", "private_key: " + base64.StdEncoding.EncodeToString([]byte("-----BEGIN RSA PRIVATE KEY-----\nMIIC"+g.s(alnum, 60)+"\n")), "private-key"},
		credCase{"base64url token", "cfg=" + base64.RawURLEncoding.EncodeToString([]byte(`{"hf":"hf_`+g.s(alnum, 34)+`"}`)), "huggingface-token"},
		credCase{"hex token", "blob " + hex.EncodeToString([]byte("token ghp_"+g.s(alnum, 36))), "github-pat"},
		credCase{"percent-encoded url", "dsn=postgresql%3A%2F%2Ftrainer%3A" + g.s(alnum, 18) + "%40db.internal%3A5432%2Ff", "database-url-password"},
		credCase{"base64 of base64", "v: " + base64.StdEncoding.EncodeToString([]byte(base64.StdEncoding.EncodeToString([]byte("AKIA"+g.s(base32, 16)+" key")))), "aws-access-key-id"},
		credCase{"three encodings deep is past the bound", "v: " + base64.StdEncoding.EncodeToString([]byte(base64.StdEncoding.EncodeToString([]byte(base64.StdEncoding.EncodeToString([]byte("AKIA"+g.s(base32, 16)+" key")))))), ""},
		credCase{"base64 of a placeholder", "v: " + base64.StdEncoding.EncodeToString([]byte("db_password = ${DB_PASSWORD_FROM_ENV}")), ""},
		credCase{"base64 of binary", "w: " + base64.StdEncoding.EncodeToString([]byte("\x00\x01\x02"+g.s(alnum, 60))), ""},
		credCase{"hex digest", "sha " + g.s(hexLC, 64), ""},
		credCase{"encoded token under an allow comment", hex.EncodeToString([]byte("ghp_"+g.s(alnum, 36))) + " # mlsec:allow", ""},
		// The first credential of several is the leftmost.
		credCase{"two credentials", "stripe sk_live_" + g.s(alnum, 24) + " and aws " + aws, "stripe-secret-key"},
		credCase{"specific rule wins over generic", "api_key = " + "sk_live_" + g.s(alnum, 24), "stripe-secret-key"},
	)
	return cs
}
