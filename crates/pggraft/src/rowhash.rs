//! The typed row hash: one 64-bit hash of a row computed from its values
//! rather than their text, the same on a server and in the client.
//!
//! On a server it is `hash_record_extended(ROW(c1, c2, …), 0)`, which
//! hashes each column with its type's hash function, about twice as cheap
//! as hashing `ROW(…)::text`. In the client, [`StreamHasher`] computes the
//! very same value from a binary `COPY … TO STDOUT` stream as it passes, so
//! a clone learns its source tables' checksums without reading them a
//! second time, and verify need only read the target.
//!
//! Only types whose values are equal exactly when their text forms are, and
//! whose hash does not depend on the database, take part (see
//! [`Kind::of`]); a table with any other column is hashed by its text form,
//! on the servers, as before. The hash functions (`hash_bytes_extended`,
//! Bob Jenkins' lookup3 as PostgreSQL adapted it in `src/common/hashfn.c`,
//! and the per-type wrappers) are written out here because no crate
//! computes PostgreSQL's variant; [`probe_sql`] lets a run check them
//! against the server before trusting them.

use crate::sql::ident;

/// How one column's value is hashed (`hash_record_extended` calls the
/// type's extended hash support function).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `smallint`: `hashint2extended`, the value widened to 32 bits.
    Int2,
    /// `integer`, `date`: `hashint4extended`.
    Int4,
    /// `oid`: `hashoidextended`.
    Oid,
    /// `bigint`, timestamps, `time`: `hashint8extended`.
    Int8,
    /// `boolean`, `"char"`: `hashcharextended` of the signed byte.
    Char,
    /// `uuid`, `bytea`, `text`, `varchar`, `name`: `hash_any_extended` of the bytes.
    Bytes,
    /// `character(n)`: the bytes without trailing spaces (`hashbpcharextended`).
    Bpchar,
}

impl Kind {
    /// The kind of a column of type `type_name` (as `format_type` prints
    /// it). `None` for types that could hash alike for different text
    /// (`numeric` 1.0 and 1.00, floats' -0 and 0, intervals, `citext`),
    /// that hash by OID (enums) or that are not built in; and for text
    /// types with an explicit collation (which may be nondeterministic).
    pub(crate) fn of(type_name: &str, explicit_collation: bool) -> Option<Kind> {
        let base = type_name.split('(').next().unwrap_or(type_name).trim_end();
        Some(match base {
            "smallint" => Kind::Int2,
            "integer" | "date" => Kind::Int4,
            "oid" => Kind::Oid,
            "bigint"
            | "timestamp without time zone"
            | "timestamp with time zone"
            | "time without time zone" => Kind::Int8,
            "boolean" => Kind::Char,
            "uuid" | "bytea" => Kind::Bytes,
            "\"char\"" if !explicit_collation => Kind::Char,
            "text" | "character varying" | "name" if !explicit_collation => Kind::Bytes,
            "character" if !explicit_collation => Kind::Bpchar,
            _ => return None,
        })
    }
}

/// The kinds of a table's columns, when every one of them has one (and
/// there is at least one column).
pub(crate) fn plan<'a>(columns: impl IntoIterator<Item = (&'a str, bool)>) -> Option<Vec<Kind>> {
    let kinds: Option<Vec<Kind>> = columns.into_iter().map(|(t, c)| Kind::of(t, c)).collect();
    kinds.filter(|k| !k.is_empty())
}

/// The server-side expression of the typed hash over `columns` (names).
pub(crate) fn sql(columns: &[String]) -> String {
    let cols: Vec<String> = columns.iter().map(|c| ident(c)).collect();
    format!("pg_catalog.hash_record_extended(ROW({}), 0)", cols.join(", "))
}

