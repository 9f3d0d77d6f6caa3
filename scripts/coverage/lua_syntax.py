"""Where the counters of the Lua coverage build go: a tokenizer and parser of Lua 5.1 (the
Lua of Redis' functions) that finds, in one source file,

  * every statement: the token it starts with;
  * every condition (`if`, `elseif`, `while`, `until`): its keyword and its expression;
  * every short circuit (`and`, `or`): its operator and the operand before it, whose value
    decides whether the right side runs.

It reads the Lua grammar, not our library's layout: any valid Lua 5.1 file works, whatever
its tables and functions (the library is being reshaped; this must not care). It follows
lparser.c's own structure (statement(), subexpr() with the same operator priorities), so a
file it accepts means what Lua reads; a file it cannot parse raises LuaSyntaxError with the
line, rather than being counted wrongly.
"""

import re

KEYWORDS = {'and', 'break', 'do', 'else', 'elseif', 'end', 'false', 'for', 'function', 'if',
            'in', 'local', 'nil', 'not', 'or', 'repeat', 'return', 'then', 'true', 'until',
            'while'}
# binary operators: (left priority, right priority), as lparser.c's priority[] table
BINARY = {'+': (6, 6), '-': (6, 6), '*': (7, 7), '/': (7, 7), '%': (7, 7), '^': (10, 9),
          '..': (5, 4), '==': (3, 3), '~=': (3, 3), '<': (3, 3), '<=': (3, 3), '>': (3, 3),
          '>=': (3, 3), 'and': (2, 2), 'or': (1, 1)}
UNARY = {'not', '-', '#'}
UNARY_PRIORITY = 8
BLOCK_FOLLOW = {'else', 'elseif', 'end', 'until', '<eof>'}

_NAME = re.compile(r'[A-Za-z_][A-Za-z0-9_]*')
_NUMBER = re.compile(r'(?:0[xX][0-9a-fA-F]+|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)'
                     r'[A-Za-z0-9_]*')
_LONG_OPEN = re.compile(r'\[(=*)\[')
_OPS = ('...', '..', '==', '~=', '<=', '>=', '+', '-', '*', '/', '%', '^', '#', '<', '>', '=',
        '(', ')', '{', '}', '[', ']', ';', ':', ',', '.')


class LuaSyntaxError(Exception):
    pass


class Token:
    __slots__ = ('kind', 'text', 'start', 'end', 'line')

    def __init__(self, kind, text, start, end, line):
        self.kind, self.text, self.start, self.end, self.line = kind, text, start, end, line

    def __repr__(self):
        return '%s(%r)@%d' % (self.kind, self.text, self.line)


def tokenize(src):
    """Tokens of src (kind: name, keyword, number, string, op, eof), comments dropped."""
    toks, i, line, n = [], 0, 1, len(src)

    def long_bracket(at, what):
        m = _LONG_OPEN.match(src, at)
        close = ']' + m.group(1) + ']'
        j = src.find(close, m.end())
        if j < 0:
            raise LuaSyntaxError('line %d: unfinished long %s' % (line, what))
        return j + len(close)

    while True:
        while i < n and src[i] in ' \t\r\n\f\v':
            if src[i] == '\n':
                line += 1
            i += 1
        if i >= n:
            toks.append(Token('eof', '<eof>', n, n, line))
            return toks
        c, start = src[i], i
        if src.startswith('--', i):
            if _LONG_OPEN.match(src, i + 2):
                i = long_bracket(i + 2, 'comment')
            else:
                j = src.find('\n', i)
                i = n if j < 0 else j
            line += src.count('\n', start, i)
            continue
        if c == '[' and _LONG_OPEN.match(src, i):
            i = long_bracket(i, 'string')
            kind = 'string'
        elif c in '"\'':
            i += 1
            while True:
                if i >= n or src[i] == '\n':
                    raise LuaSyntaxError('line %d: unfinished string' % line)
                if src[i] == '\\':
                    i += 2        # an escaped newline continues the string: counted below
                elif src[i] == c:
                    i += 1
                    break
                else:
                    i += 1
            kind = 'string'
        elif c.isdigit() or (c == '.' and i + 1 < n and src[i + 1].isdigit()):
            i = _NUMBER.match(src, i).end()
            kind = 'number'
        elif c.isalpha() or c == '_':
            i = _NAME.match(src, i).end()
            kind = 'keyword' if src[start:i] in KEYWORDS else 'name'
        else:
            op = next((o for o in _OPS if src.startswith(o, i)), None)
            if op is None:
                raise LuaSyntaxError('line %d: unexpected character %r' % (line, c))
            i += len(op)
            kind = 'op'
        toks.append(Token(kind, src[start:i], start, i, line))
        line += src.count('\n', start, i)


class Found:
    """What parse() finds; every item refers to tokens by index in .tokens."""

    def __init__(self, tokens):
        self.tokens = tokens
        self.statements = []     # first token of each statement
        self.conditions = []     # (keyword token, first token, last token)
        self.shortcircuits = []  # (operator token, first token, last token of its left operand)


def parse(src):
    p = _Parser(tokenize(src))
    p.block()
    if p.tok().kind != 'eof':
        p.error("'<eof>' expected")
    return p.found


