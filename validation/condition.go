package validation

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// Conditional checks: GX's row_condition restricts a check to the rows
// where a boolean expression holds. GX hands the text to
// pandas.DataFrame.query (condition_parser "pandas") or to its own small
// grammar ("great_expectations"); mlsec never evaluates code, it parses
// the subset of both that selects rows and refuses everything else when
// the suite is compiled:
//
//	x == 1, y != "abc", 1 < x <= 5     comparisons (chained ones too)
//	a & b, a and b, a | b, a or b       conjunction, disjunction
//	~a, not a, (a)                      negation, grouping
//	x in [1, 2], x not in ["a"]         membership in a list of literals
//	x.isnull(), x.notnull()             (also isna/notna, isNull/notNull)
//	flag                                a boolean column on its own
//	`a column`, col("a column")         quoted column names (pandas / GX)
//
// Literals are numbers, strings ('...' or "..."), True and False. As in
// pandas, & and | bind like "and" and "or"; a null compares unequal to
// everything (only != holds), and values of different kinds (a number and
// a string) are never equal. Ordering values of different kinds is an
// error, at compile time where the column types tell, else when the row
// is met (the check is then errored).

const (
	maxConditionLen   = 4096
	maxConditionDepth = 32
	maxConditionNodes = 256
)

// conditionParsers are the condition_parser values accepted.
var conditionParsers = []any{"pandas", "great_expectations", "great_expectations__experimental__"}

var conditionParams = []param{
	p("row_condition", false, map[string]any{"type": "string", "minLength": 1, "maxLength": maxConditionLen}),
	p("condition_parser", false, map[string]any{"enum": conditionParsers}),
}

// tokens

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tColumn // `quoted` or col("...")
	tNum
	tStr
	tOp // == != < <= > >= & | ~ ( ) [ ] , .
)

type token struct {
	kind tokKind
	text string
	num  float64
	pos  int
}

func lexCondition(src string, gx bool) ([]token, error) {
	var out []token
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '`':
			j := strings.IndexByte(src[i+1:], '`')
			if j < 0 {
				return nil, fmt.Errorf("unclosed ` at offset %d", i)
			}
			out = append(out, token{kind: tColumn, text: src[i+1 : i+1+j], pos: i})
			i += j + 2
		case c == '"' || c == '\'':
			s, n, err := lexString(src[i:])
			if err != nil {
				return nil, fmt.Errorf("%w at offset %d", err, i)
			}
			out = append(out, token{kind: tStr, text: s, pos: i})
			i += n
		case c >= '0' && c <= '9' || c == '.' && i+1 < len(src) && src[i+1] >= '0' && src[i+1] <= '9':
			j := i
			for j < len(src) && (src[j] >= '0' && src[j] <= '9' || src[j] == '.' || src[j] == '_' ||
				src[j] == 'e' || src[j] == 'E' || (src[j] == '-' || src[j] == '+') && (src[j-1] == 'e' || src[j-1] == 'E')) {
				j++
			}
			f, err := strconv.ParseFloat(strings.ReplaceAll(src[i:j], "_", ""), 64)
			if err != nil {
				return nil, fmt.Errorf("bad number %q at offset %d", src[i:j], i)
			}
			out = append(out, token{kind: tNum, num: f, text: src[i:j], pos: i})
			i = j
		case c == '_' || c < utf8.RuneSelf && unicode.IsLetter(rune(c)):
			j := i
			for j < len(src) && (src[j] == '_' || src[j] < utf8.RuneSelf && (unicode.IsLetter(rune(src[j])) || unicode.IsDigit(rune(src[j])))) {
				j++
			}
			word := src[i:j]
			if gx && word == "col" && j < len(src) && src[j] == '(' {
				// col("name") or col('name'): GX's column reference.
				k := j + 1
				for k < len(src) && src[k] == ' ' {
					k++
				}
				if k >= len(src) || src[k] != '"' && src[k] != '\'' {
					return nil, fmt.Errorf("col( at offset %d needs a quoted column name", i)
				}
				s, n, err := lexString(src[k:])
				if err != nil {
					return nil, fmt.Errorf("%w at offset %d", err, k)
				}
				k += n
				for k < len(src) && src[k] == ' ' {
					k++
				}
				if k >= len(src) || src[k] != ')' {
					return nil, fmt.Errorf("col( at offset %d is not closed", i)
				}
				out = append(out, token{kind: tColumn, text: s, pos: i})
				i = k + 1
				continue
			}
			out = append(out, token{kind: tIdent, text: word, pos: i})
			i = j
		default:
			two := ""
			if i+1 < len(src) {
				two = src[i : i+2]
			}
			switch {
			case two == "==" || two == "!=" || two == "<=" || two == ">=":
				out = append(out, token{kind: tOp, text: two, pos: i})
				i += 2
			case strings.IndexByte("<>&|~()[],.", c) >= 0:
				out = append(out, token{kind: tOp, text: string(c), pos: i})
				i++
			case c == '-' && i+1 < len(src) && (src[i+1] >= '0' && src[i+1] <= '9' || src[i+1] == '.') &&
				(len(out) == 0 || out[len(out)-1].kind == tOp && out[len(out)-1].text != ")" && out[len(out)-1].text != "]"):
				// A negative literal: a minus where no value precedes it.
				j := i + 1
				for j < len(src) && (src[j] >= '0' && src[j] <= '9' || src[j] == '.' || src[j] == '_' ||
					src[j] == 'e' || src[j] == 'E' || (src[j] == '-' || src[j] == '+') && (src[j-1] == 'e' || src[j-1] == 'E')) {
					j++
				}
				f, err := strconv.ParseFloat(strings.ReplaceAll(src[i:j], "_", ""), 64)
				if err != nil {
					return nil, fmt.Errorf("bad number %q at offset %d", src[i:j], i)
				}
				out = append(out, token{kind: tNum, num: f, text: src[i:j], pos: i})
				i = j
			default:
				r, _ := utf8.DecodeRuneInString(src[i:])
				return nil, fmt.Errorf("unexpected %q at offset %d (arithmetic, function calls and variables are not supported)", r, i)
			}
		}
	}
	return append(out, token{kind: tEOF, pos: len(src)}), nil
}

