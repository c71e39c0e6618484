//! STIX 2.1 patterning (STIX 2.1 part 9): a lexer and recursive-descent parser from the text of
//! an indicator's `pattern` to a tree of observation and comparison expressions.
//!
//! Grammar, loosest binding first (each level a list joined by its operator):
//!
//! ```text
//! pattern     := obs_fb
//! obs_fb      := obs_or ("FOLLOWEDBY" obs_or)*
//! obs_or      := obs_and ("OR" obs_and)*
//! obs_and     := obs_qual ("AND" obs_qual)*
//! obs_qual    := obs_primary qualifier*
//! obs_primary := "[" cmp_or "]" | "(" obs_fb ")"
//! qualifier   := "WITHIN" number "SECONDS" | "REPEATS" int "TIMES"
//!              | "START" t'...' "STOP" t'...'
//! cmp_or      := cmp_and ("OR" cmp_and)*
//! cmp_and     := cmp_primary ("AND" cmp_primary)*
//! cmp_primary := "(" cmp_or ")" | "EXISTS" path
//!              | path "NOT"? op literal | path "NOT"? "IN" "(" literal ("," literal)* ")"
//! op          := = != < <= > >= LIKE MATCHES ISSUBSET ISSUPERSET
//! path        := type ":" step ("." step | "[" (int | "*") "]")*
//! ```
//!
//! Literals: `'strings'` (escapes `\'` and `\\`), `t'timestamps'`, `h'hex'`, `b'base64'`,
//! integers, floats, `true`/`false`. Keywords are matched without regard to case.
//!
//! Patterns come from untrusted feeds: the text is bounded in length and the nesting of
//! brackets and parentheses in depth, so neither the token list nor the recursion can grow
//! past what [`MAX_PATTERN_LEN`] and [`MAX_DEPTH`] allow.

use crate::feed::time::parse_ts;

/// Longer patterns are refused (real ones are a few hundred bytes).
pub const MAX_PATTERN_LEN: usize = 64 * 1024;
/// How deeply brackets and parentheses may nest.
pub const MAX_DEPTH: usize = 32;

#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// ns since the epoch.
    Timestamp(i64),
    /// Hex digits, as written.
    Hex(String),
    /// Base64, as written.
    Binary(String),
}

/// The right-hand side of a comparison.
#[derive(Clone, Debug, PartialEq)]
pub enum Operand {
    One(Literal),
    /// `IN ( ... )`.
    Set(Vec<Literal>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    Like,
    Matches,
    IsSubset,
    IsSuperset,
}

/// One step of an object path after the object type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Key(String),
    /// `[n]`, or `[*]` (`None`).
    Index(Option<u64>),
}

/// `file:hashes.'SHA-256'`, `email-message:to_refs[*].value`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectPath {
    pub object_type: String,
    pub steps: Vec<Step>,
}

