//! A body encoder written from SPEC §3.2–3.3 alone: it takes a body's
//! fields as the vectors show them (JSON) and writes postcard bytes by the
//! rules of the spec's type table, walking the schemas transcribed below.
//! The vectors' `body_hex` comes from here, and must equal what the crate
//! encodes.

use serde_json::Value;

/// A field type of SPEC §3.2.
enum Ty {
    Str,
    U32,
    U64,
    I32,
    Day,
    Millis,
    Key,
    Bytes32,
    Opt(Box<Ty>),
    List(Box<Ty>),
    Enum(&'static [&'static str]),
    Struct(Vec<(&'static str, Ty)>),
}

use Ty::*;

fn opt(ty: Ty) -> Ty {
    Opt(Box::new(ty))
}

fn list(ty: Ty) -> Ty {
    List(Box::new(ty))
}

/// The schema of kind `code` (SPEC §3.3), or `None` for an unknown kind.
fn schema(code: u16) -> Option<Vec<(&'static str, Ty)>> {
    Some(match code {
        1 => vec![
            ("name", Str),
            ("summary", Str),
            ("description", Str),
            ("website", opt(Str)),
            ("region", Str),
            ("country", Str),
            (
                "coordinates",
                opt(Struct(vec![("latitude_e6", I32), ("longitude_e6", I32)])),
            ),
            ("legal_form", Str),
            ("member_count", U32),
            ("contact_email", Str),
            ("languages", list(Str)),
            ("tags", list(Str)),
        ],
        2 => vec![(
            "entries",
            list(Struct(vec![
                ("name", Str),
                ("concept", opt(Str)),
                ("level", Enum(&["working", "proficient", "expert"])),
                ("headcount", U32),
            ])),
        )],
        3 => vec![(
            "windows",
            list(Struct(vec![
                ("from", Day),
                ("to", Day),
                ("person_days", U32),
                (
                    "rate",
                    Struct(vec![("min", U32), ("max", U32), ("currency", Str)]),
                ),
                ("mode", Enum(&["remote", "on-site", "hybrid"])),
                ("skills", list(Str)),
            ])),
        )],
        4 => vec![
            ("title", Str),
            ("buyer", Str),
            ("description", Str),
            ("required_skills", list(Str)),
            (
                "value",
                opt(Struct(vec![("amount", U64), ("currency", Str)])),
            ),
            ("deadline", opt(Millis)),
            ("period", opt(Struct(vec![("start", Day), ("end", Day)]))),
            ("location", Str),
            ("source_url", opt(Str)),
            ("ocid", opt(Str)),
            ("status", Enum(&["open", "closed", "awarded"])),
        ],
        5 => vec![
            ("federation", Bytes32),
            ("member", Key),
            ("name", Str),
            ("role", Enum(&["member", "coordinator"])),
        ],
        6 => vec![("federation", Bytes32), ("member", Key), ("reason", Str)],
        7 => vec![
            ("contract_author", Key),
            ("contract_key", Str),
            ("lead", Key),
            ("partners", list(Key)),
            (
                "status",
                Enum(&["forming", "submitted", "won", "lost", "withdrawn"]),
            ),
        ],
        9 => vec![
            ("title", Str),
            ("buyer", Str),
            ("description", Str),
            ("required_skills", list(Str)),
            (
                "value",
                opt(Struct(vec![
                    ("amount", opt(U64)),
                    ("min", opt(U64)),
                    ("currency", Str),
                ])),
            ),
            ("deadline", opt(Millis)),
            ("period", opt(Struct(vec![("start", Day), ("end", Day)]))),
            ("location", Str),
            ("source_url", opt(Str)),
            ("ocid", opt(Str)),
            ("status", Enum(&["open", "closed", "awarded"])),
        ],
        8 => vec![
            ("software_version", Str),
            ("records_held", U64),
            ("peers_connected", U32),
            ("last_sync", opt(Millis)),
            ("uptime_seconds", U64),
        ],
        _ => return None,
    })
}

/// The body of kind `code` with `fields`, encoded by SPEC §3.2.
pub fn encode(code: u16, fields: &Value) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    write(&Struct(schema(code)?), fields, &mut out);
    Some(out)
}

/// Unsigned LEB128: 7 bits per byte, least significant group first.
fn varint(mut n: u64, out: &mut Vec<u8>) {
    while n >= 0x80 {
        out.push((n as u8 & 0x7f) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn zigzag(n: i32, out: &mut Vec<u8>) {
    varint(u64::from(((n << 1) ^ (n >> 31)) as u32), out);
}

fn write(ty: &Ty, value: &Value, out: &mut Vec<u8>) {
    let missing = || -> ! { panic!("a field the schema names is missing or mistyped: {value}") };
    match ty {
        Str => {
            let text = value.as_str().unwrap_or_else(|| missing());
            varint(text.len() as u64, out);
            out.extend(text.as_bytes());
        }
        U32 | U64 | Millis => varint(value.as_u64().unwrap_or_else(|| missing()), out),
        I32 => zigzag(value.as_i64().unwrap_or_else(|| missing()) as i32, out),
        Day => zigzag(days(value.as_str().unwrap_or_else(|| missing())), out),
        Key => out.extend(hex32(value)),
        Bytes32 => out.extend(hex32(value)),
        Opt(inner) => match value {
            Value::Null => out.push(0),
            some => {
                out.push(1);
                write(inner, some, out);
            }
        },
        List(inner) => {
            let items = value.as_array().unwrap_or_else(|| missing());
            varint(items.len() as u64, out);
            items.iter().for_each(|item| write(inner, item, out));
        }
        Enum(names) => {
            let name = value.as_str().unwrap_or_else(|| missing());
            let index = names
                .iter()
                .position(|n| *n == name)
                .unwrap_or_else(|| missing());
            varint(index as u64, out);
        }
        Struct(fields) => {
            for (name, ty) in fields {
                write(ty, &value[name], out);
            }
        }
    }
}

/// 32 raw bytes from hex text or a JSON array of numbers.
fn hex32(value: &Value) -> [u8; 32] {
    let bytes: Vec<u8> = match value {
        Value::String(text) => (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
            .collect(),
        Value::Array(items) => items
            .iter()
            .map(|b| b.as_u64().expect("a byte") as u8)
            .collect(),
        other => panic!("not 32 bytes: {other}"),
    };
    bytes.try_into().expect("32 bytes")
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date (proleptic Gregorian),
/// by the days-from-civil algorithm.
fn days(date: &str) -> i32 {
    let parts: Vec<i64> = date
        .split('-')
        .map(|p| p.parse().expect("a date"))
        .collect();
    let (y, m, d) = (parts[0], parts[1], parts[2]);
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe - 719_468) as i32
}
