package main

import (
	"context"
	"fmt"
)

// notAvailable is the detail of a step whose package this build lacks.
func notAvailable(pkg string) string {
	return fmt.Sprintf("not available: the %s package is not part of this build; nothing checked", pkg)
}

func (p *pipeline) validate(ctx context.Context, ds *dataset, wantPass bool) error {
	p.r.step("validate "+ds.name, func() (Verdict, string) { return Unavailable, notAvailable("validation") })
	return nil
}

func (p *pipeline) writePolicy(ctx context.Context) error {
	p.r.step("deploy policy", func() (Verdict, string) { return Unavailable, notAvailable("provenance") })
	return nil
}

func (p *pipeline) profileReference(ctx context.Context, ds *dataset) error {
	p.r.step("profile "+ds.name, func() (Verdict, string) { return Unavailable, notAvailable("drift") })
	return nil
}

func (p *pipeline) recordTraining(ctx context.Context, c *candidate) error {
	p.r.step("training provenance", func() (Verdict, string) { return Unavailable, notAvailable("provenance") })
	return nil
}

func (p *pipeline) signModel(ctx context.Context, c *candidate, announce bool) error {
	p.r.step("sign model", func() (Verdict, string) { return Unavailable, notAvailable("signing") })
	return nil
}

func (p *pipeline) deploy(ctx context.Context, c *candidate) error {
	p.r.step("deploy gate", func() (Verdict, string) {
		return Unavailable, "not available: no verifier (signing, provenance, validation, drift, secrets) is part of this build, so nothing is deployed"
	})
	return nil
}

func (p *pipeline) attacks(ctx context.Context) error {
	p.r.section("attacks: each must be stopped by the deploy gate")
	for _, a := range []string{"tampered model", "poisoned training batch", "drifted serving batch", "unapproved dataset", "planted credential"} {
		p.r.step("attack: "+a, func() (Verdict, string) { return Unavailable, "not available: the gate has no verifier yet" })
	}
	return nil
}