impl ObjectPath {
    /// The keys of the path (indices dropped), for matching against known paths.
    pub fn keys(&self) -> Vec<&str> {
        self.steps
            .iter()
            .filter_map(|s| match s {
                Step::Key(k) => Some(k.as_str()),
                Step::Index(_) => None,
            })
            .collect()
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Comparison {
    Test {
        path: ObjectPath,
        negated: bool,
        op: Op,
        operand: Operand,
    },
    Exists(ObjectPath),
    And(Vec<Comparison>),
    Or(Vec<Comparison>),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Qualifier {
    Within(f64),
    Repeats(u64),
    /// ns since the epoch.
    StartStop(i64, i64),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Observation {
    /// `[ comparison ]`.
    Single(Comparison),
    And(Vec<Observation>),
    Or(Vec<Observation>),
    FollowedBy(Vec<Observation>),
    Qualified(Box<Observation>, Qualifier),
}

/// Parses a STIX pattern.
pub fn parse(pattern: &str) -> Result<Observation, String> {
    if pattern.len() > MAX_PATTERN_LEN {
        return Err(format!(
            "pattern of {} bytes (at most {MAX_PATTERN_LEN})",
            pattern.len()
        ));
    }
    let tokens = lex(pattern)?;
    let mut p = Parser { tokens, pos: 0 };
    let obs = p.obs_followed_by(0)?;
    match p.peek() {
        None => Ok(obs),
        Some(t) => Err(format!("unexpected {} after the pattern", t.describe())),
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    LBracket,
    RBracket,
    LParen,
    RParen,
    Comma,
    Colon,
    Dot,
    Star,
    Cmp(Op),
    Word(String),
    Str(String),
    Timestamp(String),
    Hex(String),
    Binary(String),
    Int(i64),
    Float(f64),
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::LBracket => "'['".into(),
            Tok::RBracket => "']'".into(),
            Tok::LParen => "'('".into(),
            Tok::RParen => "')'".into(),
            Tok::Comma => "','".into(),
            Tok::Colon => "':'".into(),
            Tok::Dot => "'.'".into(),
            Tok::Star => "'*'".into(),
            Tok::Cmp(op) => format!("operator {op:?}"),
            Tok::Word(w) => format!("{:?}", short(w)),
            Tok::Str(_) => "a string".into(),
            Tok::Timestamp(_) => "a timestamp".into(),
            Tok::Hex(_) => "a hex literal".into(),
            Tok::Binary(_) => "a binary literal".into(),
            Tok::Int(_) | Tok::Float(_) => "a number".into(),
        }
    }
}

/// At most 40 characters of `s`, for messages.
fn short(s: &str) -> String {
    let mut t: String = s.chars().take(40).collect();
    if t.len() < s.len() {
        t.push('…');
    }
    t
}

fn lex(s: &str) -> Result<Vec<Tok>, String> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let single = match c {
            b'[' => Some(Tok::LBracket),
            b']' => Some(Tok::RBracket),
            b'(' => Some(Tok::LParen),
            b')' => Some(Tok::RParen),
            b',' => Some(Tok::Comma),
            b':' => Some(Tok::Colon),
            b'.' if !b.get(i + 1).is_some_and(u8::is_ascii_digit) => Some(Tok::Dot),
            b'*' => Some(Tok::Star),
            b'=' => Some(Tok::Cmp(Op::Eq)),
            _ => None,
        };
        if let Some(t) = single {
            out.push(t);
            i += 1;
            continue;
        }
        match c {
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            b'!' | b'<' | b'>' => {
                let eq = b.get(i + 1) == Some(&b'=');
                let op = match (c, eq) {
                    (b'!', true) => Op::Ne,
                    (b'<', true) => Op::Le,
                    (b'>', true) => Op::Ge,
                    (b'<', false) if b.get(i + 1) == Some(&b'>') => {
                        // `<>` is SQL's "not equal"; some producers write it.
                        out.push(Tok::Cmp(Op::Ne));
                        i += 2;
                        continue;
                    }
                    (b'<', false) => Op::Lt,
                    (b'>', false) => Op::Gt,
                    _ => return Err(format!("'!' without '=' at byte {i}")),
                };
                out.push(Tok::Cmp(op));
                i += 1 + usize::from(eq);
            }
            b'\'' => {
                let (text, next) = string_literal(s, i)?;
                out.push(Tok::Str(text));
                i = next;
            }
            b't' | b'h' | b'b' if b.get(i + 1) == Some(&b'\'') => {
                let (text, next) = string_literal(s, i + 1)?;
                out.push(match c {
                    b't' => Tok::Timestamp(text),
                    b'h' => Tok::Hex(text),
                    _ => Tok::Binary(text),
                });
                i = next;
            }
            b'0'..=b'9' | b'-' | b'+' | b'.' => {
                let start = i;
                if c == b'-' || c == b'+' {
                    i += 1;
                }
                let digits_from = i;
                while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
                    i += 1;
                }
                let num = &s[start..i];
                if i == digits_from {
                    return Err(format!("stray {:?} at byte {start}", char::from(c)));
                }
                if num.contains('.') {
                    let f: f64 = num
                        .parse()
                        .map_err(|_| format!("bad number {:?}", short(num)))?;
                    out.push(Tok::Float(f));
                } else {
                    let n: i64 = num
                        .parse()
                        .map_err(|_| format!("bad integer {:?}", short(num)))?;
                    out.push(Tok::Int(n));
                }
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'-')
                {
                    i += 1;
                }
                out.push(Tok::Word(s[start..i].to_string()));
            }
            _ => {
                let ch = s[i..].chars().next().unwrap_or('?');
                return Err(format!("unexpected character {ch:?} at byte {i}"));
            }
        }
    }
    Ok(out)
}

