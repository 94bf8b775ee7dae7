//! One JSON record (a line of JSONL, an element of a JSON array, a Parquet row) → one
//! [`Conversation`]. Shared by the `jsonl`, `json` and `parquet` readers.
//!
//! A record is recognised, in this order, as:
//! - a **ChatGPT export** conversation (`mapping` + `current_node`): the branch the user saw, found
//!   by following `current_node` back through `parent` links to the root (at most one step per
//!   node, so a cycle or a missing node ends the walk); edited-away branches are not read. Speaker
//!   `message.author.role` (`author.name` kept as turn metadata), text the string `content.parts`
//!   joined by `\n` (else `content.text`), other parts counted as `attachments`; nodes without
//!   text (the root, hidden system messages) are left out. Title `title`.
//! - a **Claude export** conversation (`chat_messages` of `{sender, text | content}`); title `name`.
//! - a **Telegram Desktop** chat (`messages` of `{type: message | service, date, from, text}`):
//!   `text` is a string or a list of strings and `{type, text}` entities, concatenated; a service
//!   message is a turn by its `actor` (its metadata says `type=service` and the `action`); other
//!   messages without text (media only) are counted, not read. Title `name`.
//! - an **OpenAI chat** (`messages`), **ShareGPT** (`conversations`) or **LMSYS** (`conversation`)
//!   record, and by the **generic rule**: the record's one array of turn objects, a turn object
//!   having a speaker key (`role`, `from`, `speaker`, `author`, `sender`, `name`, first found wins;
//!   the value a string or an object with `role` or `name`) and a text key (`content`, `value`,
//!   `text`, `message`). `--speaker-field` / `--text-field` replace those key lists. When one of the
//!   three named arrays holds turns it is the one read; otherwise no array or several is an error
//!   naming the keys looked for. A text is a string, or a list of parts of which the strings and
//!   `{type: text | input_text | output_text, text}` are joined by `\n` and the rest counted as
//!   `attachments`. Turns without text are counted in the record's `turns_without_text`.
//!
//! Metadata: every scalar field of the record but the turns, nested objects flattened to dotted
//! names (`meta.source`) down to [`MAX_DEPTH`] levels, arrays of scalars as lists, arrays holding
//! objects left out; a turn's metadata is its object without the speaker and text keys, likewise
//! (its `tool_calls`, `attachments` and `files` arrays counted). The first of [`TIME_KEYS`] that
//! parses (unix seconds, unix milliseconds from 10¹¹ on, digits in a string, or an ISO date) gives
//! the time; it also stays in the metadata. The key is the record's `id`, `conversation_id` or
//! `uuid`. Texts keep everything but trailing whitespace. A record without any turn with text is an
//! error (the reader reports it as skipped).

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::ReadOptions;
use crate::model::{parse_timestamp, Conversation, MetaValue, Metadata, Origin, Timestamp, Turn};

/// Keys that may name a turn's speaker, first found wins.
pub const SPEAKER_KEYS: &[&str] = &["role", "from", "speaker", "author", "sender", "name"];
/// Keys that may hold a turn's text, first found wins.
pub const TEXT_KEYS: &[&str] = &["content", "value", "text", "message"];
/// Arrays read as the turns when they hold turn objects, whatever else the record holds.
const NAMED_ARRAYS: &[&str] = &["messages", "conversations", "conversation"];
/// Fields that give a record's or a turn's time, first that parses wins. Telegram's
/// `date_unixtime` comes before its `date`, which is local time without a zone.
pub const TIME_KEYS: &[&str] = &[
    "timestamp",
    "time",
    "date_unixtime",
    "date",
    "created_at",
    "create_time",
    "tstamp",
];
/// Fields that give a record's key, first found wins.
const KEY_FIELDS: &[&str] = &["id", "conversation_id", "uuid"];
/// How deep nested objects are flattened into metadata.
pub const MAX_DEPTH: usize = 4;
/// Turn arrays of objects that are counted in the turn's metadata.
const COUNTED_ARRAYS: &[&str] = &["tool_calls", "attachments", "files"];