/// A row of one value of every kind, to check this module's hashes
/// against the server's: `(select list, kinds)`. The server hashes it with
/// [`sql`]-like SQL, the client by streaming it through [`StreamHasher`].
pub(crate) fn probe_sql() -> (String, Vec<Kind>) {
    let values = [
        ("(-2)::int2 AS a", Kind::Int2),
        ("(-70000)::int4 AS b", Kind::Int4),
        ("'2024-02-29'::date AS c", Kind::Int4),
        ("4000000000::oid AS d", Kind::Oid),
        ("(-5000000000)::int8 AS e", Kind::Int8),
        ("'2001-02-03 04:05:06.789'::timestamp AS f", Kind::Int8),
        ("true AS g", Kind::Char),
        ("'\\xe9'::\"char\" AS h", Kind::Char),
        ("'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid AS i", Kind::Bytes),
        ("'\\x00ff10'::bytea AS j", Kind::Bytes),
        ("'thirteen char'::text AS k", Kind::Bytes),
        ("'héllo wörld, twenty-five'::varchar AS l", Kind::Bytes),
        ("'ab'::char(6) AS m", Kind::Bpchar),
        ("NULL::int4 AS n", Kind::Int4),
        ("''::text AS o", Kind::Bytes),
    ];
    let select: Vec<&str> = values.iter().map(|(v, _)| *v).collect();
    (select.join(", "), values.iter().map(|(_, k)| *k).collect())
}

/// Rows and hash sum of a stream (what verify's checksum query returns).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RowSums {
    pub rows: i64,
    pub sum: i128,
}

impl std::ops::AddAssign for RowSums {
    fn add_assign(&mut self, o: RowSums) {
        self.rows += o.rows;
        self.sum += o.sum;
    }
}

/// Hashes the rows of a binary COPY stream as it passes, fed with the
/// stream's bytes in whatever pieces they come (a row may span pieces).
#[derive(Debug)]
pub(crate) struct StreamHasher {
    kinds: Vec<Kind>,
    /// Bytes of an unfinished row (or header) from earlier pieces.
    carry: Vec<u8>,
    header: bool,
    ended: bool,
    sums: RowSums,
}

const SIGNATURE: &[u8] = b"PGCOPY\n\xff\r\n\0";

impl StreamHasher {
    pub(crate) fn new(kinds: Vec<Kind>) -> StreamHasher {
        StreamHasher { kinds, carry: vec![], header: false, ended: false, sums: RowSums::default() }
    }

    /// Takes the next piece of the stream.
    pub(crate) fn feed(&mut self, data: &[u8]) -> Result<(), String> {
        if self.carry.is_empty() {
            let used = self.parse(data)?;
            self.carry.extend_from_slice(&data[used..]);
        } else {
            let mut buf = std::mem::take(&mut self.carry);
            buf.extend_from_slice(data);
            let used = self.parse(&buf)?;
            buf.drain(..used);
            self.carry = buf;
        }
        Ok(())
    }

    /// The sums, once the whole stream was fed.
    pub(crate) fn finish(self) -> Result<RowSums, String> {
        if !self.ended || !self.carry.is_empty() {
            return Err("the binary COPY stream ended early".into());
        }
        Ok(self.sums)
    }

    /// Consumes every complete unit (header, row, trailer) at the start of
    /// `buf`; returns how many bytes it used.
    fn parse(&mut self, buf: &[u8]) -> Result<usize, String> {
        let mut at = 0;
        if !self.header {
            if buf.len() < SIGNATURE.len() + 8 {
                return Ok(0);
            }
            if &buf[..SIGNATURE.len()] != SIGNATURE {
                return Err("not a binary COPY stream".into());
            }
            let ext = be_u32(&buf[SIGNATURE.len() + 4..]) as usize;
            let end = SIGNATURE.len() + 8 + ext;
            if buf.len() < end {
                return Ok(0);
            }
            at = end;
            self.header = true;
        }
        while !self.ended {
            match self.row(&buf[at..])? {
                Some(n) => at += n,
                None => break,
            }
        }
        Ok(at)
    }

    /// Hashes the row at the start of `buf`: `Some(bytes used)`, or `None`
    /// when it is not all there yet.
    fn row(&mut self, buf: &[u8]) -> Result<Option<usize>, String> {
        if buf.len() < 2 {
            return Ok(None);
        }
        let fields = i16::from_be_bytes([buf[0], buf[1]]);
        if fields == -1 {
            self.ended = true;
            return Ok(Some(2));
        }
        if fields as usize != self.kinds.len() {
            return Err(format!("a row of {fields} columns, expected {}", self.kinds.len()));
        }
        let mut at = 2;
        let mut h: u64 = 0;
        for &kind in &self.kinds {
            if buf.len() < at + 4 {
                return Ok(None);
            }
            let len = i32::from_be_bytes([buf[at], buf[at + 1], buf[at + 2], buf[at + 3]]);
            at += 4;
            let e = if len < 0 {
                0
            } else {
                let len = len as usize;
                if buf.len() < at + len {
                    return Ok(None);
                }
                let v = &buf[at..at + len];
                at += len;
                value_hash(kind, v)?
            };
            // hash_record_extended: result = result * 31 + element hash.
            h = (h << 5).wrapping_sub(h).wrapping_add(e);
        }
        self.sums.rows += 1;
        self.sums.sum += i128::from(h as i64);
        Ok(Some(at))
    }
}

