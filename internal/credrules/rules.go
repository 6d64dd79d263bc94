// Package credrules is the one credential rule set of mlsec: the patterns
// of well-known credentials, the keywords that let a scan run a pattern only
// where it can match, the entropy floors and allowlist that drop
// placeholders, and the redaction of a match. The secrets scanner and
// redactor and the validation credential check all use it, so a string is
// judged the same way everywhere.
//
// Matching does not depend on what precedes a credential. A rule whose
// matches start with one of its keywords (a [Rule.Prefix] rule: AKIA…,
// ghp_…, hf_…) is tried exactly where a keyword starts, so a key right
// after a NUL, a '|', a '.' or the length byte of a pickled string is
// found as surely as one after a space. A fixed-length token has no
// trailing boundary either: a binary container puts arbitrary bytes right
// after a string (a pickle's BINPUT opcode is the letter 'q').
//
// The generic rules (ValueFilter) also drop placeholders, templates and
// references (placeholder.go); [Set.FindDecoded] runs the rules inside
// base64, base64url, hex and percent-encoded runs (decode.go).
package credrules

import (
	"math"
	"regexp"
	"strings"
)

// A Rule recognises one kind of credential.
type Rule struct {
	ID          string
	Description string
	// Keywords are lower-case literals, one of which occurs in every
	// match; the pattern runs only near a keyword, which keeps scans fast.
	Keywords []string
	Regex    *regexp.Regexp
	// SecretGroup is the submatch holding the secret (0: the whole match).
	SecretGroup int
	// MinEntropy is the least Shannon entropy, in bits per character, of
	// the secret; lower values are placeholders or prose.
	MinEntropy float64
	// Prefix says that every match starts with one of Keywords: the
	// pattern is tried anchored where a keyword starts, and nothing before
	// the keyword matters.
	Prefix bool
	// Lead, for a rule that is not a Prefix rule, is the most bytes of a
	// match that can come before its keyword; 0 means anywhere on the
	// keyword's line (at most [MaxWindow] bytes back).
	Lead int
	// ValueFilter applies the filters of generic values to the secret:
	// placeholders, templates, references and stopwords
	// ([IsPlaceholderValue]). Provider-format rules leave it off.
	ValueFilter bool
}