// lexString reads a quoted string at the start of s; it returns the
// value and the number of bytes read.
func lexString(s string) (string, int, error) {
	q := s[0]
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case q:
			return b.String(), i + 1, nil
		case '\\':
			if i+1 >= len(s) {
				return "", 0, fmt.Errorf("unclosed string")
			}
			i++
			switch s[i] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			default:
				b.WriteByte(s[i])
			}
		default:
			b.WriteByte(s[i])
		}
	}
	return "", 0, fmt.Errorf("unclosed string")
}

// syntax tree

type condNode struct {
	op       string // "and" "or" "not" "cmp" "in" "null" "truth"
	kids     []*condNode
	cmp      []string   // for "cmp": the operators between operands
	operands []condTerm // for "cmp", "in" (first is the column), "null", "truth"
	negate   bool       // "in": not in; "null": notnull
}

type condTerm struct {
	column string // set for a column reference
	lit    cell   // else a literal
}

type condParser struct {
	toks  []token
	i     int
	depth int
	nodes int
	gx    bool
}

func (p *condParser) peek() token { return p.toks[p.i] }

// next consumes a token; at the end it keeps returning tEOF.
func (p *condParser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *condParser) isWord(t token, words ...string) bool {
	if t.kind != tIdent {
		return false
	}
	for _, w := range words {
		if t.text == w || p.gx && strings.EqualFold(t.text, w) {
			return true
		}
	}
	return false
}

func (p *condParser) node(n *condNode) (*condNode, error) {
	p.nodes++
	if p.nodes > maxConditionNodes {
		return nil, fmt.Errorf("more than %d terms", maxConditionNodes)
	}
	return n, nil
}

func (p *condParser) or() (*condNode, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxConditionDepth {
		return nil, fmt.Errorf("nested deeper than %d", maxConditionDepth)
	}
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for t := p.peek(); t.kind == tOp && t.text == "|" || p.isWord(t, "or"); t = p.peek() {
		p.next()
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		if l, err = p.node(&condNode{op: "or", kids: []*condNode{l, r}}); err != nil {
			return nil, err
		}
	}
	return l, nil
}

