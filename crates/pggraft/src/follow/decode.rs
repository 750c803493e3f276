//! pgoutput messages (protocol version 1) decoded from the replication
//! stream's payloads. Begin, Commit and logical messages are decoded by the
//! transport ([`pgwire_replication`]); this file decodes what it forwards
//! raw: Relation, Insert, Update, Delete, Truncate (and skips Type and
//! Origin). Column values stay the server's bytes (text or binary, as the
//! stream was started), sliced out of the payload without copying: they go
//! to the target as they came.

use bytes::Bytes;

use crate::error::{Error, Result};

/// One column value of a tuple.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Null,
    /// A TOASTed value the change left as it was: the stream does not carry
    /// it, and it must not be written.
    Unchanged,
    /// The value in the stream's format (text or binary).
    Data(Bytes),
}

/// A column of a Relation message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelColumn {
    /// Part of the replica identity (the key updates and deletes match on).
    pub key: bool,
    pub name: String,
    pub type_oid: u32,
}

/// A Relation message: what the relation with this id looks like now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relation {
    pub id: u32,
    pub schema: String,
    pub name: String,
    /// `d`, `n`, `f` or `i`.
    pub identity: u8,
    pub columns: Vec<RelColumn>,
}

/// A change to rows, or a relation's description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Relation(Relation),
    Insert {
        rel: u32,
        new: Vec<Value>,
    },
    /// `old` is the old key (`K`, when the key changed) or the whole old row
    /// (`O`, replica identity full); without it the key is in `new`.
    Update {
        rel: u32,
        old: Option<Vec<Value>>,
        new: Vec<Value>,
    },
    /// `old` is the key, or the whole row (replica identity full).
    Delete {
        rel: u32,
        old: Vec<Value>,
    },
    Truncate {
        rels: Vec<u32>,
        cascade: bool,
        restart_identity: bool,
    },
    /// Anything else (Type, Origin, and the boundaries the transport decodes).
    Other,
}

/// Decodes one payload.
pub fn decode(data: &Bytes) -> Result<Message> {
    let mut r = Reader { data, pos: 0 };
    let tag = r.u8()?;
    Ok(match tag {
        b'R' => {
            let id = r.u32()?;
            let schema = r.cstr()?;
            let name = r.cstr()?;
            let identity = r.u8()?;
            let n = r.u16()?;
            let mut columns = Vec::with_capacity(n as usize);
            for _ in 0..n {
                let flags = r.u8()?;
                let name = r.cstr()?;
                let type_oid = r.u32()?;
                let _typmod = r.u32()?;
                columns.push(RelColumn { key: flags & 1 == 1, name, type_oid });
            }
            Message::Relation(Relation { id, schema, name, identity, columns })
        }
        b'I' => {
            let rel = r.u32()?;
            r.expect(b'N')?;
            Message::Insert { rel, new: r.tuple()? }
        }
        b'U' => {
            let rel = r.u32()?;
            let mut kind = r.u8()?;
            let mut old = None;
            if kind == b'K' || kind == b'O' {
                old = Some(r.tuple()?);
                kind = r.u8()?;
            }
            if kind != b'N' {
                return Err(protocol(format!(
                    "update: expected a new tuple, got {:?}",
                    kind as char
                )));
            }
            Message::Update { rel, old, new: r.tuple()? }
        }
        b'D' => {
            let rel = r.u32()?;
            let kind = r.u8()?;
            if kind != b'K' && kind != b'O' {
                return Err(protocol(format!(
                    "delete: expected an old tuple, got {:?}",
                    kind as char
                )));
            }
            Message::Delete { rel, old: r.tuple()? }
        }
        b'T' => {
            let n = r.u32()?;
            let options = r.u8()?;
            let mut rels = Vec::with_capacity(n as usize);
            for _ in 0..n {
                rels.push(r.u32()?);
            }
            Message::Truncate {
                rels,
                cascade: options & 1 != 0,
                restart_identity: options & 2 != 0,
            }
        }
        _ => Message::Other,
    })
}