/// Interpret one record; `Err` is the reason to skip it.
pub fn from_record(
    value: Value,
    origin: Origin,
    opts: &ReadOptions,
) -> Result<Conversation, String> {
    let map = match value {
        Value::Object(map) => map,
        // A record that is itself the list of turns.
        Value::Array(items) if is_turn_array(&items, &Keys::new(opts)) => {
            Map::from_iter([("messages".to_owned(), Value::Array(items))])
        }
        other => return Err(format!("record is {}, not an object", kind(&other))),
    };
    let mut conv = if map.get("mapping").is_some_and(Value::is_object) {
        chatgpt(&map, origin)?
    } else if map.get("chat_messages").is_some_and(Value::is_array) {
        let keys = Keys::with(opts, &["sender"], &["text", "content"]);
        from_turn_array(&map, "chat_messages", &keys, origin)
    } else if is_telegram(&map) {
        telegram(&map, origin)
    } else {
        let keys = Keys::new(opts);
        let array = turn_array_key(&map, &keys)?;
        from_turn_array(&map, &array, &keys, origin)
    };
    if conv.turns.is_empty() {
        return Err("no turn with text".into());
    }
    conv.key = record_key(&map);
    conv.time = time_of(&map);
    conv.origin = origin;
    Ok(conv)
}

/// `id`, `conversation_id` or `uuid` of a record, as text.
pub fn record_key(map: &Map<String, Value>) -> Option<String> {
    KEY_FIELDS.iter().find_map(|k| match map.get(*k)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

/// The speaker and text keys in force.
struct Keys<'a> {
    speaker: Vec<&'a str>,
    text: Vec<&'a str>,
}

impl<'a> Keys<'a> {
    fn new(opts: &'a ReadOptions) -> Self {
        Keys::with(opts, SPEAKER_KEYS, TEXT_KEYS)
    }

    fn with(opts: &'a ReadOptions, speaker: &[&'a str], text: &[&'a str]) -> Self {
        Keys {
            speaker: match &opts.speaker_field {
                Some(f) => vec![f.as_str()],
                None => speaker.to_vec(),
            },
            text: match &opts.text_field {
                Some(f) => vec![f.as_str()],
                None => text.to_vec(),
            },
        }
    }

    fn speaker_in<'m>(&self, obj: &'m Map<String, Value>) -> Option<(&'a str, &'m Value)> {
        self.speaker
            .iter()
            .find_map(|k| obj.get(*k).map(|v| (*k, v)))
    }

    fn text_in<'m>(&self, obj: &'m Map<String, Value>) -> Option<(&'a str, &'m Value)> {
        self.text.iter().find_map(|k| obj.get(*k).map(|v| (*k, v)))
    }

    fn describe(&self) -> String {
        format!(
            "speaker key {} and text key {}",
            self.speaker.join("/"),
            self.text.join("/")
        )
    }
}

/// An object with both a speaker key and a text key.
fn is_turn_object(v: &Value, keys: &Keys) -> bool {
    v.as_object()
        .is_some_and(|o| keys.speaker_in(o).is_some() && keys.text_in(o).is_some())
}

/// A non-empty array of objects, at least one of them a turn.
fn is_turn_array(items: &[Value], keys: &Keys) -> bool {
    items.iter().all(Value::is_object) && items.iter().any(|v| is_turn_object(v, keys))
}

/// Is this object a single turn (and not a record holding turns)? Decides whether a JSON array is
/// a list of records or one conversation's list of turns.
pub fn is_single_turn(v: &Value, opts: &ReadOptions) -> bool {
    let keys = Keys::new(opts);
    is_turn_object(v, &keys)
        && v.as_object().is_some_and(|o| {
            !o.values()
                .any(|x| x.as_array().is_some_and(|a| is_turn_array(a, &keys)))
                && !o.contains_key("mapping")
        })
}

fn is_empty_array(v: &Value) -> bool {
    v.as_array().is_some_and(Vec::is_empty)
}

