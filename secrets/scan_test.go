package secrets_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/secrets"
)

const (
	upper  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	lower  = "abcdefghijklmnopqrstuvwxyz"
	digits = "0123456789"
	alnum  = upper + lower + digits
)

// gen builds credential-shaped strings at run time, so the repository
// holds no string that looks like a live credential.
type gen struct{ r *rand.Rand }

func newGen(seed uint64) *gen { return &gen{rand.New(rand.NewPCG(seed, 7))} }

func (g *gen) s(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[g.r.IntN(len(alphabet))]
	}
	return string(b)
}

// planted returns one sample per rule: rule ID → line to plant, secret.
func planted(g *gen) map[string][2]string {
	p := map[string][2]string{}
	add := func(rule, line, secret string) { p[rule] = [2]string{line, secret} }
	var s string
	s = "AKIA" + g.s("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
	add("aws-access-key-id", "aws_access_key_id = "+s, s)
	s = g.s(alnum+"/+", 40)
	add("aws-secret-access-key", "aws_secret_access_key = "+s, s)
	s = g.s("0123456789abcdef", 40)
	add("gcp-service-account-key", `  "private_key_id": "`+s+`",`, s)
	s = "AIza" + g.s(alnum+"_-", 35)
	add("gcp-api-key", "GOOGLE_API_KEY_VALUE="+s, s)
	s = "GOCSPX-" + g.s(alnum, 28)
	add("gcp-oauth-client-secret", `"client_secret_value": "`+s+`"`, s)
	s = "ya29." + g.s(alnum+"_-", 60)
	add("gcp-oauth-access-token", "Bearer "+s, s)
	s = g.s(alnum+"+/", 86) + "=="
	add("azure-storage-account-key", "DefaultEndpointsProtocol=https;AccountName=mlsecdata;AccountKey="+s+";EndpointSuffix=core.windows.net", s)
	s = g.s(alnum, 3) + "8Q~" + g.s(alnum+"_~.", 34)
	add("azure-ad-client-secret", "client_credential = "+s, s)
	s = g.s(alnum+"%", 44)
	add("azure-sas-token", "https://acct.blob.core.windows.net/c?sv=2022-11-02&ss=b&srt=o&sp=r&se=2030-01-01T00:00:00Z&sig="+s, s)
	s = "ghp_" + g.s(alnum, 36)
	add("github-pat", "git clone https://"+s+"@github.com/org/repo", s)
	s = "github_pat_" + g.s(alnum+"_", 82)
	add("github-fine-grained-pat", "GH="+s, s)
	s = "gho_" + g.s(alnum, 36)
	add("github-oauth-token", "oauth: "+s, s)
	s = "ghs_" + g.s(alnum, 36)
	add("github-app-token", "installation "+s, s)
	s = "ghr_" + g.s(alnum, 76)
	add("github-refresh-token", "refresh="+s, s)
	s = "glpat-" + g.s(alnum+"_-", 20)
	add("gitlab-pat", "CI_JOB = "+s, s)
	s = "glrt-" + g.s(alnum+"_-", 20)
	add("gitlab-token", "runner "+s, s)
	s = "hf_" + g.s(alnum, 34)
	add("huggingface-token", "huggingface-cli login --token "+s, s)
	s = "api_org_" + g.s(alnum, 34)
	add("huggingface-org-token", "org="+s, s)
	s = "sk-proj-" + g.s(alnum+"_-", 74) + "T3BlbkFJ" + g.s(alnum+"_-", 74)
	add("openai-api-key", "openai.api_key_value = '"+s+"'", s)
	s = "sk-ant-api03-" + g.s(alnum+"_-", 93) + "AA"
	add("anthropic-api-key", "client = Anthropic(api_key_value=\""+s+"\")", s)
	s = "xoxb-" + g.s(digits, 12) + "-" + g.s(digits, 13) + "-" + g.s(alnum, 24)
	add("slack-bot-token", "SLACK="+s, s)
	s = "xoxp-" + g.s(digits, 12) + "-" + g.s(digits, 12) + "-" + g.s(digits, 13) + "-" + g.s("0123456789abcdef", 32)
	add("slack-user-token", "user "+s, s)
	s = "hooks.slack.com/services/T" + g.s(upper+digits, 10) + "/B" + g.s(upper+digits, 10) + "/" + g.s(alnum, 24)
	add("slack-webhook-url", "webhook: https://"+s, s)
	s = "sk_live_" + g.s(alnum, 24)
	add("stripe-secret-key", "stripe.api_key_value = \""+s+"\"", s)
	s = "-----BEGIN RSA PRIVATE KEY-----"
	add("private-key", s, s)
	s = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"`+g.s(alnum, 12)+`","admin":true}`)) + "." + g.s(alnum+"_-", 43)
	add("jwt", "Authorization_header: Bearer "+s, s)
	s = g.s(alnum, 18)
	add("database-url-password", "DATABASE_URL=postgresql://trainer:"+s+"@db.internal:5432/features", s)
	s = "npm_" + g.s(alnum, 36)
	add("npm-token", "//registry.npmjs.org/:_authToken="+s, s)
	s = "pypi-AgEIcHlwaS5vcmc" + g.s(alnum+"_-", 60)
	add("pypi-token", "password = "+s, s)
	s = "SG." + g.s(alnum+"_-", 22) + "." + g.s(alnum+"_-", 43)
	add("sendgrid-api-key", "mail "+s, s)
	s = "dapi" + g.s("0123456789abcdef", 32)
	add("databricks-token", "host token "+s, s)
	s = g.s(lower, 10) + g.s(digits, 4) + g.s(upper, 10)
	add("generic-secret-assignment", "WANDB_SECRET: "+s, s)
	return p
}

// cleanLines is realistic ML-pipeline text that must raise no finding:
// digests, UUIDs, base64 blobs, tokenizer configs, documentation keys.
func cleanLines(g *gen, n int) []string {
	lines := make([]string, 0, n)
	for i := 0; len(lines) < n; i++ {
		switch i % 13 {
		case 0:
			lines = append(lines, fmt.Sprintf("%d,%s,%.4f,label_%d", i, g.s("0123456789abcdef", 64), g.r.Float64(), i%7))
		case 1:
			lines = append(lines, fmt.Sprintf(`{"id": "%s-%s-%s-%s-%s", "text": "the model reached token accuracy %.3f", "max_tokens": 4096}`, g.s("0123456789abcdef", 8), g.s("0123456789abcdef", 4), g.s("0123456789abcdef", 4), g.s("0123456789abcdef", 4), g.s("0123456789abcdef", 12), g.r.Float64()))
		case 2:
			lines = append(lines, `  "tokenizer_class": "LlamaTokenizerFast", "pad_token": "<|endoftext|>", "bos_token_id": 128000,`)
		case 3:
			lines = append(lines, "weights_b64 = "+base64.StdEncoding.EncodeToString([]byte(g.s(alnum, 48))))
		case 4:
			lines = append(lines, "api_key: ${OPENAI_API_KEY}  # resolved at run time from env:OPENAI_API_KEY")
		case 5:
			lines = append(lines, "aws_access_key_id = AKIAIOSFODNN7EXAMPLE  # the AWS documentation key")
		case 6:
			lines = append(lines, "password = <your-password-here>; secret_key = changeme-in-production-please")
		case 7:
			lines = append(lines, fmt.Sprintf("sha256:%s  model-%05d.safetensors", hex.EncodeToString([]byte(g.s(alnum, 32))), i))
		case 8:
			lines = append(lines, "postgresql://localhost:5432/features?sslmode=disable and https://huggingface.co/meta-llama/Llama-3.1-8B")
		case 9:
			lines = append(lines, "The secret to good training is clean data; keys and tokens live in a KMS, not in the notebook.")
		case 10:
			// Placeholders and references under the generic rules.
			lines = append(lines, fmt.Sprintf(`url: "snowflake://my_user:password@my_account/db_%d?role=r"  # pa$sword1 in tests`, i))
		case 11:
			lines = append(lines, fmt.Sprintf(`db_password: "{{ vault_db_password }}"; token=cfg_%d.access_token, secret1: secret|arn:aws:secretsmanager:us-east-1:%012d:secret:my_secret-%s`, i, i, g.s(alnum, 6)))
		case 12:
			// A base64 blob that decodes to text without a secret.
			lines = append(lines, "notes_b64: "+base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("run %d: token budget 4096, password policy enforced, see vault:kv/ml", i))))
		}
	}
	return lines
}