class _Parser:
    def __init__(self, tokens):
        self.t = tokens
        self.i = 0
        self.found = Found(tokens)

    # -- token helpers
    def tok(self):
        return self.t[self.i]

    def at(self, *texts):
        t = self.t[self.i]
        return t.kind in ('keyword', 'op', 'eof') and t.text in texts

    def error(self, msg):
        t = self.tok()
        raise LuaSyntaxError('line %d near %r: %s' % (t.line, t.text, msg))

    def take(self, text):
        if not self.at(text):
            self.error("'%s' expected" % text)
        self.i += 1

    def take_name(self):
        if self.tok().kind != 'name':
            self.error('name expected')
        self.i += 1

    def accept(self, text):
        if self.at(text):
            self.i += 1
            return True
        return False

    # -- statements
    def block(self):
        while not self.at(*BLOCK_FOLLOW):
            last = self.at('return', 'break')
            self.statement()
            self.accept(';')
            if last:
                break

    def block_end(self):
        self.block()
        self.take('end')

    def statement(self):
        self.found.statements.append(self.i)
        t = self.tok()
        k = t.text if t.kind == 'keyword' else None
        if k == 'if':
            self.condition('then')
            self.block()
            while self.at('elseif'):
                self.condition('then')
                self.block()
            if self.accept('else'):
                self.block()
            self.take('end')
        elif k == 'while':
            self.condition('do')
            self.block_end()
        elif k == 'do':
            self.i += 1
            self.block_end()
        elif k == 'for':
            self.i += 1
            self.take_name()
            if self.accept('='):
                self.expr()
                self.take(',')
                self.expr()
                if self.accept(','):
                    self.expr()
            else:
                while self.accept(','):
                    self.take_name()
                self.take('in')
                self.explist()
            self.take('do')
            self.block_end()
        elif k == 'repeat':
            self.i += 1
            self.block()
            if not self.at('until'):
                self.error("'until' expected")
            self.condition(None)
        elif k == 'function':
            self.i += 1
            self.take_name()
            while self.accept('.'):
                self.take_name()
            if self.accept(':'):
                self.take_name()
            self.funcbody()
        elif k == 'local':
            self.i += 1
            if self.accept('function'):
                self.take_name()
                self.funcbody()
            else:
                self.take_name()
                while self.accept(','):
                    self.take_name()
                if self.accept('='):
                    self.explist()
        elif k == 'return':
            self.i += 1
            if not self.at(*BLOCK_FOLLOW) and not self.at(';'):
                self.explist()
        elif k == 'break':
            self.i += 1
        else:
            self.exprstat()

    def condition(self, closer):
        """`if`/`elseif`/`while` exp closer, or `until` exp (closer None)."""
        kw = self.i
        self.i += 1
        first = self.i
        self.expr()
        self.found.conditions.append((kw, first, self.i - 1))
        if closer:
            self.take(closer)

    def exprstat(self):
        call = self.suffixedexp()
        if self.at('=', ','):
            while self.accept(','):
                self.suffixedexp()
            self.take('=')
            self.explist()
        elif not call:
            self.error('syntax error (a statement must be a call or an assignment)')

    def funcbody(self):
        self.take('(')
        if not self.at(')'):
            while True:
                if self.accept('...'):
                    break
                self.take_name()
                if not self.accept(','):
                    break
        self.take(')')
        self.block_end()

    # -- expressions
    def explist(self):
        self.expr()
        while self.accept(','):
            self.expr()

    def expr(self, limit=0):
        """subexpr(): returns the operand that decides a short circuit after this expression
        (its last operand when it is an unparenthesised chain of one logical operator, else
        itself) as (op, first token, last token)."""
        first = self.i
        if self.at(*UNARY):
            self.i += 1
            self.expr(UNARY_PRIORITY)
        else:
            self.simpleexp()
        chain_op, left = None, (first, self.i - 1)
        while True:
            t = self.tok()
            op = t.text if t.kind in ('op', 'keyword') else None
            if op not in BINARY or BINARY[op][0] <= limit:
                return
            opi = self.i
            self.i += 1
            if op in ('and', 'or'):
                if chain_op != op:
                    left = (first, opi - 1)
                self.found.shortcircuits.append((opi, left[0], left[1]))
            right_first = self.i
            self.expr(BINARY[op][1])
            if op in ('and', 'or'):
                chain_op, left = op, (right_first, self.i - 1)
            else:
                chain_op = None

    def simpleexp(self):
        t = self.tok()
        if t.kind in ('number', 'string') or self.at('nil', 'true', 'false', '...'):
            self.i += 1
        elif self.at('{'):
            self.constructor()
        elif self.at('function'):
            self.i += 1
            self.funcbody()
        else:
            self.suffixedexp()

    def primaryexp(self):
        if self.tok().kind == 'name':
            self.i += 1
        elif self.accept('('):
            self.expr()
            self.take(')')
        else:
            self.error('unexpected symbol')

    def suffixedexp(self):
        """A primary expression with its suffixes; True when it ends in a call."""
        self.primaryexp()
        call = False
        while True:
            if self.accept('.'):
                self.take_name()
                call = False
            elif self.accept('['):
                self.expr()
                self.take(']')
                call = False
            elif self.accept(':'):
                self.take_name()
                self.args()
                call = True
            elif self.at('(', '{') or self.tok().kind == 'string':
                self.args()
                call = True
            else:
                return call

    def args(self):
        if self.tok().kind == 'string':
            self.i += 1
        elif self.at('{'):
            self.constructor()
        else:
            self.take('(')
            if not self.at(')'):
                self.explist()
            self.take(')')

    def constructor(self):
        self.take('{')
        while not self.at('}'):
            if self.tok().kind == 'name' and self.t[self.i + 1].text == '=' \
                    and self.t[self.i + 1].kind == 'op':
                self.i += 2
                self.expr()
            elif self.accept('['):
                self.expr()
                self.take(']')
                self.take('=')
                self.expr()
            else:
                self.expr()
            if not self.accept(',') and not self.accept(';'):
                break
        self.take('}')