/// The string literal whose opening quote is at `open`: its text (escapes undone) and the
/// index after its closing quote. `\'` and `\\` are the escapes STIX defines; any other
/// backslash is kept as written (regular expressions in `MATCHES` are full of them).
fn string_literal(s: &str, open: usize) -> Result<(String, usize), String> {
    let mut text = String::new();
    let mut chars = s[open + 1..].char_indices();
    while let Some((off, ch)) = chars.next() {
        match ch {
            '\'' => return Ok((text, open + 1 + off + 1)),
            '\\' => match chars.next() {
                Some((_, '\'')) => text.push('\''),
                Some((_, '\\')) => text.push('\\'),
                Some((_, other)) => {
                    text.push('\\');
                    text.push(other);
                }
                None => break,
            },
            c => text.push(c),
        }
    }
    Err(format!("string starting at byte {open} never ends"))
}

struct Parser {
    tokens: Vec<Tok>,
    pos: usize,
}

fn too_deep(depth: usize) -> Result<(), String> {
    if depth > MAX_DEPTH {
        Err(format!("nested more than {MAX_DEPTH} deep"))
    } else {
        Ok(())
    }
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += usize::from(t.is_some());
        t
    }

    /// Whether the next token is the keyword `kw` (consumed if so).
    fn keyword(&mut self, kw: &str) -> bool {
        match self.peek() {
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case(kw) => {
                self.pos += 1;
                true
            }
            _ => false,
        }
    }

    fn expect(&mut self, want: Tok, what: &str) -> Result<(), String> {
        match self.next() {
            Some(t) if t == want => Ok(()),
            Some(t) => Err(format!("expected {what}, found {}", t.describe())),
            None => Err(format!("expected {what}, found the end")),
        }
    }

    fn obs_followed_by(&mut self, depth: usize) -> Result<Observation, String> {
        let mut items = vec![self.obs_or(depth)?];
        while self.keyword("FOLLOWEDBY") {
            items.push(self.obs_or(depth)?);
        }
        Ok(one_or(items, Observation::FollowedBy))
    }

    fn obs_or(&mut self, depth: usize) -> Result<Observation, String> {
        let mut items = vec![self.obs_and(depth)?];
        while self.keyword("OR") {
            items.push(self.obs_and(depth)?);
        }
        Ok(one_or(items, Observation::Or))
    }

    fn obs_and(&mut self, depth: usize) -> Result<Observation, String> {
        let mut items = vec![self.obs_qualified(depth)?];
        while self.keyword("AND") {
            items.push(self.obs_qualified(depth)?);
        }
        Ok(one_or(items, Observation::And))
    }

    fn obs_qualified(&mut self, depth: usize) -> Result<Observation, String> {
        let mut obs = self.obs_primary(depth)?;
        let mut count = 0;
        while let Some(q) = self.qualifier()? {
            // Each qualifier is one more level of nesting (and of recursion when the tree is
            // walked or dropped).
            count += 1;
            too_deep(depth + count)?;
            obs = Observation::Qualified(Box::new(obs), q);
        }
        Ok(obs)
    }

    fn qualifier(&mut self) -> Result<Option<Qualifier>, String> {
        if self.keyword("WITHIN") {
            let secs = match self.next() {
                Some(Tok::Int(n)) if n > 0 => n as f64,
                Some(Tok::Float(f)) if f > 0.0 && f.is_finite() => f,
                _ => return Err("WITHIN needs a positive number of seconds".into()),
            };
            if !self.keyword("SECONDS") {
                return Err("WITHIN n needs SECONDS".into());
            }
            return Ok(Some(Qualifier::Within(secs)));
        }
        if self.keyword("REPEATS") {
            let n = match self.next() {
                Some(Tok::Int(n)) if n > 0 => n as u64,
                _ => return Err("REPEATS needs a positive integer".into()),
            };
            if !self.keyword("TIMES") {
                return Err("REPEATS n needs TIMES".into());
            }
            return Ok(Some(Qualifier::Repeats(n)));
        }
        if self.keyword("START") {
            let start = self.timestamp("START")?;
            if !self.keyword("STOP") {
                return Err("START needs STOP".into());
            }
            let stop = self.timestamp("STOP")?;
            return Ok(Some(Qualifier::StartStop(start, stop)));
        }
        Ok(None)
    }

    fn timestamp(&mut self, after: &str) -> Result<i64, String> {
        match self.next() {
            Some(Tok::Timestamp(t)) => {
                parse_ts(&t).ok_or_else(|| format!("bad timestamp {:?}", short(&t)))
            }
            _ => Err(format!("{after} needs a t'...' timestamp")),
        }
    }

    fn obs_primary(&mut self, depth: usize) -> Result<Observation, String> {
        too_deep(depth)?;
        match self.next() {
            Some(Tok::LBracket) => {
                let c = self.cmp_or(depth + 1)?;
                self.expect(Tok::RBracket, "']'")?;
                Ok(Observation::Single(c))
            }
            Some(Tok::LParen) => {
                let o = self.obs_followed_by(depth + 1)?;
                self.expect(Tok::RParen, "')'")?;
                Ok(o)
            }
            Some(t) => Err(format!(
                "expected '[' or '(' to open an observation, found {}",
                t.describe()
            )),
            None => Err("expected an observation, found the end".into()),
        }
    }

    fn cmp_or(&mut self, depth: usize) -> Result<Comparison, String> {
        let mut items = vec![self.cmp_and(depth)?];
        while self.keyword("OR") {
            items.push(self.cmp_and(depth)?);
        }
        Ok(one_or(items, Comparison::Or))
    }

    fn cmp_and(&mut self, depth: usize) -> Result<Comparison, String> {
        let mut items = vec![self.cmp_primary(depth)?];
        while self.keyword("AND") {
            items.push(self.cmp_primary(depth)?);
        }
        Ok(one_or(items, Comparison::And))
    }

    fn cmp_primary(&mut self, depth: usize) -> Result<Comparison, String> {
        too_deep(depth)?;
        if self.peek() == Some(&Tok::LParen) {
            self.pos += 1;
            let c = self.cmp_or(depth + 1)?;
            self.expect(Tok::RParen, "')'")?;
            return Ok(c);
        }
        if self.keyword("EXISTS") {
            return Ok(Comparison::Exists(self.path()?));
        }
        let path = self.path()?;
        let negated = self.keyword("NOT");
        let op = match self.next() {
            Some(Tok::Cmp(op)) => op,
            Some(Tok::Word(w)) => match w.to_ascii_uppercase().as_str() {
                "IN" => Op::In,
                "LIKE" => Op::Like,
                "MATCHES" => Op::Matches,
                "ISSUBSET" => Op::IsSubset,
                "ISSUPERSET" => Op::IsSuperset,
                _ => return Err(format!("expected an operator, found {:?}", short(&w))),
            },
            Some(t) => return Err(format!("expected an operator, found {}", t.describe())),
            None => return Err("expected an operator, found the end".into()),
        };
        let operand = if op == Op::In {
            self.expect(Tok::LParen, "'(' after IN")?;
            let mut set = vec![self.literal()?];
            while self.peek() == Some(&Tok::Comma) {
                self.pos += 1;
                set.push(self.literal()?);
            }
            self.expect(Tok::RParen, "')' closing the IN list")?;
            Operand::Set(set)
        } else {
            Operand::One(self.literal()?)
        };
        Ok(Comparison::Test {
            path,
            negated,
            op,
            operand,
        })
    }

    fn literal(&mut self) -> Result<Literal, String> {
        Ok(match self.next() {
            Some(Tok::Str(s)) => Literal::Str(s),
            Some(Tok::Int(n)) => Literal::Int(n),
            Some(Tok::Float(f)) => Literal::Float(f),
            Some(Tok::Timestamp(t)) => Literal::Timestamp(
                parse_ts(&t).ok_or_else(|| format!("bad timestamp {:?}", short(&t)))?,
            ),
            Some(Tok::Hex(h)) => {
                if h.len() % 2 != 0 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(format!("bad hex literal {:?}", short(&h)));
                }
                Literal::Hex(h)
            }
            Some(Tok::Binary(b)) => {
                let ok = b
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c == b'+' || c == b'/' || c == b'=');
                if !ok {
                    return Err(format!("bad binary literal {:?}", short(&b)));
                }
                Literal::Binary(b)
            }
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("true") => Literal::Bool(true),
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("false") => Literal::Bool(false),
            Some(t) => return Err(format!("expected a literal, found {}", t.describe())),
            None => return Err("expected a literal, found the end".into()),
        })
    }

    fn path(&mut self) -> Result<ObjectPath, String> {
        let object_type = match self.next() {
            Some(Tok::Word(w)) => w,
            Some(t) => return Err(format!("expected an object path, found {}", t.describe())),
            None => return Err("expected an object path, found the end".into()),
        };
        self.expect(Tok::Colon, "':' after the object type")?;
        let mut steps = vec![Step::Key(self.key()?)];
        loop {
            match self.peek() {
                Some(Tok::Dot) => {
                    self.pos += 1;
                    steps.push(Step::Key(self.key()?));
                }
                Some(Tok::LBracket) => {
                    self.pos += 1;
                    let index = match self.next() {
                        Some(Tok::Star) => None,
                        Some(Tok::Int(n)) if n >= 0 => Some(n as u64),
                        _ => return Err("a list index is a number or '*'".into()),
                    };
                    self.expect(Tok::RBracket, "']' after a list index")?;
                    steps.push(Step::Index(index));
                }
                _ => break,
            }
        }
        Ok(ObjectPath { object_type, steps })
    }

    /// A property name: a word, or a quoted string (`'SHA-256'`).
    fn key(&mut self) -> Result<String, String> {
        match self.next() {
            Some(Tok::Word(w)) | Some(Tok::Str(w)) => Ok(w),
            Some(t) => Err(format!("expected a property name, found {}", t.describe())),
            None => Err("expected a property name, found the end".into()),
        }
    }
}