// Patterns follow the public formats documented by each provider and the
// rule sets of gitleaks and TruffleHog, without their leading \b: the
// literal prefix of a token is its boundary.
var defaultRules = []Rule{
	{ID: "aws-access-key-id", Description: "AWS access key ID",
		Keywords: []string{"akia", "asia", "abia", "acca", "a3t"},
		// Key IDs are base32 upper case; a longer run of the same
		// alphabet is not a key ID (a lower-case byte may follow, as
		// pickle's 'q' opcode does).
		Regex: regexp.MustCompile(`((?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})(?:[^A-Z0-9]|$)`), SecretGroup: 1, MinEntropy: 3, Prefix: true},
	{ID: "aws-secret-access-key", Description: "AWS secret access key",
		Keywords: []string{"secret_access_key", "secretaccesskey", "aws_secret", "secret-access-key"},
		Regex:    regexp.MustCompile(`(?i)(?:aws)?_?secret_?-?(?:access)?_?-?key["']?\s*[:=]\s*["']?([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+]|$)`), SecretGroup: 1, MinEntropy: 3.5, Lead: 4},
	{ID: "gcp-service-account-key", Description: "GCP service-account key (JSON private_key_id)",
		Keywords: []string{"private_key_id"},
		Regex:    regexp.MustCompile(`private_key_id"\s*:\s*"([0-9a-f]{40})"`), SecretGroup: 1, MinEntropy: 3, Prefix: true},
	{ID: "gcp-api-key", Description: "Google API key",
		Keywords: []string{"aiza"},
		Regex:    regexp.MustCompile(`(AIza[0-9A-Za-z_\-]{35})`), SecretGroup: 1, MinEntropy: 3.5, Prefix: true},
	{ID: "gcp-oauth-client-secret", Description: "Google OAuth client secret",
		Keywords: []string{"gocspx-"},
		Regex:    regexp.MustCompile(`(GOCSPX-[a-zA-Z0-9_\-]{28})`), SecretGroup: 1, MinEntropy: 3, Prefix: true},
	{ID: "gcp-oauth-access-token", Description: "Google OAuth access token",
		Keywords: []string{"ya29."},
		Regex:    regexp.MustCompile(`(ya29\.[0-9A-Za-z_\-]{30,})`), SecretGroup: 1, MinEntropy: 3.5, Prefix: true},
	{ID: "azure-storage-account-key", Description: "Azure storage account key in a connection string",
		Keywords: []string{"accountkey="},
		Regex:    regexp.MustCompile(`(?i)AccountKey=([A-Za-z0-9+/]{86}==)`), SecretGroup: 1, MinEntropy: 4, Prefix: true},
	{ID: "azure-ad-client-secret", Description: "Azure AD (Entra ID) client secret",
		Keywords: []string{"q~"},
		Regex:    regexp.MustCompile(`([a-zA-Z0-9_~.]{3}\dQ~[a-zA-Z0-9_~.\-]{31,34})`), SecretGroup: 1, MinEntropy: 3, Lead: 4},
	{ID: "azure-sas-token", Description: "Azure shared access signature",
		Keywords: []string{"sig="},
		Regex:    regexp.MustCompile(`sv=\d{4}-\d{2}-\d{2}&[^\s"'<>]*?\bsig=([A-Za-z0-9%+/]{40,}(?:%3D|=){0,2})`), SecretGroup: 1, MinEntropy: 3.5},
	{ID: "github-pat", Description: "GitHub personal access token (classic)",
		Keywords: []string{"ghp_"},
		Regex:    regexp.MustCompile(`(ghp_[0-9a-zA-Z]{36})`), SecretGroup: 1, MinEntropy: 3, Prefix: true},
	{ID: "github-fine-grained-pat", Description: "GitHub fine-grained personal access token",
		Keywords: []string{"github_pat_"},
		Regex:    regexp.MustCompile(`(github_pat_[0-9a-zA-Z_]{82})`), SecretGroup: 1, MinEntropy: 3, Prefix: true},
	{ID: "github-oauth-token", Description: "GitHub OAuth access token",
		Keywords: []string{"gho_"},
		Regex:    regexp.MustCompile(`(gho_[0-9a-zA-Z]{36})`), SecretGroup: 1, MinEntropy: 3, Prefix: true},
	{ID: "github-app-token", Description: "GitHub App user or installation token",
		Keywords: []string{"ghu_", "ghs_"},
		Regex:    regexp.MustCompile(`((?:ghu|ghs)_[0-9a-zA-Z]{36})`), SecretGroup: 1, MinEntropy: 3, Prefix: true},
	{ID: "github-refresh-token", Description: "GitHub refresh token",
		Keywords: []string{"ghr_"},
		Regex:    regexp.MustCompile(`(ghr_[0-9a-zA-Z]{36,76})`), SecretGroup: 1, MinEntropy: 3, Prefix: true},
	{ID: "gitlab-pat", Description: "GitLab personal access token",
		Keywords: []string{"glpat-"},
		Regex:    regexp.MustCompile(`(glpat-[0-9a-zA-Z_\-]{20,})`), SecretGroup: 1, MinEntropy: 3, Prefix: true},
	{ID: "gitlab-token", Description: "GitLab deploy, runner, trigger or CI token",
		Keywords: []string{"gldt-", "glrt-", "glptt-", "gloas-", "glcbt-", "glimt-", "glsoat-"},
		Regex:    regexp.MustCompile(`((?:gldt|glrt|glptt|gloas|glcbt|glimt|glsoat)-[0-9a-zA-Z_\-]{20,})`), SecretGroup: 1, MinEntropy: 3, Prefix: true},
	{ID: "huggingface-token", Description: "Hugging Face access token",
		Keywords: []string{"hf_"},
		Regex:    regexp.MustCompile(`(hf_[a-zA-Z0-9]{34})`), SecretGroup: 1, MinEntropy: 3, Prefix: true},
	{ID: "huggingface-org-token", Description: "Hugging Face organization API token",
		Keywords: []string{"api_org_"},
		Regex:    regexp.MustCompile(`(api_org_[a-zA-Z0-9]{34})`), SecretGroup: 1, MinEntropy: 3, Prefix: true},
	{ID: "openai-api-key", Description: "OpenAI API key",
		Keywords: []string{"sk-proj-", "sk-svcacct-", "sk-admin-", "t3blbkfj"},
		// The legacy form's keyword (T3BlbkFJ) stands 23 bytes in.
		Regex: regexp.MustCompile(`(sk-(?:proj|svcacct|admin)-[A-Za-z0-9_\-]{40,}|sk-[a-zA-Z0-9]{20}T3BlbkFJ[a-zA-Z0-9]{20})`), SecretGroup: 1, MinEntropy: 3.5, Lead: 23},
	{ID: "anthropic-api-key", Description: "Anthropic API key",
		Keywords: []string{"sk-ant-"},
		Regex:    regexp.MustCompile(`(sk-ant-(?:api03|admin01)-[a-zA-Z0-9_\-]{93}AA)`), SecretGroup: 1, MinEntropy: 3.5, Prefix: true},
	{ID: "slack-bot-token", Description: "Slack bot token",
		Keywords: []string{"xoxb-"},
		Regex:    regexp.MustCompile(`(xoxb-[0-9]{10,13}-[0-9]{10,13}-[a-zA-Z0-9]{20,})`), SecretGroup: 1, MinEntropy: 3, Prefix: true},
	{ID: "slack-user-token", Description: "Slack user or configuration token",
		Keywords: []string{"xoxp-", "xoxe-", "xoxa-", "xoxs-"},
		Regex:    regexp.MustCompile(`(xox[pesa](?:\.[a-z0-9]+)?-[0-9]{1,13}-[0-9a-zA-Z\-]{20,})`), SecretGroup: 1, MinEntropy: 3, Prefix: true},
	{ID: "slack-webhook-url", Description: "Slack incoming webhook URL",
		Keywords: []string{"hooks.slack.com"},
		Regex:    regexp.MustCompile(`(hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9]{8,}/[A-Za-z0-9]{8,}/[A-Za-z0-9]{20,})`), SecretGroup: 1, MinEntropy: 3, Prefix: true},
	{ID: "stripe-secret-key", Description: "Stripe secret or restricted key",
		Keywords: []string{"sk_live_", "sk_test_", "rk_live_", "rk_test_", "sk_prod_", "rk_prod_"},
		Regex:    regexp.MustCompile(`((?:sk|rk)_(?:live|test|prod)_[a-zA-Z0-9]{16,99})`), SecretGroup: 1, MinEntropy: 3, Prefix: true},
	{ID: "private-key", Description: "Private key (PEM block)",
		Keywords: []string{"private key-----"},
		Regex:    regexp.MustCompile(`(-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----)`), SecretGroup: 1, Lead: 110},
	{ID: "jwt", Description: "JSON Web Token",
		Keywords: []string{"eyj"},
		Regex:    regexp.MustCompile(`(ey[a-zA-Z0-9]{17,}\.ey[a-zA-Z0-9/_\-]{17,}\.[a-zA-Z0-9/_\-]{10,}={0,2})`), SecretGroup: 1, MinEntropy: 3, Prefix: true},
	{ID: "database-url-password", Description: "Database URL with a password",
		Keywords: []string{"postgres://", "postgresql://", "mysql://", "mariadb://", "mongodb://", "mongodb+srv://", "redis://", "rediss://", "amqp://", "amqps://", "mssql://", "sqlserver://", "clickhouse://", "snowflake://", "oracle://"},
		Regex:    regexp.MustCompile(`(?i)(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?|mssql|sqlserver|clickhouse|snowflake|oracle)://[^:/\s"'@]*:([^@/\s"']{4,})@[A-Za-z0-9.\-_\[\]:]+`), SecretGroup: 1, MinEntropy: 2.5, Prefix: true, ValueFilter: true},
	{ID: "npm-token", Description: "npm access token",
		Keywords: []string{"npm_"},
		Regex:    regexp.MustCompile(`(npm_[a-zA-Z0-9]{36})`), SecretGroup: 1, MinEntropy: 3, Prefix: true},
	{ID: "pypi-token", Description: "PyPI upload token",
		Keywords: []string{"pypi-ageichlwas5vcmc"},
		Regex:    regexp.MustCompile(`(pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{50,})`), SecretGroup: 1, MinEntropy: 3, Prefix: true},
	{ID: "sendgrid-api-key", Description: "SendGrid API key",
		Keywords: []string{"sg."},
		Regex:    regexp.MustCompile(`(SG\.[a-zA-Z0-9_\-]{22}\.[a-zA-Z0-9_\-]{43})`), SecretGroup: 1, MinEntropy: 3, Prefix: true},
	{ID: "databricks-token", Description: "Databricks personal access token",
		Keywords: []string{"dapi"},
		Regex:    regexp.MustCompile(`(dapi[a-f0-9]{32}(?:-\d)?)`), SecretGroup: 1, MinEntropy: 3, Prefix: true},
	// Matched by hand (see matchAssignment); the pattern says the same.
	{ID: GenericRule, Description: "High-entropy value assigned to a secret-like name",
		Keywords: []string{"key", "secret", "token", "passw", "pwd", "credential", "auth"},
		Regex:    regexp.MustCompile(`(?i)[a-z0-9_.\-]*(?:api_?key|apikey|secret|token|passwd|password|pwd|credentials?|auth_?key|access_?key|private_?key)[a-z0-9_.\-]*\\?["']?\s*(?:=|:=|:|=>)\s*\\?["']?([A-Za-z0-9+/_\-.~=!@#$%^&*]+)(?:\\?["']|[\s,;}\]]|$)`), SecretGroup: 1, MinEntropy: 3.5, ValueFilter: true},
}

// GenericRule is the ID of the rule for a high-entropy value assigned to a
// secret-like name (password = …). A rule with this ID is matched by a
// hand-written matcher rather than its Regex, for speed.
const GenericRule = "generic-secret-assignment"

// Default returns a copy of the built-in rules.
func Default() []Rule { return append([]Rule(nil), defaultRules...) }

// placeholders mark values that are not real credentials: documentation
// keys, templates, redacted values.
var placeholders = []string{"example", "xxxxxxxx", "placeholder", "changeme", "your_", "your-", "dummy", "redacted", "${", "{{", "<", "*****", "fake", "sample", "test1234"}

func isPlaceholder(secret string) bool {
	l := strings.ToLower(secret)
	for _, w := range placeholders {
		if strings.Contains(l, w) {
			return true
		}
	}
	return false
}

// Entropy is H = -Σ p·log2 p over the bytes of s, in bits per byte.
func Entropy(s []byte) float64 {
	if len(s) == 0 {
		return 0
	}
	var counts [256]int
	for _, c := range s {
		counts[c]++
	}
	n := float64(len(s))
	var h float64
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / n
			h -= p * math.Log2(p)
		}
	}
	return h
}