func (p *condParser) and() (*condNode, error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	for t := p.peek(); t.kind == tOp && t.text == "&" || p.isWord(t, "and"); t = p.peek() {
		p.next()
		r, err := p.unary()
		if err != nil {
			return nil, err
		}
		if l, err = p.node(&condNode{op: "and", kids: []*condNode{l, r}}); err != nil {
			return nil, err
		}
	}
	return l, nil
}

func (p *condParser) unary() (*condNode, error) {
	t := p.peek()
	if t.kind == tOp && t.text == "~" || p.isWord(t, "not") {
		p.next()
		p.depth++
		defer func() { p.depth-- }()
		if p.depth > maxConditionDepth {
			return nil, fmt.Errorf("nested deeper than %d", maxConditionDepth)
		}
		k, err := p.unary()
		if err != nil {
			return nil, err
		}
		return p.node(&condNode{op: "not", kids: []*condNode{k}})
	}
	if t.kind == tOp && t.text == "(" {
		p.next()
		n, err := p.or()
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tOp || c.text != ")" {
			return nil, fmt.Errorf("expected ) at offset %d", c.pos)
		}
		return n, nil
	}
	return p.comparison()
}

var cmpOps = map[string]bool{"==": true, "!=": true, "<": true, "<=": true, ">": true, ">=": true}

func (p *condParser) comparison() (*condNode, error) {
	first, err := p.term()
	if err != nil {
		return nil, err
	}
	t := p.peek()
	switch {
	case t.kind == tOp && t.text == ".":
		p.next()
		m := p.next()
		if first.column == "" || m.kind != tIdent {
			return nil, fmt.Errorf("unexpected . at offset %d", t.pos)
		}
		var negate bool
		switch strings.ToLower(m.text) {
		case "isnull", "isna":
		case "notnull", "notna":
			negate = true
		default:
			return nil, fmt.Errorf("method %q at offset %d is not supported (isnull, notnull, isna, notna are)", m.text, m.pos)
		}
		if a, b := p.next(), p.next(); a.kind != tOp || a.text != "(" || b.kind != tOp || b.text != ")" {
			return nil, fmt.Errorf("expected () after %s at offset %d", m.text, m.pos)
		}
		return p.node(&condNode{op: "null", operands: []condTerm{first}, negate: negate})
	case p.isWord(t, "in") || p.isWord(t, "not") && p.isWord(p.toks[p.i+1], "in"):
		negate := p.isWord(t, "not")
		if negate {
			p.next()
		}
		p.next()
		if first.column == "" {
			return nil, fmt.Errorf("in at offset %d needs a column on its left", t.pos)
		}
		if o := p.next(); o.kind != tOp || o.text != "[" && o.text != "(" {
			return nil, fmt.Errorf("expected a [list] after in at offset %d", o.pos)
		}
		ops := []condTerm{first}
		for {
			if c := p.peek(); c.kind == tOp && (c.text == "]" || c.text == ")") {
				p.next()
				break
			}
			lit, err := p.term()
			if err != nil {
				return nil, err
			}
			if lit.column != "" {
				return nil, fmt.Errorf("the list after in holds literals only, not column %q", lit.column)
			}
			if len(ops) > maxConditionNodes {
				return nil, fmt.Errorf("more than %d terms", maxConditionNodes)
			}
			ops = append(ops, lit)
			if c := p.peek(); c.kind == tOp && c.text == "," {
				p.next()
			}
		}
		return p.node(&condNode{op: "in", operands: ops, negate: negate})
	case t.kind == tOp && cmpOps[t.text]:
		n := &condNode{op: "cmp", operands: []condTerm{first}}
		for t := p.peek(); t.kind == tOp && cmpOps[t.text]; t = p.peek() {
			p.next()
			r, err := p.term()
			if err != nil {
				return nil, err
			}
			n.cmp = append(n.cmp, t.text)
			n.operands = append(n.operands, r)
		}
		return p.node(n)
	}
	if first.column == "" {
		return nil, fmt.Errorf("a literal on its own at offset %d is not a condition", t.pos)
	}
	return p.node(&condNode{op: "truth", operands: []condTerm{first}})
}