/// The only item, or the items joined by `join`.
fn one_or<T>(mut items: Vec<T>, join: fn(Vec<T>) -> T) -> T {
    if items.len() == 1 {
        items.pop().expect("one item")
    } else {
        join(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(t: &str, keys: &[&str]) -> ObjectPath {
        ObjectPath {
            object_type: t.into(),
            steps: keys.iter().map(|k| Step::Key(k.to_string())).collect(),
        }
    }

    fn eq(t: &str, keys: &[&str], v: &str) -> Comparison {
        Comparison::Test {
            path: path(t, keys),
            negated: false,
            op: Op::Eq,
            operand: Operand::One(Literal::Str(v.into())),
        }
    }

    #[test]
    fn comparisons_and_precedence() {
        let p = parse("[ipv4-addr:value = '1.2.3.4' OR domain-name:value='a.example' AND file:hashes.'SHA-256' = 'ff']").unwrap();
        assert_eq!(
            p,
            Observation::Single(Comparison::Or(vec![
                eq("ipv4-addr", &["value"], "1.2.3.4"),
                Comparison::And(vec![
                    eq("domain-name", &["value"], "a.example"),
                    eq("file", &["hashes", "SHA-256"], "ff"),
                ]),
            ]))
        );
        let p = parse("[(a:x = 'p' OR a:y = 'q') AND a:z NOT != 5]").unwrap();
        let Observation::Single(Comparison::And(items)) = p else {
            panic!("{p:?}")
        };
        assert!(matches!(&items[0], Comparison::Or(v) if v.len() == 2));
        assert_eq!(
            items[1],
            Comparison::Test {
                path: path("a", &["z"]),
                negated: true,
                op: Op::Ne,
                operand: Operand::One(Literal::Int(5)),
            }
        );
    }

    #[test]
    fn observation_operators_and_qualifiers() {
        let p = parse(
            "[a:v = 'x'] AND [b:v = 'y'] OR [c:v = 'z'] FOLLOWEDBY ([d:v = 'w'] REPEATS 3 TIMES) WITHIN 60 SECONDS",
        )
        .unwrap();
        let Observation::FollowedBy(fb) = p else {
            panic!("{p:?}")
        };
        assert_eq!(fb.len(), 2);
        let Observation::Or(or) = &fb[0] else {
            panic!("{fb:?}")
        };
        assert!(matches!(&or[0], Observation::And(a) if a.len() == 2));
        let Observation::Qualified(inner, Qualifier::Within(s)) = &fb[1] else {
            panic!("{fb:?}")
        };
        assert_eq!(*s, 60.0);
        assert!(matches!(
            **inner,
            Observation::Qualified(_, Qualifier::Repeats(3))
        ));

        let p = parse("[a:v = 'x'] START t'2024-01-01T00:00:00Z' STOP t'2024-02-01T00:00:00Z'")
            .unwrap();
        assert!(matches!(
            p,
            Observation::Qualified(_, Qualifier::StartStop(a, b)) if a < b
        ));
    }

    #[test]
    fn literals_paths_and_escapes() {
        let p = parse(
            r"[email-message:to_refs[*].value IN ('a@x.example', 'it\'s@x.example', 'back\\slash') AND x:y[2].'z z' = h'0aFF' AND x:b = b'AAE=' AND x:t > t'2024-01-01T00:00:00Z' AND x:f <= -1.5 AND x:ok = true AND x:re MATCHES '^\d+$']",
        )
        .unwrap();
        let Observation::Single(Comparison::And(items)) = p else {
            panic!("{p:?}")
        };
        let Comparison::Test {
            path, op, operand, ..
        } = &items[0]
        else {
            panic!()
        };
        assert_eq!(path.steps[1], Step::Index(None));
        assert_eq!(path.keys(), ["to_refs", "value"]);
        assert_eq!(*op, Op::In);
        assert_eq!(
            *operand,
            Operand::Set(vec![
                Literal::Str("a@x.example".into()),
                Literal::Str("it's@x.example".into()),
                Literal::Str("back\\slash".into()),
            ])
        );
        let ops: Vec<(Op, Operand)> = items
            .iter()
            .map(|c| match c {
                Comparison::Test { op, operand, .. } => (*op, operand.clone()),
                _ => panic!(),
            })
            .collect();
        assert_eq!(ops[1].1, Operand::One(Literal::Hex("0aFF".into())));
        assert_eq!(ops[2].1, Operand::One(Literal::Binary("AAE=".into())));
        assert_eq!(
            ops[3],
            (
                Op::Gt,
                Operand::One(Literal::Timestamp(1_704_067_200_000_000_000))
            )
        );
        assert_eq!(ops[4], (Op::Le, Operand::One(Literal::Float(-1.5))));
        assert_eq!(ops[5].1, Operand::One(Literal::Bool(true)));
        assert_eq!(
            ops[6],
            (Op::Matches, Operand::One(Literal::Str(r"^\d+$".into())))
        );
        let Comparison::Test { path, .. } = &items[1] else {
            panic!()
        };
        assert_eq!(
            path.steps,
            [
                Step::Key("y".into()),
                Step::Index(Some(2)),
                Step::Key("z z".into())
            ]
        );
    }

    #[test]
    fn malformed_patterns() {
        for bad in [
            "",
            "[",
            "[ipv4-addr:value = '1.2.3.4'",
            "ipv4-addr:value = '1.2.3.4'",
            "[ipv4-addr:value = '1.2.3.4]",
            "[ipv4-addr:value '1.2.3.4']",
            "[ipv4-addr = '1.2.3.4']",
            "[ipv4-addr:value = ]",
            "[ipv4-addr:value IN ()]",
            "[ipv4-addr:value IN ('a',)]",
            "[a:b = 'x'] OR",
            "[a:b = 'x'] [c:d = 'y']",
            "[a:b = 'x'] WITHIN SECONDS",
            "[a:b = 'x'] REPEATS 0 TIMES",
            "[a:b = 'x'] START t'2024-01-01T00:00:00Z'",
            "[a:b = 'x'] START t'yesterday' STOP t'2024-01-01T00:00:00Z'",
            "[a:b = h'abc']",
            "[a:b = b'!!']",
            "[a:b = 99999999999999999999]",
            "[a:b ! 'x']",
            "[a:b = 'x'] }",
            "[a:b[x] = 'x']",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn bounded_depth_and_length() {
        let deep = format!("{}[a:b = 'x']{}", "(".repeat(40), ")".repeat(40));
        assert!(parse(&deep).unwrap_err().contains("nested"));
        let ok = format!("{}[a:b = 'x']{}", "(".repeat(20), ")".repeat(20));
        assert!(parse(&ok).is_ok());
        let deep = format!("[{}a:b = 'x'{}]", "(".repeat(1000), ")".repeat(1000));
        assert!(parse(&deep).unwrap_err().contains("nested"));
        let many = format!("[a:b = 'x']{}", " WITHIN 1 SECONDS".repeat(100));
        assert!(parse(&many).unwrap_err().contains("nested"));
        let long = format!("[a:b = '{}']", "x".repeat(MAX_PATTERN_LEN));
        assert!(parse(&long).is_err());
    }
}