fn be_u32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// The extended hash (seed 0) of one value in its binary send form.
fn value_hash(kind: Kind, v: &[u8]) -> Result<u64, String> {
    let bad = || format!("a value of {} bytes where {kind:?} was expected", v.len());
    Ok(match kind {
        Kind::Int2 => {
            let b: [u8; 2] = v.try_into().map_err(|_| bad())?;
            hash_u32(i32::from(i16::from_be_bytes(b)) as u32)
        }
        Kind::Int4 | Kind::Oid => hash_u32(u32::from_be_bytes(v.try_into().map_err(|_| bad())?)),
        Kind::Int8 => {
            let x = i64::from_be_bytes(v.try_into().map_err(|_| bad())?);
            // hashint8extended: fold the high half into the low half.
            let lo = x as u32;
            let hi = (x >> 32) as u32;
            hash_u32(if x >= 0 { lo ^ hi } else { lo ^ !hi })
        }
        Kind::Char => {
            let [b] = v.try_into().map_err(|_| bad())?;
            hash_u32(i32::from(b as i8) as u32)
        }
        Kind::Bytes => hash_bytes(v),
        Kind::Bpchar => hash_bytes(trim_spaces(v)),
    })
}

/// `v` without its trailing spaces, eight bytes at a time: a `character(n)`
/// column is mostly padding (pgbench's `filler` is 84 spaces), and a byte
/// loop over it was half of the client's hashing time.
fn trim_spaces(v: &[u8]) -> &[u8] {
    let mut n = v.len();
    while n >= 8 && v[n - 8..n] == *b"        " {
        n -= 8;
    }
    while n > 0 && v[n - 1] == b' ' {
        n -= 1;
    }
    &v[..n]
}

fn mix(a: &mut u32, b: &mut u32, c: &mut u32) {
    *a = a.wrapping_sub(*c);
    *a ^= c.rotate_left(4);
    *c = c.wrapping_add(*b);
    *b = b.wrapping_sub(*a);
    *b ^= a.rotate_left(6);
    *a = a.wrapping_add(*c);
    *c = c.wrapping_sub(*b);
    *c ^= b.rotate_left(8);
    *b = b.wrapping_add(*a);
    *a = a.wrapping_sub(*c);
    *a ^= c.rotate_left(16);
    *c = c.wrapping_add(*b);
    *b = b.wrapping_sub(*a);
    *b ^= a.rotate_left(19);
    *a = a.wrapping_add(*c);
    *c = c.wrapping_sub(*b);
    *c ^= b.rotate_left(4);
    *b = b.wrapping_add(*a);
}

fn final_mix(a: &mut u32, b: &mut u32, c: &mut u32) {
    *c ^= *b;
    *c = c.wrapping_sub(b.rotate_left(14));
    *a ^= *c;
    *a = a.wrapping_sub(c.rotate_left(11));
    *b ^= *a;
    *b = b.wrapping_sub(a.rotate_left(25));
    *c ^= *b;
    *c = c.wrapping_sub(b.rotate_left(16));
    *a ^= *c;
    *a = a.wrapping_sub(c.rotate_left(4));
    *b ^= *a;
    *b = b.wrapping_sub(a.rotate_left(14));
    *c ^= *b;
    *c = c.wrapping_sub(b.rotate_left(24));
}