// writeCorpus spreads lines over a realistic tree of files and returns,
// for each line index, its file and line number.
func writeCorpus(t *testing.T, dir string, lines []string) map[int][2]any {
	files := []string{"data/train.csv", "data/records.jsonl", "notebooks/explore.ipynb", "configs/pipeline.yaml", "model/config.json", ".env", "README.md"}
	where := map[int][2]any{}
	contents := make([][]string, len(files))
	for i, l := range lines {
		f := i % len(files)
		contents[f] = append(contents[f], l)
		where[i] = [2]any{filepath.ToSlash(filepath.Join(dir, files[f])), len(contents[f])}
	}
	for i, f := range files {
		p := filepath.Join(dir, f)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(strings.Join(contents[i], "\n")+"\n"), 0o644))
	}
	return where
}

func TestScanFindsEveryPlantedCredential(t *testing.T) {
	g := newGen(1)
	plants := planted(g)
	require.GreaterOrEqual(t, len(plants), 25)
	rules := map[string]bool{}
	for _, r := range secrets.DefaultRules() {
		rules[r.ID] = true
	}
	for id := range rules {
		require.Contains(t, plants, id, "every rule has a planted sample")
	}

	clean := cleanLines(g, 3000)
	lines := append([]string(nil), clean...)
	planted := map[int]string{}
	for id, p := range plants {
		at := g.r.IntN(len(lines))
		lines = append(lines[:at], append([]string{p[0]}, lines[at:]...)...)
		_ = id
	}
	for i, l := range lines {
		for id, p := range plants {
			if l == p[0] {
				planted[i] = id
			}
		}
	}
	dir := t.TempDir()
	where := writeCorpus(t, dir, lines)
	findings, err := secrets.ScanPath(testCtx(t), dir, secrets.ScanOptions{})
	require.NoError(t, err)

	got := map[string]secrets.Finding{}
	for _, f := range findings {
		got[fmt.Sprint(f.Path, ":", f.Line, ":", f.Rule)] = f
	}
	for i, id := range planted {
		w := where[i]
		key := fmt.Sprint(w[0], ":", w[1], ":", id)
		f, ok := got[key]
		require.True(t, ok, "missed %s at %s:%d; findings: %v", id, w[0], w[1], findings)
		require.NotContains(t, f.Match, plants[id][1], "finding shows the secret")
		require.True(t, strings.HasSuffix(f.Match, secrets.Redacted))
		delete(got, key)
	}
	// Every other finding is a second rule firing on a planted line (e.g.
	// generic assignment), never one on a clean line.
	for _, f := range got {
		line := ""
		for i, w := range where {
			if w[0] == f.Path && w[1] == f.Line {
				line = lines[i]
			}
		}
		_, isPlant := planted[indexOf(lines, line)]
		require.True(t, isPlant, "false positive %v on line %q", f, line)
	}
}