func (p *condParser) term() (condTerm, error) {
	t := p.next()
	switch t.kind {
	case tColumn:
		return condTerm{column: t.text}, nil
	case tNum:
		return condTerm{lit: cell{k: kNum, f: t.num}}, nil
	case tStr:
		return condTerm{lit: cell{k: kStr, s: t.text}}, nil
	case tIdent:
		switch t.text {
		case "True", "true":
			return condTerm{lit: cell{k: kBool, b: true}}, nil
		case "False", "false":
			return condTerm{lit: cell{k: kBool}}, nil
		case "None", "null", "nan", "NaN", "NA", "NaT":
			return condTerm{}, fmt.Errorf("%s at offset %d: compare with nulls through isnull() / notnull()", t.text, t.pos)
		case "and", "or", "not", "in":
			return condTerm{}, fmt.Errorf("unexpected %q at offset %d", t.text, t.pos)
		}
		if p.gx {
			return condTerm{}, fmt.Errorf("unexpected %q at offset %d (columns are written col(\"name\"))", t.text, t.pos)
		}
		return condTerm{column: t.text}, nil
	case tEOF:
		return condTerm{}, fmt.Errorf("the condition ends early")
	}
	return condTerm{}, fmt.Errorf("unexpected %q at offset %d", t.text, t.pos)
}

// parseCondition parses a row_condition in the syntax of parser.
func parseCondition(src, parser string) (*condNode, error) {
	if len(src) > maxConditionLen {
		return nil, fmt.Errorf("longer than %d bytes", maxConditionLen)
	}
	gx := parser != "pandas"
	toks, err := lexCondition(src, gx)
	if err != nil {
		return nil, err
	}
	p := &condParser{toks: toks, gx: gx}
	n, err := p.or()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, fmt.Errorf("unexpected %q at offset %d", t.text, t.pos)
	}
	return n, nil
}

// values

type cellKind uint8

const (
	kNull cellKind = iota
	kNum
	kStr
	kBool
	kMixed // a union column: the kind is per value
)

func (k cellKind) String() string {
	return [...]string{"null", "number", "string", "boolean", "mixed"}[k]
}

// cell is one value met by a condition: a literal or a column's value.
type cell struct {
	k cellKind
	f float64
	s string
	b bool
}

// errCondition is a comparison pandas refuses at run time (ordering a
// string and a number of a mixed column); the check is errored.
type errCondition struct{ msg string }

func (e errCondition) Error() string { return "row_condition: " + e.msg }

// compare applies op to a and b with pandas' semantics: a null is unequal
// to everything, values of different kinds are never equal.
func compare(a, b cell, op string) bool {
	if a.k == kNull || b.k == kNull {
		return op == "!="
	}
	if a.k != b.k {
		switch op {
		case "==":
			return false
		case "!=":
			return true
		}
		panic(errCondition{fmt.Sprintf("cannot order a %s and a %s with %s", a.k, b.k, op)})
	}
	var c int
	switch a.k {
	case kNum:
		if math.IsNaN(a.f) || math.IsNaN(b.f) {
			return op == "!="
		}
		switch {
		case a.f < b.f:
			c = -1
		case a.f > b.f:
			c = 1
		}
	case kStr:
		c = strings.Compare(a.s, b.s)
	case kBool:
		c = int(boolInt(a.b) - boolInt(b.b))
	}
	switch op {
	case "==":
		return c == 0
	case "!=":
		return c != 0
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	}
	return c >= 0
}

// staticKind is the kind of every value of a column of type dt.
func staticKind(dt arrow.DataType) (cellKind, bool) {
	switch {
	case dt.ID() == arrow.NULL:
		return kNull, true
	case dt.ID() == arrow.BOOL:
		return kBool, true
	case isNumeric(dt):
		return kNum, true
	case isString(dt):
		return kStr, true
	case dt.ID() == arrow.DENSE_UNION || dt.ID() == arrow.SPARSE_UNION:
		for _, f := range dt.(arrow.UnionType).Fields() {
			if k, ok := staticKind(f.Type); !ok || k == kMixed {
				return 0, false
			}
		}
		return kMixed, true
	}
	return 0, false
}

