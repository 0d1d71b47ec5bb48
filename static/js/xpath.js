/* The XPath subset of XLSForm relevant/constraint columns, for the browser: the twin of
   surveys/definitions/xpath.py (the server's copy is the authority). Same semantics and error messages; both run
   over tests/data/xpath_cases.json. Plain ES2017, one global: window.PhusongXPath. */
(function (root) {
  'use strict';
  const SUPPORTED = 'comparisons (= != < <= > >=), and, or, not(), selected(), count-selected(), ' +
    'true(), false(), ${name}, ., string and number literals, parentheses';
  const FUNCTIONS = { 'not': 1, 'selected': 2, 'count-selected': 1, 'true': 0, 'false': 0 };
  const KINDS = ['number', 'string', 'ref', 'op', 'dot', 'name'];
  // Whitespace and digits spelt out, as in Python, so that both accept exactly the same text.
  const TOKEN = /[ \t\r\n]*(?:([0-9]+(?:\.[0-9]*)?|\.[0-9]+)|('[^']*'|"[^"]*")|(\$\{[A-Za-z_][A-Za-z0-9_.-]*\})|(<=|>=|!=|=|<|>|\(|\)|,|-)|(\.)|([A-Za-z_][A-Za-z0-9_-]*))/y;
  const DECIMAL = /^-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$/;
  const REFUSED = { '+': 'operator', '*': 'operator', '|': 'operator', '/': 'path', '@': 'path', '[': 'path', ']': 'path' };
  const has = (o, k) => Object.prototype.hasOwnProperty.call(o, k);
  const trim = s => s.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');

  class UnsupportedExpression extends Error {
    constructor(message) { super(message); this.name = 'UnsupportedExpression'; }
  }
  const refuse = (text, what, pos) => new UnsupportedExpression(
    what + ' at position ' + pos + ' in ' + JSON.stringify(text) + '; supported: ' + SUPPORTED);

  function tokenise(text) {
    const tokens = [];
    let pos = 0, m, i;
    while (trim(text.slice(pos))) {
      TOKEN.lastIndex = pos;
      if (!(m = TOKEN.exec(text))) {
        const rest = text.slice(pos).replace(/^[ \t\r\n]+/, ''), c = String.fromCodePoint(rest.codePointAt(0));
        pos = text.length - rest.length;
        if (c === "'" || c === '"') throw refuse(text, 'unterminated string', pos);
        if (c === '$') {
          const end = rest.indexOf('}');
          const shown = rest.slice(0, 2) === '${' && end > 0 ? rest.slice(0, end + 1) : rest.split(/[ \t\r\n]/)[0];
          throw refuse(text, "malformed reference '" + shown + "' (expected ${name})", pos);
        }
        // A pasted non-breaking space or curly quote looks like the real thing: name it.
        const code = c > ' ' && c < '\x7f' ? '' : ' (U+' + c.codePointAt(0).toString(16).toUpperCase().padStart(4, '0') + ')';
        throw refuse(text, 'unsupported ' + (REFUSED[c] || 'character') + " '" + c + "'" + code, pos);
      }
      for (i = 1; m[i] === undefined; i++);
      tokens.push({ kind: KINDS[i - 1], text: m[i], pos: TOKEN.lastIndex - m[i].length });
      pos = TOKEN.lastIndex;
    }
    tokens.push({ kind: 'end', text: '', pos: text.length });
    return tokens;
  }

  const str = v => Array.isArray(v) ? v.map(str).join(' ')
    : typeof v === 'boolean' ? (v ? 'true' : 'false') : v === null || v === undefined ? '' : String(v);
  function number(v) {
    if (typeof v === 'boolean' || typeof v === 'number') return Number(v);
    const s = trim(str(v));  // only plain decimals: "1e3" or "Infinity" in a text answer is no number
    return DECIMAL.test(s) ? parseFloat(s) : NaN;
  }
  function bool(v) {
    if (typeof v === 'boolean') return v;
    if (typeof v === 'number') return v !== 0 && !isNaN(v);
    if (typeof v === 'string' || Array.isArray(v)) return v.length > 0;
    return v !== null && v !== undefined;
  }
  const items = v => Array.isArray(v) ? v.map(str) : str(v).split(/[ \t\r\n]+/).filter(Boolean);
  function equals(a, b) {
    if (typeof a === 'boolean' || typeof b === 'boolean') return bool(a) === bool(b);
    if (typeof a === 'number' || typeof b === 'number') return number(a) === number(b);  // NaN equals nothing
    return str(a) === str(b);
  }
  const COMPARE = {
    '=': equals, '!=': (a, b) => !equals(a, b),
    '<': (a, b) => number(a) < number(b), '<=': (a, b) => number(a) <= number(b),
    '>': (a, b) => number(a) > number(b), '>=': (a, b) => number(a) >= number(b)
  };

  function compile(text) {
    text = text || '';
    const tokens = tokenise(text), refs = {};
    let i = 0;
    const tok = () => tokens[i];
    function fail(what, t) {
      t = t || tok();
      // A string token's text carries its own quotes.
      const shown = t.kind === 'end' ? 'end of expression' : t.kind === 'string' ? t.text : "'" + t.text + "'";
      return refuse(text, what + ' ' + shown, t.pos);
    }
    function take(kind, value) {
      const t = tok();
      if (t.kind !== kind || (value !== undefined && t.text !== value)) return null;
      i++;
      return t;
    }
    function logic(isOr, next) {
      let node = next();
      while (take('name', isOr ? 'or' : 'and')) {
        const l = node, r = next();  // short-circuit, as XPath does
        node = isOr ? (v, c) => bool(l(v, c)) || bool(r(v, c)) : (v, c) => bool(l(v, c)) && bool(r(v, c));
      }
      return node;
    }
    const orExpr = () => logic(true, andExpr);
    const andExpr = () => logic(false, equality);
    function binary(ops, operand) {
      let node = operand();
      while (tok().kind === 'op' && ops.indexOf(tok().text) >= 0) {
        const f = COMPARE[tokens[i++].text], l = node, r = operand();
        node = (v, c) => f(l(v, c), r(v, c));
      }
      return node;
    }
    const equality = () => binary(['=', '!='], relational);
    const relational = () => binary(['<', '<=', '>', '>='], unary);
    function unary() {
      if (!take('op', '-')) return primary();
      const operand = unary();
      return (v, c) => -number(operand(v, c));
    }
    function primary() {
      const t = tok();
      if (take('number')) { const n = parseFloat(t.text); return () => n; }
      if (take('string')) { const s = t.text.slice(1, -1); return () => s; }
      if (take('ref')) {
        const name = t.text.slice(2, -1);
        refs[name] = true;
        return v => { const x = has(v, name) ? v[name] : null; return x === null || x === undefined ? '' : x; };
      }
      if (take('dot')) return (v, c) => c === null || c === undefined ? '' : c;
      if (take('op', '(')) {
        const node = orExpr();
        if (!take('op', ')')) throw fail("expected ')' but found");
        return node;
      }
      if (take('name')) {
        if (has(FUNCTIONS, t.text)) return call(t);
        if (tok().text === '(') throw refuse(text, "unsupported function '" + t.text + "()'", t.pos);
        throw fail('unsupported name', t);
      }
      throw fail('expected a value but found');
    }
    function call(t) {
      const name = t.text, args = [];
      if (!take('op', '(')) throw fail("expected '(' after " + name + ' but found');
      if (!take('op', ')')) {
        args.push(orExpr());
        while (take('op', ',')) args.push(orExpr());
        if (!take('op', ')')) throw fail("expected ',' or ')' but found");
      }
      if (args.length !== FUNCTIONS[name]) {
        throw refuse(text, name + '() takes ' + FUNCTIONS[name] + ' argument(s), got ' + args.length + ',', t.pos);
      }
      const [a, b] = args, constant = name === 'true';
      if (name === 'not') return (v, c) => !bool(a(v, c));
      if (name === 'selected') return (v, c) => items(a(v, c)).indexOf(str(b(v, c))) >= 0;
      if (name === 'count-selected') return (v, c) => items(a(v, c)).length;
      return () => constant;
    }

    if (tok().kind === 'end') throw refuse(text, 'empty expression', 0);
    const root = orExpr();
    if (tok().kind !== 'end') throw fail(['-', 'div', 'mod'].indexOf(tok().text) >= 0 ? 'unsupported operator' : 'unexpected');
    return {
      source: text,
      references: Object.keys(refs),
      evaluate: (values, current) => root(values || {}, current),
      test: (values, current) => bool(root(values || {}, current))
    };
  }

  root.PhusongXPath = { compile: compile, UnsupportedExpression: UnsupportedExpression };
})(typeof window !== 'undefined' ? window : globalThis);