/// The key of the record's array of turns.
fn turn_array_key(map: &Map<String, Value>, keys: &Keys) -> Result<String, String> {
    let holds_turns = |k: &str| {
        map.get(k)
            .and_then(Value::as_array)
            .is_some_and(|a| is_turn_array(a, keys))
    };
    if let Some(named) = NAMED_ARRAYS.iter().find(|k| holds_turns(k)) {
        return Ok((*named).to_owned());
    }
    let found: Vec<&String> = map.keys().filter(|k| holds_turns(k)).collect();
    match found.as_slice() {
        [one] => Ok((*one).clone()),
        [] => match NAMED_ARRAYS
            .iter()
            .find(|k| map.get(**k).is_some_and(is_empty_array))
        {
            Some(named) => Err(format!("no turns: `{named}` is empty")),
            None => Err(format!(
                "no array of turns (objects with a {})",
                keys.describe()
            )),
        },
        several => Err(format!(
            "{} arrays of turns ({}); expected one",
            several.len(),
            several
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// A conversation from the turn objects in `map[array]`, the rest of the record as metadata.
fn from_turn_array(
    map: &Map<String, Value>,
    array: &str,
    keys: &Keys,
    origin: Origin,
) -> Conversation {
    let mut conv = Conversation {
        title: string_at(map, "title").or_else(|| {
            // Claude's export names its conversations `name`; elsewhere `name` is a person.
            (array == "chat_messages")
                .then(|| string_at(map, "name"))
                .flatten()
        }),
        metadata: flatten_record(map, &[array]),
        ..Conversation::default()
    };
    let mut without_text = 0;
    for item in map
        .get(array)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        match item.as_object().and_then(|o| turn_of(o, keys, origin)) {
            Some(turn) => conv.turns.push(turn),
            None => without_text += 1,
        }
    }
    count(&mut conv.metadata, "turns_without_text", without_text);
    conv
}

/// One turn object → a turn, `None` when it has no text.
pub fn turn_of_object(
    obj: &Map<String, Value>,
    opts: &ReadOptions,
    origin: Origin,
) -> Option<Turn> {
    turn_of(obj, &Keys::new(opts), origin)
}

fn turn_of(obj: &Map<String, Value>, keys: &Keys, origin: Origin) -> Option<Turn> {
    let speaker = keys.speaker_in(obj);
    // The first text key with text: Claude writes `text` and sometimes only `content` parts.
    let (text_key, text) = keys
        .text
        .iter()
        .filter_map(|k| obj.get(*k).map(|v| (*k, text_of(v))))
        .find(|(_, t)| !t.text.is_empty())?;
    let mut skip = vec![text_key];
    skip.extend(speaker.map(|(k, _)| k));
    let mut metadata = Metadata::new();
    flatten(obj, "", &skip, 0, &mut metadata);
    for name in COUNTED_ARRAYS {
        if let Some(items) = obj.get(*name).and_then(Value::as_array) {
            if items.iter().any(|v| v.is_object() || v.is_array()) {
                count(&mut metadata, name, items.len());
            }
        }
    }
    count(&mut metadata, "attachments", text.others);
    Some(Turn {
        speaker: speaker.map(|(_, v)| speaker_of(v)).unwrap_or_default(),
        text: text.text,
        time: time_of(obj),
        metadata,
        origin,
    })
}

/// The text of a turn and how many non-text parts it had.
#[derive(Debug, Default, PartialEq)]
struct Text {
    text: String,
    others: usize,
}

/// A string; a list of strings and text parts (joined by `\n`); an object with `parts` or `text`.
fn text_of(v: &Value) -> Text {
    let mut out = Text::default();
    let push = |out: &mut Text, s: &str| {
        if !out.text.is_empty() {
            out.text.push('\n');
        }
        out.text.push_str(s);
    };
    match v {
        Value::String(s) => out.text = s.clone(),
        Value::Number(_) | Value::Bool(_) => out.text = v.to_string(),
        Value::Array(parts) => {
            for part in parts {
                match part_text(part) {
                    Some(s) => push(&mut out, s),
                    None => out.others += usize::from(!part.is_null()),
                }
            }
        }
        Value::Object(o) => match (o.get("parts"), o.get("text")) {
            (Some(parts @ Value::Array(_)), _) => out = text_of(parts),
            (_, Some(Value::String(s))) => out.text = s.clone(),
            _ => out.others = 1,
        },
        Value::Null => {}
    }
    out.text.truncate(out.text.trim_end().len());
    out
}

/// The text of one content part, if it is text.
fn part_text(part: &Value) -> Option<&str> {
    match part {
        Value::String(s) => Some(s),
        Value::Object(o) => {
            let typed = o.get("type").and_then(Value::as_str);
            if typed.is_some_and(|t| !matches!(t, "text" | "input_text" | "output_text")) {
                return None;
            }
            o.get("text").and_then(Value::as_str)
        }
        _ => None,
    }
}

/// A speaker value: a string, a number, or an object with `role` or `name`.
fn speaker_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        Value::Object(o) => ["role", "name"]
            .iter()
            .find_map(|k| o.get(*k).and_then(Value::as_str))
            .map(|s| s.trim().to_owned())
            .unwrap_or_default(),
        _ => String::new(),
    }
}

/// The first of [`TIME_KEYS`] in `obj` that parses as a time.
pub fn time_of(obj: &Map<String, Value>) -> Option<Timestamp> {
    TIME_KEYS
        .iter()
        .find_map(|k| obj.get(*k).and_then(timestamp_of))
}

/// Unix seconds, unix milliseconds (from 10¹¹ on, which as seconds would be the year 5138),
/// a string of digits, or a date `model::parse_timestamp` reads.
pub fn timestamp_of(v: &Value) -> Option<Timestamp> {
    let from_number = |x: f64| {
        if x.abs() >= 1e11 {
            Timestamp::from_unix_seconds(x / 1000.0)
        } else {
            Timestamp::from_unix_seconds(x)
        }
    };
    match v {
        Value::Number(n) => n.as_f64().and_then(from_number),
        Value::String(s) => {
            let s = s.trim();
            match s.parse::<f64>() {
                Ok(x) if s.bytes().all(|b| b.is_ascii_digit() || b == b'.') => from_number(x),
                _ => parse_timestamp(s),
            }
        }
        _ => None,
    }
}

/// Record metadata: every field but `skip`, flattened.
pub fn flatten_record(map: &Map<String, Value>, skip: &[&str]) -> Metadata {
    let mut out = Metadata::new();
    flatten(map, "", skip, 0, &mut out);
    out
}

/// Scalars, lists of scalars and nested objects (dotted names) of `map` into `out`; top-level
/// keys in `skip` left out.
fn flatten(
    map: &Map<String, Value>,
    prefix: &str,
    skip: &[&str],
    depth: usize,
    out: &mut Metadata,
) {
    for (key, value) in map {
        if depth == 0 && skip.contains(&key.as_str()) {
            continue;
        }
        let name = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            Value::Object(inner) if depth + 1 < MAX_DEPTH => {
                flatten(inner, &name, skip, depth + 1, out);
            }
            Value::Array(items) if !items.is_empty() => {
                if let Some(list) = items.iter().map(scalar).collect::<Option<Vec<_>>>() {
                    out.insert(name, MetaValue::List(list));
                }
            }
            other => {
                if let Some(v) = scalar(other) {
                    out.insert(name, v);
                }
            }
        }
    }
}