/// `hash_bytes_extended(k, len, 0)` of a little-endian server (the
/// probe finds out when the server is not one).
fn hash_bytes(k: &[u8]) -> u64 {
    let init = 0x9e37_79b9u32.wrapping_add(k.len() as u32).wrapping_add(3_923_095);
    let (mut a, mut b, mut c) = (init, init, init);
    let word = |s: &[u8]| u32::from_le_bytes([s[0], s[1], s[2], s[3]]);
    let mut rest = k;
    while rest.len() >= 12 {
        a = a.wrapping_add(word(&rest[0..]));
        b = b.wrapping_add(word(&rest[4..]));
        c = c.wrapping_add(word(&rest[8..]));
        mix(&mut a, &mut b, &mut c);
        rest = &rest[12..];
    }
    // The last 11 bytes; the lowest byte of c is left for the length.
    let mut tail = [0u8; 12];
    tail[..rest.len()].copy_from_slice(rest);
    a = a.wrapping_add(word(&tail[0..]));
    b = b.wrapping_add(word(&tail[4..]));
    c = c.wrapping_add(word(&tail[8..]) << 8);
    final_mix(&mut a, &mut b, &mut c);
    (u64::from(b) << 32) | u64::from(c)
}

/// `hash_bytes_uint32_extended(k, 0)`.
fn hash_u32(k: u32) -> u64 {
    let init = 0x9e37_79b9u32.wrapping_add(4).wrapping_add(3_923_095);
    let (mut a, mut b, mut c) = (init, init, init);
    a = a.wrapping_add(k);
    final_mix(&mut a, &mut b, &mut c);
    (u64::from(b) << 32) | u64::from(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_of_types() {
        assert_eq!(Kind::of("integer", false), Some(Kind::Int4));
        assert_eq!(Kind::of("character(84)", false), Some(Kind::Bpchar));
        assert_eq!(Kind::of("character varying(22)", false), Some(Kind::Bytes));
        assert_eq!(Kind::of("text", true), None);
        assert_eq!(Kind::of("numeric(10,2)", false), None);
        assert_eq!(Kind::of("integer[]", false), None);
        assert!(plan([("integer", false), ("text", false)]).is_some());
        assert!(plan([("integer", false), ("jsonb", false)]).is_none());
        assert!(plan(std::iter::empty()).is_none());
    }

    fn stream(rows: &[Vec<Option<Vec<u8>>>]) -> Vec<u8> {
        let mut out = SIGNATURE.to_vec();
        out.extend_from_slice(&[0; 8]);
        for r in rows {
            out.extend_from_slice(&(r.len() as i16).to_be_bytes());
            for v in r {
                match v {
                    None => out.extend_from_slice(&(-1i32).to_be_bytes()),
                    Some(v) => {
                        out.extend_from_slice(&(v.len() as i32).to_be_bytes());
                        out.extend_from_slice(v);
                    }
                }
            }
        }
        out.extend_from_slice(&(-1i16).to_be_bytes());
        out
    }

    #[test]
    fn a_stream_hashes_alike_however_it_is_cut() {
        let rows: Vec<Vec<Option<Vec<u8>>>> = (0..50i32)
            .map(|i| {
                vec![Some(i.to_be_bytes().to_vec()), (i % 3 != 0).then(|| vec![b'x'; i as usize])]
            })
            .collect();
        let bytes = stream(&rows);
        let kinds = vec![Kind::Int4, Kind::Bytes];
        let mut whole = StreamHasher::new(kinds.clone());
        whole.feed(&bytes).unwrap();
        let whole = whole.finish().unwrap();
        assert_eq!(whole.rows, 50);
        for cut in [1, 3, 7, 64] {
            let mut h = StreamHasher::new(kinds.clone());
            for piece in bytes.chunks(cut) {
                h.feed(piece).unwrap();
            }
            assert_eq!(h.finish().unwrap(), whole, "pieces of {cut} bytes");
        }
        let mut short = StreamHasher::new(kinds);
        short.feed(&bytes[..bytes.len() - 2]).unwrap();
        assert!(short.finish().is_err());
    }

    #[test]
    fn bpchar_ignores_trailing_spaces() {
        assert_eq!(value_hash(Kind::Bpchar, b"ab    "), value_hash(Kind::Bytes, b"ab"));
        for (v, want) in [
            (&b""[..], &b""[..]),
            (b"        ", b""),
            (b"                 ", b""),
            (b" a", b" a"),
            (b"a b              ", b"a b"),
            (b"abcdefgh        ", b"abcdefgh"),
        ] {
            assert_eq!(trim_spaces(v), want, "{v:?}");
        }
        assert_ne!(hash_bytes(b"ab"), hash_bytes(b"ba"));
    }
}