func indexOf(lines []string, l string) int {
	for i, x := range lines {
		if x == l {
			return i
		}
	}
	return -1
}

func TestScanCleanCorpus(t *testing.T) {
	g := newGen(2)
	dir := t.TempDir()
	writeCorpus(t, dir, cleanLines(g, 3040))
	findings, err := secrets.ScanPath(testCtx(t), dir, secrets.ScanOptions{})
	require.NoError(t, err)
	require.Empty(t, findings)
}

func TestScanAllowlistAndFS(t *testing.T) {
	g := newGen(3)
	tok := "ghp_" + g.s(alnum, 36)
	hf := "hf_" + g.s(alnum, 34)
	fsys := fstest.MapFS{
		"a/notebook.ipynb":  {Data: []byte(`{"cells": [{"source": ["import os\n", "os.environ[\"HF\"] = \"` + hf + `\"\n"]}]}`)},
		"a/ok.txt":          {Data: []byte("token " + tok + " # mlsec:allow\n")},
		"testdata/fixture":  {Data: []byte(tok + "\n")},
		"b/regex-allowed.c": {Data: []byte("x=" + tok + "\n")},
	}
	opts := secrets.ScanOptions{Allowlist: secrets.Allowlist{
		Paths:   []string{"testdata/*"},
		Regexes: []*regexp.Regexp{regexp.MustCompile(`^` + tok + `$`)},
	}}
	findings, err := secrets.Scan(testCtx(t), fsys, opts)
	require.NoError(t, err)
	require.Len(t, findings, 1)
	require.Equal(t, "a/notebook.ipynb", findings[0].Path)
	require.Equal(t, "huggingface-token", findings[0].Rule)
	require.Equal(t, 1, findings[0].Line)

	findings, err = secrets.Scan(testCtx(t), fsys, secrets.ScanOptions{})
	require.NoError(t, err)
	require.Len(t, findings, 3) // the inline allow comment still holds
}

// A line far longer than the chunk size, and a secret across a chunk
// boundary, are still found at the right place.
func TestScanLongLinesAndChunks(t *testing.T) {
	g := newGen(4)
	tok := "glpat-" + g.s(alnum, 20)
	var b bytes.Buffer
	b.WriteString("header\n")
	b.WriteString(strings.Repeat("a,", 1<<20-3)) // one 2 MiB line
	b.WriteString(tok)
	b.WriteString(strings.Repeat(",b", 100))
	b.WriteString("\n")
	for b.Len() < 3<<20-10 {
		b.WriteString("filler line of text\n")
	}
	b.WriteString("x " + tok + "\n")
	findings, err := secrets.ScanReader(testCtx(t), "big.csv", &b, secrets.ScanOptions{})
	require.NoError(t, err)
	require.Len(t, findings, 2, "%v", findings)
	require.Equal(t, 2, findings[0].Line)
	require.Equal(t, 2*(1<<20-3)+1, findings[0].Column)
	require.Greater(t, findings[1].Line, 1000)
}

func TestScanErrors(t *testing.T) {
	_, err := secrets.ScanPath(testCtx(t), filepath.Join(t.TempDir(), "missing"), secrets.ScanOptions{})
	require.Error(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = secrets.ScanReader(ctx, "x", strings.NewReader("abc"), secrets.ScanOptions{})
	require.ErrorIs(t, err, context.Canceled)
}

func TestFindingJSON(t *testing.T) {
	g := newGen(5)
	tok := "sk_live_" + g.s(alnum, 24)
	findings, err := secrets.ScanReader(testCtx(t), "cfg.yaml", strings.NewReader("stripe: "+tok+"\n"), secrets.ScanOptions{})
	require.NoError(t, err)
	require.Len(t, findings, 1)
	b, err := json.Marshal(findings)
	require.NoError(t, err)
	require.NotContains(t, string(b), tok)
	require.Contains(t, string(b), `"rule":"stripe-secret-key"`)
}