// reader returns the values of arr as cells; done releases buffers.
func reader(arr arrow.Array) (func(i int) cell, func()) {
	k, _ := staticKind(arr.DataType())
	switch k {
	case kNull:
		return func(int) cell { return cell{} }, func() {}
	case kBool:
		a := arr.(*array.Boolean)
		return func(i int) cell {
			if a.IsNull(i) {
				return cell{}
			}
			return cell{k: kBool, b: a.Value(i)}
		}, func() {}
	case kNum:
		vals, done := floats(arr)
		return func(i int) cell {
			if arr.IsNull(i) {
				return cell{}
			}
			return cell{k: kNum, f: vals[i]}
		}, done
	case kStr:
		a := arr.(stringer)
		return func(i int) cell {
			if a.IsNull(i) {
				return cell{}
			}
			return cell{k: kStr, s: a.Value(i)}
		}, func() {}
	}
	u := arr.(array.Union)
	kids := make([]func(int) cell, u.NumFields())
	dones := make([]func(), u.NumFields())
	for j := range kids {
		kids[j], dones[j] = reader(u.Field(j))
	}
	codes := u.UnionType().ChildIDs()
	done := func() {
		for _, d := range dones {
			d()
		}
	}
	if d, ok := arr.(*array.DenseUnion); ok {
		return func(i int) cell {
			return kids[codes[d.TypeCode(i)]](int(d.ValueOffset(i)))
		}, done
	}
	return func(i int) cell { return kids[u.ChildID(i)](i) }, done
}

// condFn selects the rows of a record.
type condFn func(rec arrow.Record) []bool

// condition compiles a parsed row_condition against the schema.
func (c *compiler) condition(n *condNode) (condFn, error) {
	switch n.op {
	case "and", "or":
		l, err := c.condition(n.kids[0])
		if err != nil {
			return nil, err
		}
		r, err := c.condition(n.kids[1])
		if err != nil {
			return nil, err
		}
		and := n.op == "and"
		return func(rec arrow.Record) []bool {
			a, b := l(rec), r(rec)
			for i := range a {
				if and {
					a[i] = a[i] && b[i]
				} else {
					a[i] = a[i] || b[i]
				}
			}
			return a
		}, nil
	case "not":
		k, err := c.condition(n.kids[0])
		if err != nil {
			return nil, err
		}
		return func(rec arrow.Record) []bool {
			a := k(rec)
			for i := range a {
				a[i] = !a[i]
			}
			return a
		}, nil
	}
	terms := make([]func(arrow.Record) (func(int) cell, func()), len(n.operands))
	kinds := make([]cellKind, len(n.operands))
	var dt arrow.DataType // of the first column, for date literals
	for j, t := range n.operands {
		if t.column == "" {
			kinds[j] = t.lit.k
			continue
		}
		idx := c.fieldIndices(t.column)
		if len(idx) == 0 {
			return nil, &dataError{fmt.Errorf("row_condition: column %q not found in the data", t.column)}
		}
		f := c.schema.Field(idx[0])
		k, ok := staticKind(f.Type)
		if !ok {
			return nil, fmt.Errorf("row_condition: column %q has type %s, which a condition cannot compare", t.column, f.Type)
		}
		kinds[j] = k
		if dt == nil {
			dt = f.Type
		}
		col := idx[0]
		terms[j] = func(rec arrow.Record) (func(int) cell, func()) { return reader(rec.Column(col)) }
	}
	// Dates and times compare with ISO 8601 text, as pandas converts it.
	if dt != nil && (dt.ID() == arrow.TIMESTAMP || dt.ID() == arrow.DATE32 || dt.ID() == arrow.DATE64) {
		for j, t := range n.operands {
			if t.column == "" && t.lit.k == kStr {
				v, err := parseBound(dt, t.lit.s)
				if err != nil {
					return nil, fmt.Errorf("row_condition: %q is not a date or time: %v", t.lit.s, err)
				}
				n.operands[j].lit, kinds[j] = cell{k: kNum, f: v}, kNum
			}
		}
	}
	for j, t := range n.operands {
		if t.column == "" {
			lit := t.lit
			terms[j] = func(arrow.Record) (func(int) cell, func()) { return func(int) cell { return lit }, func() {} }
		}
	}
	switch n.op {
	case "null", "truth":
		if n.op == "truth" && kinds[0] != kBool {
			return nil, fmt.Errorf("row_condition: column %q is not boolean; compare it with a value", n.operands[0].column)
		}
		term, isNull, truth := terms[0], !n.negate, n.op == "truth"
		return func(rec arrow.Record) []bool {
			read, done := term(rec)
			defer done()
			out := make([]bool, rec.NumRows())
			for i := range out {
				v := read(i)
				if truth {
					out[i] = v.k == kBool && v.b
				} else {
					null := v.k == kNull || v.k == kNum && math.IsNaN(v.f)
					out[i] = null == isNull
				}
			}
			return out
		}, nil
	case "in":
		for j := 1; j < len(kinds); j++ {
			if err := c.conditionKinds(n, kinds[0], kinds[j], "=="); err != nil {
				return nil, err
			}
		}
		col, set, negate := terms[0], n.operands[1:], n.negate
		return func(rec arrow.Record) []bool {
			read, done := col(rec)
			defer done()
			out := make([]bool, rec.NumRows())
			for i := range out {
				v := read(i)
				in := false
				for _, s := range set {
					if compare(v, s.lit, "==") {
						in = true
						break
					}
				}
				out[i] = in != negate
			}
			return out
		}, nil
	}
	for j, op := range n.cmp {
		if err := c.conditionKinds(n, kinds[j], kinds[j+1], op); err != nil {
			return nil, err
		}
	}
	ops := n.cmp
	return func(rec arrow.Record) []bool {
		out := make([]bool, rec.NumRows())
		for i := range out {
			out[i] = true
		}
		reads := make([]func(int) cell, len(terms))
		for j, t := range terms {
			var done func()
			reads[j], done = t(rec)
			defer done()
		}
		for j, op := range ops {
			l, r := reads[j], reads[j+1]
			for i := range out {
				if out[i] {
					out[i] = compare(l(i), r(i), op)
				}
			}
		}
		return out
	}, nil
}