fn protocol(msg: String) -> Error {
    Error::Replication { context: "decoding the change stream".into(), message: msg }
}

struct Reader<'a> {
    data: &'a Bytes,
    pos: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8]> {
        if self.data.len() < self.pos + n {
            return Err(protocol(format!("message truncated at byte {}", self.pos)));
        }
        let s = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16> {
        Ok(u16::from_be_bytes(self.take(2)?.try_into().expect("2 bytes")))
    }
    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_be_bytes(self.take(4)?.try_into().expect("4 bytes")))
    }
    fn expect(&mut self, tag: u8) -> Result<()> {
        let got = self.u8()?;
        if got != tag {
            return Err(protocol(format!("expected {:?}, got {:?}", tag as char, got as char)));
        }
        Ok(())
    }
    fn cstr(&mut self) -> Result<String> {
        let rest = &self.data[self.pos..];
        let end = rest
            .iter()
            .position(|&b| b == 0)
            .ok_or_else(|| protocol("unterminated string".into()))?;
        let s = String::from_utf8_lossy(&rest[..end]).into_owned();
        self.pos += end + 1;
        Ok(s)
    }
    fn tuple(&mut self) -> Result<Vec<Value>> {
        let n = self.u16()?;
        let mut out = Vec::with_capacity(n as usize);
        for _ in 0..n {
            out.push(match self.u8()? {
                b'n' => Value::Null,
                b'u' => Value::Unchanged,
                b't' | b'b' => {
                    let len = self.u32()? as usize;
                    if self.data.len() < self.pos + len {
                        return Err(protocol("value truncated".into()));
                    }
                    let v = self.data.slice(self.pos..self.pos + len);
                    self.pos += len;
                    Value::Data(v)
                }
                other => return Err(protocol(format!("unknown value kind {:?}", other as char))),
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tuple(vals: &[Option<&[u8]>]) -> Vec<u8> {
        let mut b = (vals.len() as u16).to_be_bytes().to_vec();
        for v in vals {
            match v {
                None => b.push(b'n'),
                Some(b"~u") => b.push(b'u'),
                Some(x) => {
                    b.push(b't');
                    b.extend((x.len() as u32).to_be_bytes());
                    b.extend(*x);
                }
            }
        }
        b
    }

    #[test]
    fn update_with_old_key_and_unchanged_toast() {
        let mut m = vec![b'U'];
        m.extend(7u32.to_be_bytes());
        m.push(b'K');
        m.extend(tuple(&[Some(b"1"), None]));
        m.push(b'N');
        m.extend(tuple(&[Some(b"2"), Some(b"~u")]));
        let got = decode(&Bytes::from(m)).unwrap();
        assert_eq!(
            got,
            Message::Update {
                rel: 7,
                old: Some(vec![Value::Data(Bytes::from_static(b"1")), Value::Null]),
                new: vec![Value::Data(Bytes::from_static(b"2")), Value::Unchanged],
            }
        );
    }

    #[test]
    fn relation_and_truncate() {
        let mut m = vec![b'R'];
        m.extend(9u32.to_be_bytes());
        m.extend(b"s\0t\0");
        m.push(b'f');
        m.extend(1u16.to_be_bytes());
        m.push(1);
        m.extend(b"id\0");
        m.extend(23u32.to_be_bytes());
        m.extend((-1i32).to_be_bytes());
        let Message::Relation(r) = decode(&Bytes::from(m)).unwrap() else { panic!() };
        assert_eq!((r.schema.as_str(), r.name.as_str(), r.identity), ("s", "t", b'f'));
        assert_eq!(r.columns, vec![RelColumn { key: true, name: "id".into(), type_oid: 23 }]);
        let mut t = vec![b'T'];
        t.extend(2u32.to_be_bytes());
        t.push(2);
        t.extend(3u32.to_be_bytes());
        t.extend(4u32.to_be_bytes());
        assert_eq!(
            decode(&Bytes::from(t)).unwrap(),
            Message::Truncate { rels: vec![3, 4], cascade: false, restart_identity: true }
        );
        assert!(decode(&Bytes::from_static(b"I\0")).is_err());
    }
}