/// A JSON scalar as a metadata value; `None` for null, arrays and objects.
fn scalar(v: &Value) -> Option<MetaValue> {
    Some(match v {
        Value::Bool(b) => MetaValue::Bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => MetaValue::Int(i),
            None => MetaValue::Float(n.as_f64()?),
        },
        Value::String(s) => MetaValue::Str(s.clone()),
        _ => return None,
    })
}

/// Record `n` under `name` when it is not zero.
fn count(metadata: &mut Metadata, name: &str, n: usize) {
    if n > 0 {
        let prior = match metadata.get(name) {
            Some(MetaValue::Int(k)) => *k,
            _ => 0,
        };
        metadata.insert(
            name.to_owned(),
            MetaValue::Int(prior.saturating_add(i64::try_from(n).unwrap_or(i64::MAX))),
        );
    }
}

fn string_at(map: &Map<String, Value>, key: &str) -> Option<String> {
    map.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The ChatGPT export's branch from the root to `current_node`.
fn chatgpt(map: &Map<String, Value>, origin: Origin) -> Result<Conversation, String> {
    let mapping = map
        .get("mapping")
        .and_then(Value::as_object)
        .ok_or("`mapping` is not an object")?;
    let current = map
        .get("current_node")
        .and_then(Value::as_str)
        .ok_or("ChatGPT export record without a `current_node`")?;
    if !mapping.contains_key(current) {
        return Err(format!("current_node {current:?} is not in the mapping"));
    }
    let mut path = Vec::new();
    let mut seen = HashSet::new();
    let mut id = Some(current);
    // Each node is visited once at most: a cycle or a dangling parent ends the walk.
    while let Some(node) = id.filter(|i| seen.insert(*i)).and_then(|i| mapping.get(i)) {
        path.push(node);
        id = node.get("parent").and_then(Value::as_str);
    }
    let mut conv = Conversation {
        title: string_at(map, "title"),
        metadata: flatten_record(map, &["mapping"]),
        ..Conversation::default()
    };
    let mut without_text = 0;
    for message in path
        .iter()
        .rev()
        .filter_map(|n| n.get("message")?.as_object())
    {
        match chatgpt_turn(message, origin) {
            Some(turn) => conv.turns.push(turn),
            None => without_text += 1,
        }
    }
    count(&mut conv.metadata, "turns_without_text", without_text);
    Ok(conv)
}

/// One ChatGPT message → a turn, `None` without text.
fn chatgpt_turn(message: &Map<String, Value>, origin: Origin) -> Option<Turn> {
    let content = message.get("content")?.as_object()?;
    let text = match content.get("parts") {
        Some(parts @ Value::Array(_)) => text_of(parts),
        _ => text_of(content.get("text").unwrap_or(&Value::Null)),
    };
    if text.text.is_empty() {
        return None;
    }
    let author = message.get("author").and_then(Value::as_object);
    let mut metadata = Metadata::new();
    flatten(message, "", &["content", "author"], 0, &mut metadata);
    if let Some(name) = author.and_then(|a| string_at(a, "name")) {
        metadata.insert("author.name".into(), MetaValue::Str(name));
    }
    count(&mut metadata, "attachments", text.others);
    Some(Turn {
        speaker: author
            .and_then(|a| string_at(a, "role"))
            .unwrap_or_default(),
        text: text.text,
        time: message.get("create_time").and_then(timestamp_of),
        metadata,
        origin,
    })
}

/// A Telegram chat: `messages` whose objects have a `type` of `message` or `service` and no role.
fn is_telegram(map: &Map<String, Value>) -> bool {
    map.get("messages")
        .and_then(Value::as_array)
        .and_then(|m| m.iter().find_map(Value::as_object))
        .is_some_and(|m| {
            matches!(
                m.get("type").and_then(Value::as_str),
                Some("message" | "service")
            ) && !m.contains_key("role")
        })
}

/// A Telegram Desktop chat export.
fn telegram(map: &Map<String, Value>, origin: Origin) -> Conversation {
    let mut conv = Conversation {
        title: string_at(map, "name"),
        metadata: flatten_record(map, &["messages"]),
        ..Conversation::default()
    };
    let mut without_text = 0;
    let messages = map.get("messages").and_then(Value::as_array);
    for message in messages.into_iter().flatten() {
        match message.as_object().and_then(|m| telegram_turn(m, origin)) {
            Some(turn) => conv.turns.push(turn),
            None => without_text += 1,
        }
    }
    count(&mut conv.metadata, "turns_without_text", without_text);
    conv
}

/// One Telegram message → a turn; a service message is one even without text.
fn telegram_turn(message: &Map<String, Value>, origin: Origin) -> Option<Turn> {
    let service = message.get("type").and_then(Value::as_str) == Some("service");
    let mut text = String::new();
    match message.get("text") {
        Some(Value::String(s)) => text.push_str(s),
        Some(Value::Array(parts)) => {
            for part in parts {
                match part {
                    Value::String(s) => text.push_str(s),
                    Value::Object(o) => {
                        text.push_str(o.get("text").and_then(Value::as_str).unwrap_or(""));
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
    text.truncate(text.trim_end().len());
    if text.is_empty() && !service {
        return None;
    }
    let speaker_key = if service { "actor" } else { "from" };
    let mut metadata = Metadata::new();
    flatten(
        message,
        "",
        &[speaker_key, "text", "text_entities"],
        0,
        &mut metadata,
    );
    Some(Turn {
        speaker: string_at(message, speaker_key).unwrap_or_default(),
        text,
        time: time_of(message),
        metadata,
        origin,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(v: Value) -> Conversation {
        match from_record(v, Origin::record(1, 1), &ReadOptions::default()) {
            Ok(c) => c,
            Err(e) => panic!("not read: {e}"),
        }
    }

    fn err(v: Value) -> String {
        from_record(v, Origin::record(1, 1), &ReadOptions::default())
            .err()
            .unwrap_or_default()
    }

    fn turns(c: &Conversation) -> Vec<(&str, &str)> {
        c.turns
            .iter()
            .map(|t| (t.speaker.as_str(), t.text.as_str()))
            .collect()
    }

    fn s(x: &str) -> MetaValue {
        MetaValue::Str(x.into())
    }

    #[test]
    fn openai_messages_with_parts_and_metadata() {
        let c = read(json!({
            "id": "c1", "model": "gpt-4o", "meta": {"source": "web", "deep": {"a": {"b": {"c": 1}}}},
            "tags": ["a", "b"], "scores": [{"x": 1}],
            "messages": [
                {"role": "system", "content": "Be brief.  \n"},
                {"role": "user", "name": "alice", "content": [
                    {"type": "text", "text": "look"},
                    {"type": "image_url", "image_url": {"url": "x"}},
                    {"type": "input_text", "text": "at this"}]},
                {"role": "assistant", "content": null, "tool_calls": [{"id": "t"}]},
                {"role": "assistant", "content": "好的 fine"}
            ]
        }));
        assert_eq!(
            turns(&c),
            [
                ("system", "Be brief."),
                ("user", "look\nat this"),
                ("assistant", "好的 fine")
            ]
        );
        assert_eq!(c.key.as_deref(), Some("c1"));
        assert_eq!(c.metadata["model"], s("gpt-4o"));
        assert_eq!(c.metadata["meta.source"], s("web"));
        assert_eq!(c.metadata["tags"], MetaValue::List(vec![s("a"), s("b")]));
        assert_eq!(c.metadata["turns_without_text"], MetaValue::Int(1));
        assert!(!c.metadata.contains_key("scores"));
        assert!(!c.metadata.contains_key("meta.deep.a.b.c"), "depth limit");
        assert!(!c.metadata.contains_key("messages"));
        assert_eq!(c.turns[1].metadata["name"], s("alice"));
        assert_eq!(c.turns[1].metadata["attachments"], MetaValue::Int(1));
        assert!(!c.turns[1].metadata.contains_key("role"));
    }

    #[test]
    fn sharegpt_and_lmsys() {
        let c = read(json!({"id": 7, "conversations": [
            {"from": "human", "value": "hi"}, {"from": "gpt", "value": "hello"}]}));
        assert_eq!(turns(&c), [("human", "hi"), ("gpt", "hello")]);
        assert_eq!(c.key.as_deref(), Some("7"));
        let c = read(
            json!({"conversation_id": "abc", "model": "vicuna-13b", "language": "English",
            "tstamp": 1_700_000_000.5, "turn": 1,
            "conversation": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}],
            "openai_moderation": [{"flagged": false}]}),
        );
        assert_eq!(c.key.as_deref(), Some("abc"));
        assert_eq!(c.time, Some(Timestamp::At(1_700_000_000_500)));
        assert_eq!(c.metadata["language"], s("English"));
        assert_eq!(c.metadata["tstamp"], MetaValue::Float(1_700_000_000.5));
        assert!(!c.metadata.contains_key("openai_moderation"));
    }

    #[test]
    fn generic_rule_finds_the_one_array_of_turns() {
        let c = read(json!({"dialog": [
            {"speaker": {"name": "Wu"}, "text": "你好"},
            {"author": {"role": "bot"}, "message": "hi", "time": "2024-01-12T21:04:05Z"}]}));
        assert_eq!(turns(&c), [("Wu", "你好"), ("bot", "hi")]);
        assert_eq!(c.turns[1].time, parse_timestamp("2024-01-12T21:04:05Z"));
        assert_eq!(c.turns[1].metadata["time"], s("2024-01-12T21:04:05Z"));
        assert_eq!(c.key, None);
    }

    #[test]
    fn named_arrays_win_over_other_turn_arrays() {
        let c = read(json!({
            "chosen": [{"role": "user", "content": "x"}],
            "messages": [{"role": "user", "content": "y"}]}));
        assert_eq!(turns(&c), [("user", "y")]);
    }

    #[test]
    fn no_or_several_turn_arrays_are_errors_naming_the_keys() {
        let e = err(json!({"instruction": "x", "output": "y"}));
        assert!(e.contains("role/from/speaker/author/sender/name"), "{e}");
        assert!(e.contains("content/value/text/message"), "{e}");
        let e =
            err(json!({"a": [{"role": "u", "content": "x"}], "b": [{"from": "u", "value": "y"}]}));
        assert!(e.contains("2 arrays") && e.contains("a, b"), "{e}");
        assert!(err(json!("text")).contains("a string"));
        assert!(err(json!({"messages": [{"role": "user", "content": ""}]})).contains("no turn"));
        assert!(err(json!({"id": 1, "messages": []})).contains("`messages` is empty"));
    }

    #[test]
    fn field_options_replace_the_key_lists() {
        let opts = ReadOptions {
            speaker_field: Some("who".into()),
            text_field: Some("said".into()),
            ..ReadOptions::default()
        };
        let v =
            json!({"log": [{"who": "A", "said": "one", "role": "x"}, {"who": "B", "said": "two"}]});
        let c = from_record(v, Origin::record(1, 1), &opts).expect("read");
        assert_eq!(turns(&c), [("A", "one"), ("B", "two")]);
        assert_eq!(c.turns[0].metadata["role"], s("x"));
        let e = from_record(
            json!({"m": [{"role": "u", "content": "x"}]}),
            Origin::default(),
            &opts,
        );
        assert!(e.err().unwrap_or_default().contains("who"));
    }

    #[test]
    fn a_bare_list_of_turns_is_a_record() {
        let c = read(json!([{"role": "user", "content": "hi"}]));
        assert_eq!(turns(&c), [("user", "hi")]);
    }

    fn chatgpt_export() -> Value {
        json!({
            "id": "conv-1", "title": "Tea", "create_time": 1_700_000_000.25,
            "update_time": 1_700_000_100.0, "default_model_slug": "gpt-4",
            "current_node": "a2",
            "mapping": {
                "root": {"id": "root", "message": null, "parent": null, "children": ["sys"]},
                "sys": {"id": "sys", "parent": "root", "children": ["u1", "u1b"], "message": {
                    "id": "sys", "author": {"role": "system"},
                    "content": {"content_type": "text", "parts": [""]},
                    "metadata": {"is_visually_hidden_from_conversation": true}}},
                "u1": {"id": "u1", "parent": "sys", "children": ["a1"], "message": {
                    "id": "u1", "author": {"role": "user"}, "create_time": 1_700_000_001.0,
                    "content": {"content_type": "text", "parts": ["abandoned question"]}}},
                "a1": {"id": "a1", "parent": "u1", "children": [], "message": {
                    "id": "a1", "author": {"role": "assistant"},
                    "content": {"content_type": "text", "parts": ["abandoned answer"]}}},
                "u1b": {"id": "u1b", "parent": "sys", "children": ["code"], "message": {
                    "id": "u1b", "author": {"role": "user", "name": "Li"}, "create_time": 1_700_000_002.0,
                    "content": {"content_type": "multimodal_text",
                                "parts": [{"asset_pointer": "file://x"}, "edited 问题"]}}},
                "code": {"id": "code", "parent": "u1b", "children": ["a2"], "message": {
                    "id": "code", "author": {"role": "assistant"}, "recipient": "python",
                    "content": {"content_type": "code", "language": "python", "text": "print(1)"}}},
                "a2": {"id": "a2", "parent": "code", "children": [], "message": {
                    "id": "a2", "author": {"role": "assistant"},
                    "metadata": {"model_slug": "gpt-4"},
                    "content": {"content_type": "text", "parts": ["final answer"]}}}
            }
        })
    }

    #[test]
    fn chatgpt_export_reads_the_current_branch_only() {
        let c = read(chatgpt_export());
        assert_eq!(
            turns(&c),
            [
                ("user", "edited 问题"),
                ("assistant", "print(1)"),
                ("assistant", "final answer")
            ]
        );
        assert_eq!(c.title.as_deref(), Some("Tea"));
        assert_eq!(c.key.as_deref(), Some("conv-1"));
        assert_eq!(c.time, Some(Timestamp::At(1_700_000_000_250)));
        assert_eq!(c.metadata["default_model_slug"], s("gpt-4"));
        assert!(!c.metadata.keys().any(|k| k.starts_with("mapping")));
        let u = &c.turns[0];
        assert_eq!(u.metadata["author.name"], s("Li"));
        assert_eq!(u.metadata["attachments"], MetaValue::Int(1));
        assert_eq!(u.time, Some(Timestamp::At(1_700_000_002_000)));
        assert_eq!(c.turns[2].metadata["metadata.model_slug"], s("gpt-4"));
    }

    #[test]
    fn chatgpt_cycles_and_missing_nodes_end_the_walk() {
        let mut v = chatgpt_export();
        v["mapping"]["sys"]["parent"] = json!("a2");
        assert_eq!(read(v).turns.len(), 3);
        let mut v = chatgpt_export();
        v["mapping"]["code"]["parent"] = json!("gone");
        assert_eq!(
            turns(&read(v)),
            [("assistant", "print(1)"), ("assistant", "final answer")]
        );
        let mut v = chatgpt_export();
        v["current_node"] = json!("nowhere");
        assert!(err(v).contains("nowhere"));
        let mut v = chatgpt_export();
        v["current_node"] = Value::Null;
        assert!(err(v).contains("current_node"));
    }

    #[test]
    fn claude_export() {
        let c = read(json!({
            "uuid": "u-1", "name": "Plans", "created_at": "2024-05-01T10:00:00Z",
            "account": {"uuid": "acc"},
            "chat_messages": [
                {"uuid": "m1", "sender": "human", "text": "hello", "created_at": "2024-05-01T10:00:01Z",
                 "attachments": [{"file_name": "a.txt"}]},
                {"uuid": "m2", "sender": "assistant", "text": "",
                 "content": [{"type": "text", "text": "hi there"}, {"type": "tool_use"}]}
            ]
        }));
        assert_eq!(turns(&c), [("human", "hello"), ("assistant", "hi there")]);
        assert_eq!(c.title.as_deref(), Some("Plans"));
        assert_eq!(c.key.as_deref(), Some("u-1"));
        assert_eq!(c.time, parse_timestamp("2024-05-01T10:00:00Z"));
        assert_eq!(c.metadata["account.uuid"], s("acc"));
        assert_eq!(c.turns[0].metadata["attachments"], MetaValue::Int(1));
        assert_eq!(c.turns[1].metadata["attachments"], MetaValue::Int(1));
        assert_eq!(c.turns[0].metadata["uuid"], s("m1"));
    }

    #[test]
    fn telegram_chat() {
        let c = read(json!({
            "name": "Team", "type": "private_group", "id": 42,
            "messages": [
                {"id": 1, "type": "service", "date": "2024-01-12T21:00:00", "actor": "Wu",
                 "actor_id": "user1", "action": "create_group", "text": ""},
                {"id": 2, "type": "message", "date": "2024-01-12T21:01:00", "date_unixtime": "1705093260",
                 "from": "Li", "from_id": "user2",
                 "text": ["see ", {"type": "link", "text": "https://x.org"}, " 好"]},
                {"id": 3, "type": "message", "date": "2024-01-12T21:02:00", "from": "Wu",
                 "photo": "p.jpg", "text": ""}
            ]
        }));
        assert_eq!(turns(&c), [("Wu", ""), ("Li", "see https://x.org 好")]);
        assert_eq!(c.title.as_deref(), Some("Team"));
        assert_eq!(c.key.as_deref(), Some("42"));
        assert_eq!(c.metadata["type"], s("private_group"));
        assert_eq!(c.metadata["turns_without_text"], MetaValue::Int(1));
        let service = &c.turns[0].metadata;
        assert_eq!(service["type"], s("service"));
        assert_eq!(service["action"], s("create_group"));
        assert_eq!(c.turns[1].metadata["from_id"], s("user2"));
        assert_eq!(c.turns[1].metadata["id"], MetaValue::Int(2));
        assert_eq!(c.turns[1].time, Some(Timestamp::At(1_705_093_260_000)));
        assert_eq!(c.turns[0].time, parse_timestamp("2024-01-12T21:00:00"));
    }

    #[test]
    fn timestamps_in_seconds_milliseconds_and_text() {
        let t = |v: Value| timestamp_of(&v);
        assert_eq!(
            t(json!(1_700_000_000)),
            Some(Timestamp::At(1_700_000_000_000))
        );
        assert_eq!(
            t(json!(1_700_000_000_123_i64)),
            Some(Timestamp::At(1_700_000_000_123))
        );
        assert_eq!(
            t(json!("1700000000")),
            Some(Timestamp::At(1_700_000_000_000))
        );
        assert_eq!(t(json!("2024-01-12")), parse_timestamp("2024-01-12"));
        assert_eq!(t(json!("soon")), None);
        assert_eq!(t(json!(f64::MAX)), None);
        assert_eq!(t(json!(null)), None);
    }
}