// conditionKinds refuses comparisons pandas refuses for every row
// (ordering a number and a string); an equality between kinds that never
// meet selects no row, which a fail_closed suite refuses.
func (c *compiler) conditionKinds(n *condNode, a, b cellKind, op string) error {
	if a == b || a == kNull || b == kNull || a == kMixed || b == kMixed {
		return nil
	}
	what := fmt.Sprintf("compares a %s with a %s", a, b)
	if op == "==" || op == "!=" {
		if err := c.vacuous("row_condition", "an equality that "+what); err != nil {
			return err
		}
		return nil
	}
	return fmt.Errorf("row_condition: %s with %s", what, op)
}

// withCondition builds a check and, when it has a row_condition, wraps
// it so that it sees only the selected rows. Syntax errors are found
// before the check is built, so a misconfigured condition refuses the
// suite even where the check's column is missing.
func (c *compiler) withCondition(ct *checkType, k kwargs) (evaluator, error) {
	src, has := k["row_condition"].(string)
	if !has || src == "" {
		return ct.build(c, k)
	}
	parser := k.str("condition_parser")
	if parser == "" {
		return nil, fmt.Errorf("condition_parser: needed with row_condition (pandas or great_expectations)")
	}
	tree, err := parseCondition(src, parser)
	if err != nil {
		return nil, fmt.Errorf("row_condition: %w", err)
	}
	ev, buildErr := ct.build(c, k)
	fn, err := c.condition(tree)
	if buildErr != nil {
		var de *dataError
		if err != nil && !errors.As(err, &de) {
			return nil, err
		}
		return nil, buildErr
	}
	if err != nil {
		return nil, err
	}
	return &condEval{inner: ev, cond: fn}, nil
}

// condEval runs a check on the rows its condition selects. The check
// sees them as one record per input record, so checks that follow row
// order (increasing values) see the selected rows in order; sampled row
// indices are mapped back to the dataset's.
type condEval struct {
	inner evaluator
	cond  condFn
}

