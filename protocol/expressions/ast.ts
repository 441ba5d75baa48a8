// The syntax tree the parser builds: expression nodes and template nodes. Every node keeps the offset of its
// first character in the template so that evaluation errors can point at it.

export interface Args {
  positional: Expr[];
  named: Array<{ name: string; value: Expr }>;
}

export type BinaryOperator =
  | '+'
  | '-'
  | '*'
  | '/'
  | '%'
  | '~'
  | '..'
  | '=='
  | '!='
  | '<'
  | '>'
  | '<='
  | '>='
  | 'contains'
  | 'in';

export type Expr =
  | { kind: 'literal'; value: unknown; offset: number }
  | { kind: 'name'; name: string; offset: number }
  /** `a.b` (property is a literal) or `a[expr]` */
  | { kind: 'member'; object: Expr; property: Expr; offset: number }
  | { kind: 'list'; items: Expr[]; offset: number }
  | { kind: 'map'; entries: Array<{ key: Expr; value: Expr }>; offset: number }
  | { kind: 'unary'; operator: 'not' | '-' | '+'; operand: Expr; offset: number }
  | { kind: 'binary'; operator: BinaryOperator; left: Expr; right: Expr; offset: number }
  | { kind: 'logical'; operator: 'and' | 'or'; left: Expr; right: Expr; offset: number }
  /** `??` (null or undefined) and `???` (undefined only) */
  | { kind: 'coalesce'; undefinedOnly: boolean; left: Expr; right: Expr; offset: number }
  | { kind: 'ternary'; test: Expr; whenTrue: Expr; whenFalse: Expr; offset: number }
  | { kind: 'filter'; name: string; input: Expr; args: Args; offset: number }
  | { kind: 'call'; name: string; args: Args; offset: number }
  | { kind: 'test'; name: string; negated: boolean; subject: Expr; args: Args; offset: number }
  /** a double-quoted string with `#{ }` parts */
  | { kind: 'interpolation'; parts: Expr[]; offset: number };

export type Node =
  | { kind: 'text'; text: string; offset: number }
  | { kind: 'print'; expr: Expr; offset: number }
  | { kind: 'if'; branches: Array<{ test: Expr; body: Node[] }>; otherwise: Node[]; offset: number }
  | {
      kind: 'for';
      /** one name (`for x in`) or two (`for key, value in`) */
      names: string[];
      iterable: Expr;
      body: Node[];
      otherwise: Node[];
      offset: number;
    }
  | { kind: 'set'; name: string; value: Expr; offset: number }
  | {
      kind: 'filterBlock';
      filters: Array<{ name: string; args: Args; offset: number }>;
      body: Node[];
      offset: number;
    };

/** The source text of an access chain such as `outputs.t1['x'][0]`, for "Missing variable" messages. */
export function describe(expr: Expr): string {
  switch (expr.kind) {
    case 'name':
      return expr.name;
    case 'literal':
      return typeof expr.value === 'string' ? `'${expr.value}'` : String(expr.value);
    case 'member': {
      const base = describe(expr.object);
      const p = expr.property;
      if (p.kind === 'literal' && typeof p.value === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(p.value)) {
        return `${base}.${p.value}`;
      }
      return `${base}[${describe(p)}]`;
    }
    case 'call':
      return `${expr.name}(...)`;
    default:
      return '(expression)';
  }
}
