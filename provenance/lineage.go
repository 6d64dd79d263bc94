package provenance

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// NodeStatus says how an artifact in a lineage is accounted for.
type NodeStatus string

const (
	// StatusAttested: a statement in the set produced the artifact.
	StatusAttested NodeStatus = "attested"
	// StatusSource: no statement produced it, as expected of a raw input to
	// a dataset build or a source-code commit.
	StatusSource NodeStatus = "source"
	// StatusGap: an input no statement in the set produced.
	StatusGap NodeStatus = "gap"
	// StatusBreak: a statement produced an artifact of the same name or URI
	// but with another digest: the chain is broken (or tampered with).
	StatusBreak NodeStatus = "break"
)

// Lineage is the provenance tree of an artifact.
type Lineage struct {
	Root   *Node   `json:"root"`
	Gaps   []*Node `json:"gaps,omitempty"`
	Breaks []*Node `json:"breaks,omitempty"`
}

// Node is one artifact in a lineage and the run that produced it.
type Node struct {
	Artifact ResourceDescriptor `json:"artifact"`
	Status   NodeStatus         `json:"status"`
	Note     string             `json:"note,omitempty"`
	Run      *Run               `json:"producedBy,omitempty"`
}

// Run is a step that produced an artifact, with its inputs.
type Run struct {
	BuildType    string     `json:"buildType"`
	BuilderID    string     `json:"builderId"`
	InvocationID string     `json:"invocationId,omitempty"`
	FinishedOn   *time.Time `json:"finishedOn,omitempty"`
	Inputs       []*Node    `json:"inputs,omitempty"`
}

// maxLineageDepth bounds tracing through hostile or cyclic sets.
const maxLineageDepth = 256

// Trace follows the lineage of the artifact with digest through
// statements (which the caller has verified): the statement whose subject
// has the digest, the dependencies it resolved, the statements that
// produced those, and so on down to sources. Inputs nobody produced are
// reported as gaps, and inputs whose name matches another digest's
// producer as breaks.
func Trace(statements []*Statement, digest DigestSet) *Lineage {
	t := &tracer{byDigest: map[string][]*Statement{}, byName: map[string][]*Statement{}}
	for _, st := range statements {
		for _, s := range st.Subject {
			for alg, v := range s.Digest {
				k := alg + ":" + strings.ToLower(v)
				t.byDigest[k] = append(t.byDigest[k], st)
			}
			for _, n := range []string{s.Name, s.URI} {
				if n != "" {
					t.byName[n] = append(t.byName[n], st)
				}
			}
		}
	}
	// Most recent producer first, so a re-run wins over its predecessor.
	for _, list := range t.byDigest {
		sort.SliceStable(list, func(i, j int) bool { return finished(list[i]).After(finished(list[j])) })
	}
	l := &Lineage{}
	l.Root = t.node(ResourceDescriptor{Digest: digest}, nil, map[*Statement]bool{}, 0)
	l.Root.Artifact = t.nameOf(l.Root)
	walk(l.Root, func(n *Node) {
		switch n.Status {
		case StatusGap:
			l.Gaps = append(l.Gaps, n)
		case StatusBreak:
			l.Breaks = append(l.Breaks, n)
		}
	})
	return l
}

type tracer struct {
	byDigest map[string][]*Statement
	byName   map[string][]*Statement
}

func finished(st *Statement) time.Time {
	if md := st.Predicate.RunDetails.Metadata; md != nil {
		if md.FinishedOn != nil {
			return *md.FinishedOn
		}
		if md.StartedOn != nil {
			return *md.StartedOn
		}
	}
	return time.Time{}
}

// nameOf fills in the root's name from the subject that matched it.
func (t *tracer) nameOf(n *Node) ResourceDescriptor {
	a := n.Artifact
	if a.Name != "" || n.Run == nil {
		return a
	}
	for _, st := range t.producers(a.Digest) {
		for _, s := range st.Subject {
			if s.Digest.Matches(a.Digest, nil) {
				a.Name, a.URI = s.Name, s.URI
				return a
			}
		}
	}
	return a
}

func (t *tracer) producers(d DigestSet) []*Statement {
	for _, alg := range d.algorithms() {
		if list := t.byDigest[alg+":"+strings.ToLower(d[alg])]; len(list) > 0 {
			return list
		}
	}
	return nil
}

func (t *tracer) node(a ResourceDescriptor, consumer *Statement, onPath map[*Statement]bool, depth int) *Node {
	n := &Node{Artifact: a}
	var producer *Statement
	for _, st := range t.producers(a.Digest) {
		if !onPath[st] {
			producer = st
			break
		}
	}
	if producer == nil {
		if len(t.producers(a.Digest)) > 0 {
			n.Status, n.Note = StatusBreak, "cycle: the artifact is its own ancestor"
			return n
		}
		for _, name := range []string{a.Name, a.URI} {
			if name == "" {
				continue
			}
			if sts := t.byName[name]; len(sts) > 0 {
				n.Status = StatusBreak
				n.Note = fmt.Sprintf("%q was produced by %s with another digest", name, describeRun(sts[0]))
				return n
			}
		}
		switch {
		case len(a.Digest) == 0:
			n.Status, n.Note = StatusGap, "no digest"
		case a.Digest["gitCommit"] != "" || a.Digest["gitTree"] != "":
			n.Status = StatusSource
		case consumer != nil && consumer.Predicate.BuildDefinition.BuildType == BuildTypeDataset:
			n.Status = StatusSource
		default:
			n.Status, n.Note = StatusGap, "no attestation produced it"
		}
		return n
	}
	n.Status = StatusAttested
	pd := producer.Predicate
	r := &Run{BuildType: pd.BuildDefinition.BuildType, BuilderID: pd.RunDetails.Builder.ID}
	if md := pd.RunDetails.Metadata; md != nil {
		r.InvocationID, r.FinishedOn = md.InvocationID, md.FinishedOn
	}
	n.Run = r
	if depth >= maxLineageDepth {
		n.Note = "lineage truncated: too deep"
		return n
	}
	onPath[producer] = true
	for _, d := range pd.BuildDefinition.ResolvedDependencies {
		r.Inputs = append(r.Inputs, t.node(d, producer, onPath, depth+1))
	}
	delete(onPath, producer)
	return n
}

func describeRun(st *Statement) string {
	s := st.Predicate.BuildDefinition.BuildType + " by " + st.Predicate.RunDetails.Builder.ID
	if md := st.Predicate.RunDetails.Metadata; md != nil && md.InvocationID != "" {
		s += " (" + md.InvocationID + ")"
	}
	return s
}

func walk(n *Node, f func(*Node)) {
	f(n)
	if n.Run != nil {
		for _, in := range n.Run.Inputs {
			walk(in, f)
		}
	}
}