func (e *condEval) init(cs *CheckState) { e.inner.init(cs) }

func (e *condEval) update(cs *CheckState, rec arrow.Record, offset int64, raw bool) {
	sel := e.cond(rec)
	var rows []int64
	for i, s := range sel {
		if s {
			rows = append(rows, int64(i))
		}
	}
	cs.Selected += int64(len(rows))
	switch len(rows) {
	case 0:
		return
	case int(rec.NumRows()):
		e.inner.update(cs, rec, offset, raw)
		return
	}
	sub := filterRecord(rec, sel)
	defer sub.Release()
	n0 := len(cs.Samples)
	e.inner.update(cs, sub, offset, raw)
	for j := n0; j < len(cs.Samples); j++ {
		cs.Samples[j].Row = offset + rows[cs.Samples[j].Row-offset]
	}
}

func (e *condEval) finish(cs *CheckState, _ int64, r *CheckResult) {
	e.inner.finish(cs, cs.Selected, r)
}

// filterRecord keeps the rows of rec where sel is true.
func filterRecord(rec arrow.Record, sel []bool) arrow.Record {
	var runs [][2]int64
	var n int64
	for i := 0; i < len(sel); {
		if !sel[i] {
			i++
			continue
		}
		j := i
		for j < len(sel) && sel[j] {
			j++
		}
		runs = append(runs, [2]int64{int64(i), int64(j)})
		n += int64(j - i)
		i = j
	}
	cols := make([]arrow.Array, rec.NumCols())
	for c, arr := range rec.Columns() {
		out, err := filterArray(arr, runs)
		if err != nil {
			for _, done := range cols[:c] {
				done.Release()
			}
			panic(fmt.Sprintf("selecting rows of column %q: %v", rec.ColumnName(c), err))
		}
		cols[c] = out
	}
	sub := array.NewRecord(rec.Schema(), cols, n)
	for _, c := range cols {
		c.Release()
	}
	return sub
}

// filterArray keeps the rows of arr in runs ([from, to) ranges).
// Arrow's Concatenate does not take unions: a dense union keeps its
// children and selects type ids and offsets, a sparse one selects all.
func filterArray(arr arrow.Array, runs [][2]int64) (arrow.Array, error) {
	concat := func(a arrow.Array) (arrow.Array, error) {
		parts := make([]arrow.Array, len(runs))
		for k, r := range runs {
			parts[k] = array.NewSlice(a, r[0], r[1])
		}
		defer func() {
			for _, p := range parts {
				p.Release()
			}
		}()
		return array.Concatenate(parts, memory.DefaultAllocator)
	}
	u, ok := arr.(array.Union)
	if !ok {
		return concat(arr)
	}
	ut := u.UnionType()
	names := make([]string, len(ut.Fields()))
	for i, f := range ut.Fields() {
		names[i] = f.Name
	}
	ids := array.NewInt8Builder(memory.DefaultAllocator)
	defer ids.Release()
	for _, r := range runs {
		for i := r[0]; i < r[1]; i++ {
			ids.Append(int8(u.TypeCode(int(i))))
		}
	}
	typeIDs := ids.NewArray()
	defer typeIDs.Release()
	if d, ok := arr.(*array.DenseUnion); ok {
		offs := array.NewInt32Builder(memory.DefaultAllocator)
		defer offs.Release()
		for _, r := range runs {
			for i := r[0]; i < r[1]; i++ {
				offs.Append(d.ValueOffset(int(i)))
			}
		}
		offsets := offs.NewArray()
		defer offsets.Release()
		kids := make([]arrow.Array, u.NumFields())
		for j := range kids {
			kids[j] = u.Field(j)
		}
		return array.NewDenseUnionFromArraysWithFieldCodes(typeIDs, offsets, kids, names, ut.TypeCodes())
	}
	kids := make([]arrow.Array, u.NumFields())
	for j := range kids {
		k, err := filterArray(u.Field(j), runs)
		if err != nil {
			return nil, err
		}
		defer k.Release()
		kids[j] = k
	}
	return array.NewSparseUnionFromArraysWithFieldCodes(typeIDs, kids, names, ut.TypeCodes())
}
