package secrets

import (
	"math"
	"regexp"
	"strings"
)

// A Rule recognises one kind of credential. Keywords are lower-case
// literals, one of which must occur in any match; they let the scanner
// run the regular expression only near a keyword, which keeps scanning
// fast.
type Rule struct {
	ID          string
	Description string
	Keywords    []string
	Regex       *regexp.Regexp
	// SecretGroup is the submatch holding the secret (0: the whole match).
	SecretGroup int
	// MinEntropy is the least Shannon entropy, in bits per character, of
	// the secret; lower values are placeholders or prose.
	MinEntropy float64
	// atToken: every match starts at the start of the token holding the
	// keyword, which lets the scanner match anchored there (fast). False
	// for custom rules, which are matched anywhere in the token.
	atToken bool
}

// Patterns follow the public formats documented by each provider and the
// rule sets of gitleaks and TruffleHog (see the package notes).
var defaultRules = []Rule{
	{ID: "aws-access-key-id", Description: "AWS access key ID",
		Keywords: []string{"akia", "asia", "abia", "acca", "a3t"},
		Regex:    regexp.MustCompile(`\b((?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})\b`), SecretGroup: 1, MinEntropy: 3, atToken: true},
	{ID: "aws-secret-access-key", Description: "AWS secret access key",
		Keywords: []string{"secret_access_key", "secretaccesskey", "aws_secret", "secret-access-key"},
		Regex:    regexp.MustCompile(`(?i)(?:aws)?_?secret_?-?(?:access)?_?-?key["']?\s*[:=]\s*["']?([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+]|$)`), SecretGroup: 1, MinEntropy: 3.5, atToken: true},
	{ID: "gcp-service-account-key", Description: "GCP service-account key (JSON private_key_id)",
		Keywords: []string{"private_key_id"},
		Regex:    regexp.MustCompile(`private_key_id"\s*:\s*"([0-9a-f]{40})"`), SecretGroup: 1, MinEntropy: 3, atToken: true},
	{ID: "gcp-api-key", Description: "Google API key",
		Keywords: []string{"aiza"},
		Regex:    regexp.MustCompile(`\b(AIza[0-9A-Za-z_\-]{35})(?:[^0-9A-Za-z_\-]|$)`), SecretGroup: 1, MinEntropy: 3.5, atToken: true},
	{ID: "gcp-oauth-client-secret", Description: "Google OAuth client secret",
		Keywords: []string{"gocspx-"},
		Regex:    regexp.MustCompile(`\b(GOCSPX-[a-zA-Z0-9_\-]{28})\b`), SecretGroup: 1, MinEntropy: 3, atToken: true},
	{ID: "gcp-oauth-access-token", Description: "Google OAuth access token",
		Keywords: []string{"ya29."},
		Regex:    regexp.MustCompile(`\b(ya29\.[0-9A-Za-z_\-]{30,})`), SecretGroup: 1, MinEntropy: 3.5, atToken: true},
	{ID: "azure-storage-account-key", Description: "Azure storage account key in a connection string",
		Keywords: []string{"accountkey="},
		Regex:    regexp.MustCompile(`(?i)AccountKey=([A-Za-z0-9+/]{86}==)`), SecretGroup: 1, MinEntropy: 4, atToken: true},
	{ID: "azure-ad-client-secret", Description: "Azure AD (Entra ID) client secret",
		Keywords: []string{"q~"},
		Regex:    regexp.MustCompile(`(?:^|[^A-Za-z0-9_~.-])([a-zA-Z0-9_~.]{3}\dQ~[a-zA-Z0-9_~.\-]{31,34})(?:[^A-Za-z0-9_~.-]|$)`), SecretGroup: 1, MinEntropy: 3},
	{ID: "azure-sas-token", Description: "Azure shared access signature",
		Keywords: []string{"sig="},
		Regex:    regexp.MustCompile(`\bsv=\d{4}-\d{2}-\d{2}&[^\s"'<>]*?\bsig=([A-Za-z0-9%+/]{40,}(?:%3D|=){0,2})`), SecretGroup: 1, MinEntropy: 3.5},
	{ID: "github-pat", Description: "GitHub personal access token (classic)",
		Keywords: []string{"ghp_"},
		Regex:    regexp.MustCompile(`\b(ghp_[0-9a-zA-Z]{36})\b`), SecretGroup: 1, MinEntropy: 3, atToken: true},
	{ID: "github-fine-grained-pat", Description: "GitHub fine-grained personal access token",
		Keywords: []string{"github_pat_"},
		Regex:    regexp.MustCompile(`\b(github_pat_[0-9a-zA-Z_]{82})\b`), SecretGroup: 1, MinEntropy: 3, atToken: true},
	{ID: "github-oauth-token", Description: "GitHub OAuth access token",
		Keywords: []string{"gho_"},
		Regex:    regexp.MustCompile(`\b(gho_[0-9a-zA-Z]{36})\b`), SecretGroup: 1, MinEntropy: 3, atToken: true},
	{ID: "github-app-token", Description: "GitHub App user or installation token",
		Keywords: []string{"ghu_", "ghs_"},
		Regex:    regexp.MustCompile(`\b((?:ghu|ghs)_[0-9a-zA-Z]{36})\b`), SecretGroup: 1, MinEntropy: 3, atToken: true},
	{ID: "github-refresh-token", Description: "GitHub refresh token",
		Keywords: []string{"ghr_"},
		Regex:    regexp.MustCompile(`\b(ghr_[0-9a-zA-Z]{36,76})\b`), SecretGroup: 1, MinEntropy: 3, atToken: true},
	{ID: "gitlab-pat", Description: "GitLab personal access token",
		Keywords: []string{"glpat-"},
		Regex:    regexp.MustCompile(`\b(glpat-[0-9a-zA-Z_\-]{20,})\b`), SecretGroup: 1, MinEntropy: 3, atToken: true},
	{ID: "gitlab-token", Description: "GitLab deploy, runner, trigger or CI token",
		Keywords: []string{"gldt-", "glrt-", "glptt-", "gloas-", "glcbt-", "glimt-", "glsoat-"},
		Regex:    regexp.MustCompile(`\b((?:gldt|glrt|glptt|gloas|glcbt|glimt|glsoat)-[0-9a-zA-Z_\-]{20,})\b`), SecretGroup: 1, MinEntropy: 3, atToken: true},
	{ID: "huggingface-token", Description: "Hugging Face access token",
		Keywords: []string{"hf_"},
		Regex:    regexp.MustCompile(`\b(hf_[a-zA-Z0-9]{34})\b`), SecretGroup: 1, MinEntropy: 3, atToken: true},
	{ID: "huggingface-org-token", Description: "Hugging Face organization API token",
		Keywords: []string{"api_org_"},
		Regex:    regexp.MustCompile(`\b(api_org_[a-zA-Z0-9]{34})\b`), SecretGroup: 1, MinEntropy: 3, atToken: true},
	{ID: "openai-api-key", Description: "OpenAI API key",
		Keywords: []string{"sk-proj-", "sk-svcacct-", "sk-admin-", "t3blbkfj"},
		Regex:    regexp.MustCompile(`\b(sk-(?:proj|svcacct|admin)-[A-Za-z0-9_\-]{40,}|sk-[a-zA-Z0-9]{20}T3BlbkFJ[a-zA-Z0-9]{20})(?:[^A-Za-z0-9_\-]|$)`), SecretGroup: 1, MinEntropy: 3.5},
	{ID: "anthropic-api-key", Description: "Anthropic API key",
		Keywords: []string{"sk-ant-"},
		Regex:    regexp.MustCompile(`\b(sk-ant-(?:api03|admin01)-[a-zA-Z0-9_\-]{93}AA)(?:[^A-Za-z0-9_\-]|$)`), SecretGroup: 1, MinEntropy: 3.5, atToken: true},
	{ID: "slack-bot-token", Description: "Slack bot token",
		Keywords: []string{"xoxb-"},
		Regex:    regexp.MustCompile(`\b(xoxb-[0-9]{10,13}-[0-9]{10,13}-[a-zA-Z0-9]{20,})\b`), SecretGroup: 1, MinEntropy: 3, atToken: true},
	{ID: "slack-user-token", Description: "Slack user or configuration token",
		Keywords: []string{"xoxp-", "xoxe-", "xoxa-", "xoxs-"},
		Regex:    regexp.MustCompile(`\b(xox[pesa](?:\.[a-z0-9]+)?-[0-9]{1,13}-[0-9a-zA-Z\-]{20,})\b`), SecretGroup: 1, MinEntropy: 3, atToken: true},
	{ID: "slack-webhook-url", Description: "Slack incoming webhook URL",
		Keywords: []string{"hooks.slack.com"},
		Regex:    regexp.MustCompile(`(hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9]{8,}/[A-Za-z0-9]{8,}/[A-Za-z0-9]{20,})`), SecretGroup: 1, MinEntropy: 3},
	{ID: "stripe-secret-key", Description: "Stripe secret or restricted key",
		Keywords: []string{"sk_live_", "sk_test_", "rk_live_", "rk_test_", "sk_prod_", "rk_prod_"},
		Regex:    regexp.MustCompile(`\b((?:sk|rk)_(?:live|test|prod)_[a-zA-Z0-9]{16,99})\b`), SecretGroup: 1, MinEntropy: 3, atToken: true},
	{ID: "private-key", Description: "Private key (PEM block)",
		Keywords: []string{"private key-----"},
		Regex:    regexp.MustCompile(`(-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----)`), SecretGroup: 1, atToken: true},
	{ID: "jwt", Description: "JSON Web Token",
		Keywords: []string{"eyj"},
		Regex:    regexp.MustCompile(`\b(ey[a-zA-Z0-9]{17,}\.ey[a-zA-Z0-9/_\-]{17,}\.[a-zA-Z0-9/_\-]{10,}={0,2})`), SecretGroup: 1, MinEntropy: 3, atToken: true},
	{ID: "database-url-password", Description: "Database URL with a password",
		Keywords: []string{"postgres://", "postgresql://", "mysql://", "mariadb://", "mongodb://", "mongodb+srv://", "redis://", "rediss://", "amqp://", "amqps://", "mssql://", "sqlserver://", "clickhouse://", "snowflake://", "oracle://"},
		Regex:    regexp.MustCompile(`(?i)\b(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?|mssql|sqlserver|clickhouse|snowflake|oracle)://[^:/\s"'@]*:([^@/\s"']{4,})@[A-Za-z0-9.\-_\[\]:]+`), SecretGroup: 1, MinEntropy: 2.5, atToken: true},
	{ID: "npm-token", Description: "npm access token",
		Keywords: []string{"npm_"},
		Regex:    regexp.MustCompile(`\b(npm_[a-zA-Z0-9]{36})\b`), SecretGroup: 1, MinEntropy: 3, atToken: true},
	{ID: "pypi-token", Description: "PyPI upload token",
		Keywords: []string{"pypi-ageichlwas5vcmc"},
		Regex:    regexp.MustCompile(`\b(pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{50,})`), SecretGroup: 1, MinEntropy: 3, atToken: true},
	{ID: "sendgrid-api-key", Description: "SendGrid API key",
		Keywords: []string{"sg."},
		Regex:    regexp.MustCompile(`\b(SG\.[a-zA-Z0-9_\-]{22}\.[a-zA-Z0-9_\-]{43})\b`), SecretGroup: 1, MinEntropy: 3, atToken: true},
	{ID: "databricks-token", Description: "Databricks personal access token",
		Keywords: []string{"dapi"},
		Regex:    regexp.MustCompile(`\b(dapi[a-f0-9]{32}(?:-\d)?)\b`), SecretGroup: 1, MinEntropy: 3, atToken: true},
	{ID: "generic-secret-assignment", Description: "High-entropy value assigned to a secret-like name",
		Keywords: []string{"key", "secret", "token", "passw", "pwd", "credential", "auth"},
		Regex:    regexp.MustCompile(`(?i)\b[a-z0-9_.\-]*(?:api_?key|apikey|secret|token|passwd|password|pwd|credentials?|auth_?key|access_?key|private_?key)[a-z0-9_.\-]*\\?["']?\s*(?:=|:=|:|=>)\s*\\?["']?([A-Za-z0-9+/_\-.~=!@#$%^&*]+)(?:\\?["']|[\s,;}\]]|$)`), SecretGroup: 1, MinEntropy: 3.5, atToken: true},
}

// DefaultRules returns the built-in credential rules.
func DefaultRules() []Rule { return append([]Rule(nil), defaultRules...) }

// stopwords mark placeholder values that are not real credentials.
var stopwords = []string{"example", "xxxxxxxx", "placeholder", "changeme", "your_", "your-", "dummy", "redacted", "${", "{{", "<", "*****", "fake", "sample", "test1234"}

func isPlaceholder(secret string) bool {
	l := strings.ToLower(secret)
	for _, w := range stopwords {
		if strings.Contains(l, w) {
			return true
		}
	}
	return false
}

// shannonEntropy is H = -Σ p·log2 p over the characters of s.
func shannonEntropy(s string) float64 {
	if s == "" {
		return 0
	}
	var counts [256]int
	for i := 0; i < len(s); i++ {
		counts[s[i]]++
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
