package provenance

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// The two renderings of a Lineage: an indented text tree for people and a
// Graphviz digraph for pictures. Lineage itself marshals to JSON.

func (n *Node) label() string {
	name := n.Artifact.Name
	if name == "" {
		name = n.Artifact.URI
	}
	d := n.Artifact.Digest.String()
	if name == "" {
		return d
	}
	return name + " " + d
}

// WriteText renders the lineage as an indented tree.
func (l *Lineage) WriteText(w io.Writer) error {
	var b strings.Builder
	var rec func(n *Node, prefix string, last bool, root bool)
	rec = func(n *Node, prefix string, last, root bool) {
		branch, next := "├── ", "│   "
		if last {
			branch, next = "└── ", "    "
		}
		if root {
			branch, next = "", ""
		}
		fmt.Fprintf(&b, "%s%s%s [%s]", prefix, branch, n.label(), n.Status)
		if n.Note != "" {
			fmt.Fprintf(&b, " (%s)", n.Note)
		}
		b.WriteByte('\n')
		if n.Run == nil {
			return
		}
		p := prefix + next
		fmt.Fprintf(&b, "%s└── produced by %s, builder %s", p, n.Run.BuildType, n.Run.BuilderID)
		if n.Run.InvocationID != "" {
			fmt.Fprintf(&b, ", run %s", n.Run.InvocationID)
		}
		if n.Run.FinishedOn != nil {
			fmt.Fprintf(&b, ", finished %s", n.Run.FinishedOn.UTC().Format(time.RFC3339))
		}
		b.WriteByte('\n')
		for i, in := range n.Run.Inputs {
			rec(in, p+"    ", i == len(n.Run.Inputs)-1, false)
		}
	}
	rec(l.Root, "", true, true)
	fmt.Fprintf(&b, "%d gap(s), %d break(s)\n", len(l.Gaps), len(l.Breaks))
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteDOT renders the lineage as a Graphviz digraph: artifacts are boxes,
// runs ellipses, edges point from an input to its consumer.
func (l *Lineage) WriteDOT(w io.Writer) error {
	var b strings.Builder
	b.WriteString("digraph lineage {\n  rankdir=BT;\n")
	ids := map[string]string{}
	id := func(key string) (string, bool) {
		if v, ok := ids[key]; ok {
			return v, false
		}
		v := fmt.Sprintf("n%d", len(ids))
		ids[key] = v
		return v, true
	}
	colors := map[NodeStatus]string{StatusAttested: "black", StatusSource: "darkgreen", StatusGap: "orange", StatusBreak: "red"}
	var rec func(n *Node) string
	rec = func(n *Node) string {
		aid, fresh := id("a|" + n.label() + "|" + string(n.Status))
		if fresh {
			fmt.Fprintf(&b, "  %s [shape=box,color=%s,label=%q];\n", aid, colors[n.Status], n.label()+"\n["+string(n.Status)+"]")
		}
		if n.Run == nil || !fresh {
			return aid
		}
		rid, _ := id(fmt.Sprintf("r|%p", n.Run))
		fmt.Fprintf(&b, "  %s [shape=ellipse,label=%q];\n", rid, n.Run.BuildType+"\n"+n.Run.BuilderID)
		fmt.Fprintf(&b, "  %s -> %s;\n", rid, aid)
		for _, in := range n.Run.Inputs {
			fmt.Fprintf(&b, "  %s -> %s;\n", rec(in), rid)
		}
		return aid
	}
	rec(l.Root)
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}
