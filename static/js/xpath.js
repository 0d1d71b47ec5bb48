/* The XPath subset of XLSForm relevant/constraint columns; same semantics as surveys/xpath.py,
   checked against the same cases (tests/data/xpath_cases.json). */
(function (root) {
  'use strict';
  var SUPPORTED = 'comparisons (= != < <= > >=), and, or, not(), selected(), count-selected(), ' +
    'true(), false(), ${name}, ., string and number literals, parentheses';
  var FUNCTIONS = { 'not': 1, 'selected': 2, 'count-selected': 1, 'true': 0, 'false': 0 };
  var TOKEN = /\s*(?:(\d+(?:\.\d*)?|\.\d+)|('[^']*'|"[^"]*")|\$\{([A-Za-z_][A-Za-z0-9_.-]*)\}|(<=|>=|!=|=|<|>|\(|\)|,|-)|(\.)|([A-Za-z_][A-Za-z0-9_-]*))/y;

  function UnsupportedExpression(message) { this.name = 'UnsupportedExpression'; this.message = message; }
  UnsupportedExpression.prototype = Object.create(Error.prototype);

  function tokenise(text) {
    var tokens = [], pos = 0, m, kinds = ['number', 'string', 'ref', 'op', 'dot', 'name'];
    while (pos < text.length && text.slice(pos).trim() !== '') {
      TOKEN.lastIndex = pos;
      m = TOKEN.exec(text);
      if (!m) {
        pos += text.slice(pos).length - text.slice(pos).replace(/^\s+/, '').length;
        throw new UnsupportedExpression('unsupported syntax ' + JSON.stringify(text.slice(pos, pos + 12)) +
          ' at position ' + pos + ' in ' + JSON.stringify(text) + '; supported: ' + SUPPORTED);
      }
      for (var i = 1; i <= 6; i++) {
        if (m[i] !== undefined) {
          tokens.push({ kind: kinds[i - 1], value: m[i], pos: m.index + m[0].length - m[0].replace(/^\s+/, '').length });
          break;
        }
      }
      pos = TOKEN.lastIndex;
    }
    tokens.push({ kind: 'end', value: '', pos: text.length });
    return tokens;
  }

  function number(v) {
    if (typeof v === 'boolean') return v ? 1 : 0;
    if (typeof v === 'number') return v;
    if (Array.isArray(v)) v = v.join(' ');
    var s = String(v === null || v === undefined ? '' : v).trim();
    return s === '' || !/^-?(\d+(\.\d*)?|\.\d+)$/.test(s) ? NaN : parseFloat(s);
  }
  function bool(v) {
    if (typeof v === 'boolean') return v;
    if (typeof v === 'number') return v !== 0 && !isNaN(v);
    if (typeof v === 'string' || Array.isArray(v)) return v.length > 0;
    return v !== null && v !== undefined;
  }
  function str(v) {
    if (Array.isArray(v)) return v.join(' ');
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    return v === null || v === undefined ? '' : String(v);
  }
  function items(v) { return Array.isArray(v) ? v.map(String) : str(v).split(/\s+/).filter(Boolean); }
  function equals(a, b) {
    if (typeof a === 'boolean' || typeof b === 'boolean') return bool(a) === bool(b);
    if (typeof a === 'number' || typeof b === 'number') return number(a) === number(b);
    return str(a) === str(b);
  }
  var COMPARE = {
    '=': equals, '!=': function (a, b) { return !equals(a, b); },
    '<': function (a, b) { return number(a) < number(b); },
    '<=': function (a, b) { return number(a) <= number(b); },
    '>': function (a, b) { return number(a) > number(b); },
    '>=': function (a, b) { return number(a) >= number(b); }
  };

  function compile(text) {
    text = text || '';
    var tokens = tokenise(text), i = 0, refs = {};
    function tok() { return tokens[i]; }
    function fail(what) {
      var t = tok();
      return new UnsupportedExpression(what + ': ' + (t.kind === 'end' ? 'end of expression' : JSON.stringify(t.value)) +
        ' at position ' + t.pos + ' in ' + JSON.stringify(text) + '; supported: ' + SUPPORTED);
    }
    function take(kind, value) {
      var t = tok();
      if (t.kind === kind && (value === undefined || t.value === value)) { i++; return t; }
      return null;
    }
    function expect(value) { if (!take('op', value)) throw fail('expected ' + JSON.stringify(value)); }
    function orExpr() {
      var node = andExpr();
      while (take('name', 'or')) node = (function (l, r) { return function (v, c) { return bool(l(v, c)) || bool(r(v, c)); }; })(node, andExpr());
      return node;
    }
    function andExpr() {
      var node = binary(['=', '!='], relational);
      while (take('name', 'and')) node = (function (l, r) { return function (v, c) { return bool(l(v, c)) && bool(r(v, c)); }; })(node, binary(['=', '!='], relational));
      return node;
    }
    function relational() { return binary(['<', '<=', '>', '>='], unary); }
    function binary(ops, operand) {
      var node = operand();
      while (tok().kind === 'op' && ops.indexOf(tok().value) >= 0) {
        var f = COMPARE[take('op').value];
        node = (function (f, l, r) { return function (v, c) { return f(l(v, c), r(v, c)); }; })(f, node, operand());
      }
      return node;
    }
    function unary() {
      if (take('op', '-')) { var operand = unary(); return function (v, c) { return -number(operand(v, c)); }; }
      return primary();
    }
    function primary() {
      var t = tok();
      if (take('number')) { var n = parseFloat(t.value); return function () { return n; }; }
      if (take('string')) { var s = t.value.slice(1, -1); return function () { return s; }; }
      if (take('ref')) {
        refs[t.value] = true;
        return function (v) { var x = v[t.value]; return x === null || x === undefined ? '' : x; };
      }
      if (take('dot')) return function (v, c) { return c === null || c === undefined ? '' : c; };
      if (take('op', '(')) { var node = orExpr(); expect(')'); return node; }
      if (t.kind === 'name' && Object.prototype.hasOwnProperty.call(FUNCTIONS, t.value)) { i++; return call(t); }
      if (t.kind === 'name') throw fail('unsupported function or name');
      throw fail('unexpected');
    }
    function call(t) {
      if (!take('op', '(')) throw fail("expected '(' after " + t.value);
      var args = [];
      if (!take('op', ')')) {
        args.push(orExpr());
        while (take('op', ',')) args.push(orExpr());
        expect(')');
      }
      if (args.length !== FUNCTIONS[t.value]) {
        throw new UnsupportedExpression(t.value + '() takes ' + FUNCTIONS[t.value] + ' argument(s), got ' +
          args.length + ', at position ' + t.pos + ' in ' + JSON.stringify(text));
      }
      switch (t.value) {
        case 'not': return function (v, c) { return !bool(args[0](v, c)); };
        case 'selected': return function (v, c) { return items(args[0](v, c)).indexOf(str(args[1](v, c))) >= 0; };
        case 'count-selected': return function (v, c) { return items(args[0](v, c)).length; };
        default: var constant = t.value === 'true'; return function () { return constant; };
      }
    }
    if (tok().kind === 'end') throw fail('empty expression');
    var root = orExpr();
    if (tok().kind !== 'end') throw fail('unexpected');
    return {
      source: text,
      references: Object.keys(refs),
      evaluate: function (values, current) { return root(values || {}, current); },
      test: function (values, current) { return bool(root(values || {}, current)); }
    };
  }

  root.PhusongXPath = { compile: compile, UnsupportedExpression: UnsupportedExpression };
})(typeof window !== 'undefined' ? window : globalThis);
